import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { CampaignStage } from '../../domain/campaign.ts';

/** The settings key of the campaign approval policy (db/settings.ts gathers every family's into SETTINGS). */
export const campaignApprovalPolicy = 'campaign_approval_policy';

/**
 * Campaign read model for lists and the send gate: senders stop the moment `stage` leaves 'running'. The workflow
 * writes it with increasing versions; an older write never overwrites a newer one.
 */
export const Campaign = defineEntity({
  name: 'Campaign',
  tableName: 'campaigns',
  properties: {
    id: p.uuid().primary(),
    workflowId: p.text().unique(),
    name: p.text(),
    ownerId: p.uuid().index(),
    stage: p.string().$type<CampaignStage>().index(),
    currency: p.string().length(3),
    budgetTotal: p.decimal('number').precision(14).scale(2),
    costPerSend: p.decimal('number').precision(14).scale(4),
    startAt: p.datetime(),
    endAt: p.datetime(),
    abTest: p.boolean().default(false),
    pauseReason: p.string().nullable(),
    launchedAt: p.datetime().nullable(),
    endedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(0),
  },
});
export type Campaign = InferEntity<typeof Campaign>;

export const RECIPIENT_STATUSES = ['pending', 'sent', 'deferred', 'skipped', 'failed'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/**
 * The campaign send ledger: the audience frozen at launch, one row per recipient, in a shuffled order (`seq`) that
 * the sender's cursor follows. The email itself is sent once per row through customer_messages and email_outbox.
 */
export const CampaignRecipient = defineEntity({
  name: 'CampaignRecipient',
  tableName: 'campaign_recipients',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    campaignId: p.uuid(),
    seq: p.integer(),
    customerId: p.uuid(),
    /** 'test' (an A/B variant) or 'main' (the message, or the A/B winner). */
    phase: p.string(),
    variant: p.text().nullable(),
    status: p.string().$type<RecipientStatus>(),
    reason: p.text().nullable(),
    deferredUntil: p.datetime().nullable(),
    everDeferred: p.boolean().default(false),
    cost: p.decimal('number').precision(14).scale(4).default(0),
    sentAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['campaignId', 'seq'] }, { properties: ['campaignId', 'customerId'] }],
  indexes: [{ properties: ['campaignId', 'status'] }],
});
export type CampaignRecipient = InferEntity<typeof CampaignRecipient>;

/** The retrospective, built once when the campaign ends. */
export const CampaignReport = defineEntity({
  name: 'CampaignReport',
  tableName: 'campaign_reports',
  properties: {
    campaignId: p.uuid().primary(),
    report: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type CampaignReport = InferEntity<typeof CampaignReport>;
