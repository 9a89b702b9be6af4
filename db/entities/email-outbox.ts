import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const EMAIL_STATUSES = ['pending', 'sending', 'sent', 'skipped', 'failed'] as const;

/** The send ledger: one row per idempotency key (workflow id + step), so a step never mails twice. */
export const EmailOutbox = defineEntity({
  name: 'EmailOutbox',
  tableName: 'email_outbox',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    idempotencyKey: p.text().unique(),
    messageId: p.text(),
    workflowId: p.string().nullable().index(),
    template: p.string(),
    recipients: p.array(),
    subject: p.text(),
    status: p.string().$type<(typeof EMAIL_STATUSES)[number]>(),
    attempts: p.integer().default(0),
    leaseUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type EmailOutbox = InferEntity<typeof EmailOutbox>;
