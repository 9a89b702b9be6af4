import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { MessageCategory } from '../../domain/lifecycle.types.ts';

/** The settings key of the customer messaging policy (db/settings.ts gathers every family's into SETTINGS). */
export const messagingPolicy = 'messaging_policy';

export const CUSTOMER_MESSAGE_STATUSES = ['sending', 'sent', 'deferred', 'skipped'] as const;
export type CustomerMessageStatus = (typeof CUSTOMER_MESSAGE_STATUSES)[number];

/**
 * The messaging-policy ledger: every email meant for a customer, from any family, with the policy's decision. The
 * frequency cap counts marketing rows here; the idempotency key (workflow id + step) is the email ledger's too.
 */
export const CustomerMessage = defineEntity({
  name: 'CustomerMessage',
  tableName: 'customer_messages',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    idempotencyKey: p.text().unique(),
    customerId: p.uuid(),
    workflowId: p.text().nullable(),
    campaignId: p.text().nullable().index(),
    category: p.string().$type<MessageCategory>(),
    template: p.text(),
    /** The template version the message was rendered from, and its locale (null before templates were data). */
    templateVersionId: p.uuid().nullable(),
    locale: p.text().nullable(),
    status: p.string().$type<CustomerMessageStatus>(),
    /** unsubscribed, no_consent, frequency_cap, quiet_hours, no_address */
    reason: p.text().nullable(),
    deferredUntil: p.datetime().nullable(),
    /** When the policy last decided; a reserved or sent marketing row counts against the cap from then. */
    decidedAt: p.datetime(),
    sentAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['customerId', 'category', 'decidedAt'] }],
});
export type CustomerMessage = InferEntity<typeof CustomerMessage>;
