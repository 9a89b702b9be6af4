import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Policies set through the API (lifecycle windows, messaging policy): one JSON document per key, versioned. */
export const Setting = defineEntity({
  name: 'Setting',
  tableName: 'settings',
  properties: {
    key: p.text().primary(),
    value: p.json<Record<string, unknown>>(),
    version: p.integer().default(1),
    updatedBy: p.text().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Setting = InferEntity<typeof Setting>;
