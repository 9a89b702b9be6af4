import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { EventType } from '../../domain/lifecycle.types.ts';

/**
 * Customer events as received: the source for KPIs, RFM and campaign attribution. The idempotency key makes a
 * repeated event a no-op; `deliveredAt` marks it handed to the lifecycle workflow, so a retry delivers what a
 * failed call left behind.
 */
export const CustomerEvent = defineEntity({
  name: 'CustomerEvent',
  tableName: 'customer_events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    customerId: p.uuid(),
    type: p.string().$type<EventType>(),
    at: p.datetime().index(),
    amount: p.decimal('number').precision(14).scale(2).nullable(),
    campaignId: p.text().nullable().index(),
    idempotencyKey: p.text().unique(),
    receivedAt: p.datetime().onCreate(() => new Date()),
    deliveredAt: p.datetime().nullable(),
  },
  indexes: [
    { properties: ['customerId', 'at'] },
    { properties: ['type', 'at'] },
    // The redelivery sweep's lookup: small, since nearly every event is delivered at once.
    {
      name: 'customer_events_undelivered_index',
      expression: 'create index "customer_events_undelivered_index" on "customer_events" ("received_at") where "delivered_at" is null',
    },
  ],
});
export type CustomerEvent = InferEntity<typeof CustomerEvent>;
