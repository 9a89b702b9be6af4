import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { LifecycleStage } from '../../domain/lifecycle.types.ts';

/** Every lifecycle stage change with its time and cause; (customer, seq) makes a retried write a no-op. */
export const StageChange = defineEntity({
  name: 'StageChange',
  tableName: 'customer_stage_changes',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    customerId: p.uuid(),
    seq: p.integer(),
    fromStage: p.string().$type<LifecycleStage>().nullable(),
    toStage: p.string().$type<LifecycleStage>(),
    cause: p.text(),
    at: p.datetime().index(),
  },
  uniques: [{ properties: ['customerId', 'seq'] }],
});
export type StageChange = InferEntity<typeof StageChange>;
