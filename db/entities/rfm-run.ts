import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One RFM scoring run (nightly or on demand), keyed by its workflow id. */
export const RfmRun = defineEntity({
  name: 'RfmRun',
  tableName: 'rfm_runs',
  properties: {
    id: p.text().primary(),
    trigger: p.string(),
    asOf: p.datetime(),
    startedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    scored: p.integer().default(0),
    segments: p.json<Record<string, number>>().default('{}'),
  },
});
export type RfmRun = InferEntity<typeof RfmRun>;
