// Contracts in PostgreSQL: the list row, the partner's tracking codes and the payouts ledger (the signing links are
// sign-links.ts).
import type { ContractStage, ContractTerms, PayoutRecord, PerformanceMetric } from '../domain/contract.ts';
import type { Orm } from './orm.ts';
import { NOW, versionedUpsert } from './versioned-upsert.ts';

export interface ContractRecord {
  id: string;
  workflowId: string;
  partnerId: string;
  ownerId: string;
  stage: ContractStage;
  termsVersion: number;
  term: number;
  terms: ContractTerms;
  value: number;
  activatedAt: string | null;
  endedAt: string | null;
  version: number;
}

/** Upserts the list row; versions order the writes, so a late older write (or the API's first row) changes nothing. */
export async function saveContractRow(orm: Orm, c: ContractRecord): Promise<void> {
  await versionedUpsert(
    orm,
    'contracts',
    {
      id: c.id,
      workflow_id: c.workflowId,
      partner_id: c.partnerId,
      owner_id: c.ownerId,
      stage: c.stage,
      terms_version: c.termsVersion,
      term: c.term,
      terms: JSON.stringify(c.terms),
      value: c.value,
      currency: c.terms.currency,
      start_at: c.terms.start,
      end_at: c.terms.end,
      activated_at: c.activatedAt,
      ended_at: c.endedAt,
      created_at: NOW,
      updated_at: NOW,
      version: c.version,
    },
    ['workflow_id', 'partner_id', 'owner_id', 'created_at'],
  );
}

/** The partner a contract is with (its name and language), or undefined. */
export async function contractPartner(orm: Orm, contractId: string): Promise<{ name: string; locale: string | null } | undefined> {
  const [partner] = await orm.em
    .getConnection()
    .execute<{ name: string; locale: string | null }[]>(
      'select p.name, p.locale from contracts c join partners p on p.id = c.partner_id where c.id = ?',
      [contractId],
    );
  return partner;
}

/** Activation: a code already revoked (a termination came first) stays revoked. */
export async function activatePartnerCode(
  orm: Orm,
  code: { code: string; contractId: string; partnerId: string; term: number },
): Promise<void> {
  await orm.em.getConnection().execute(
    `insert into partner_codes (code, contract_id, partner_id, term, active, created_at) values (?, ?, ?, ?, true, now())
     on conflict (code) do nothing`,
    [code.code, code.contractId, code.partnerId, code.term],
  );
}

/** The code stops working, even if its activation has not landed yet (then it lands revoked). */
export async function revokePartnerCode(orm: Orm, code: { code: string; contractId: string; term: number }): Promise<void> {
  await orm.em.getConnection().execute(
    `insert into partner_codes (code, contract_id, partner_id, term, active, created_at, revoked_at)
     select ?, c.id, c.partner_id, ?, false, now(), now() from contracts c where c.id = ?
     on conflict (code) do update set active = false, revoked_at = coalesce(partner_codes.revoked_at, now())`,
    [code.code, code.term, code.contractId],
  );
}

export type PayoutRow = Omit<PayoutRecord, 'actuals' | 'score'> & {
  partnerId: string;
  currency: string;
  evaluation: { actuals: Record<PerformanceMetric, number>; score: number | null; parts: unknown };
};

/** Writes a period's payout once (a retry keeps the first row) and answers the stored one. */
export async function recordPayoutOnce(orm: Orm, contractId: string, p: PayoutRow): Promise<PayoutRecord> {
  const conn = orm.em.getConnection();
  await conn.execute(
    `insert into contract_payouts (contract_id, partner_id, term, period_index, period_from, period_to, fraction, currency,
       fee, share, milestones, total, tier, capped, evaluation, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) on conflict (contract_id, term, period_index) do nothing`,
    [
      contractId,
      p.partnerId,
      p.term,
      p.periodIndex,
      p.periodFrom,
      p.periodTo,
      p.fraction,
      p.currency,
      p.fee,
      p.share,
      p.milestones,
      p.total,
      p.tier,
      p.capped,
      JSON.stringify(p.evaluation),
    ],
  );
  const [row] = await conn.execute<
    {
      period_from: Date;
      period_to: Date;
      fraction: number;
      fee: string;
      share: string;
      milestones: string;
      total: string;
      tier: number | null;
      capped: boolean;
      evaluation: { actuals: Record<PerformanceMetric, number>; score: number | null };
    }[]
  >('select * from contract_payouts where contract_id = ? and term = ? and period_index = ?', [contractId, p.term, p.periodIndex]);
  return {
    term: p.term,
    periodIndex: p.periodIndex,
    periodFrom: new Date(row!.period_from).toISOString(),
    periodTo: new Date(row!.period_to).toISOString(),
    fraction: row!.fraction,
    fee: Number(row!.fee),
    share: Number(row!.share),
    milestones: Number(row!.milestones),
    total: Number(row!.total),
    tier: row!.tier,
    capped: row!.capped,
    score: row!.evaluation.score,
    actuals: row!.evaluation.actuals,
  };
}
