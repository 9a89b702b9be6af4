import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ContractTerms } from '../../domain/contract.ts';

/** The settings key of the contract policy (db/settings.ts gathers every family's into SETTINGS). */
export const contractPolicy = 'contract_policy';

/** Contract read model for lists; the workflow writes it with increasing versions, live state comes from it. */
export const Contract = defineEntity({
  name: 'Contract',
  tableName: 'contracts',
  properties: {
    id: p.uuid().primary(),
    workflowId: p.text().unique(),
    partnerId: p.uuid().index(),
    ownerId: p.uuid().index(),
    stage: p.string().index(),
    termsVersion: p.integer().default(1),
    term: p.integer().default(1),
    terms: p.json<ContractTerms>(),
    value: p.decimal('number').precision(14).scale(2),
    currency: p.string().length(3),
    startAt: p.datetime(),
    endAt: p.datetime(),
    activatedAt: p.datetime().nullable(),
    endedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(0),
  },
});
export type Contract = InferEntity<typeof Contract>;

/**
 * The payouts ledger: one row per contract, term and evaluation period (the unique key), so a period is paid once
 * whatever retries happen; the evaluation behind it is kept with it.
 */
export const ContractPayout = defineEntity({
  name: 'ContractPayout',
  tableName: 'contract_payouts',
  uniques: [{ properties: ['contractId', 'term', 'periodIndex'] }],
  properties: {
    id: p.bigint().primary().autoincrement(),
    contractId: p.uuid().index(),
    partnerId: p.uuid(),
    term: p.integer(),
    periodIndex: p.integer(),
    periodFrom: p.datetime(),
    periodTo: p.datetime(),
    /** Part of a whole period (pro rata: the last one cut by the end or a termination). */
    fraction: p.double(),
    currency: p.string().length(3),
    fee: p.decimal('number').precision(14).scale(2),
    share: p.decimal('number').precision(14).scale(2),
    milestones: p.decimal('number').precision(14).scale(2),
    total: p.decimal('number').precision(14).scale(2),
    tier: p.integer().nullable(),
    capped: p.boolean(),
    evaluation: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type ContractPayout = InferEntity<typeof ContractPayout>;

/**
 * One-time signing links for partners: only the hash is kept once the link is emailed. A new link (a reminder)
 * replaces the earlier ones in the workflow, which checks the hash, the expiry and that it is unused.
 */
export const ContractSignLink = defineEntity({
  name: 'ContractSignLink',
  tableName: 'contract_sign_links',
  properties: {
    idempotencyKey: p.text().primary(),
    contractId: p.uuid().index(),
    tokenHash: p.text().unique(),
    /** The token itself, only until its email has gone out. */
    token: p.text().nullable(),
    expiresAt: p.datetime(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type ContractSignLink = InferEntity<typeof ContractSignLink>;

/** What activation sets up for a partner: a tracking code their sales are attributed with; termination revokes it. */
export const PartnerCode = defineEntity({
  name: 'PartnerCode',
  tableName: 'partner_codes',
  properties: {
    code: p.text().primary(),
    contractId: p.uuid().index(),
    partnerId: p.uuid().index(),
    term: p.integer(),
    active: p.boolean(),
    createdAt: p.datetime().onCreate(() => new Date()),
    revokedAt: p.datetime().nullable(),
  },
});
export type PartnerCode = InferEntity<typeof PartnerCode>;
