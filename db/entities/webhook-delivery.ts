import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Webhook ledger: one row per idempotency key; a delivered key is never posted again. */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    idempotencyKey: p.text().unique(),
    workflowId: p.string().index(),
    channel: p.string(),
    url: p.text(),
    status: p.string().$type<'pending' | 'delivered' | 'failed'>(),
    attempts: p.integer().default(0),
    leaseUntil: p.datetime().nullable(),
    responseStatus: p.integer().nullable(),
    lastError: p.text().nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type WebhookDelivery = InferEntity<typeof WebhookDelivery>;
