// Contract side effects: the policy, the read model, one-time signing links, the partner's tracking code (set up
// on activation, revoked on the way out) and the evaluation of a period into the payouts ledger.
import { createHash, randomBytes } from 'node:crypto';
import { hashToken } from '../api/tokens.ts';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import {
  DEFAULT_CONTRACT_POLICY,
  PERFORMANCE_METRICS,
  performanceScore,
  periodPayout,
  type ContractPolicy,
  type ContractStage,
  type ContractTerms,
  type PayoutRecord,
  type Period,
  type PerformanceMetric,
} from '../domain/contract.ts';
import { contractWorkflowId } from '../workflows/ids.ts';
import { durationToMs } from '../domain/durations.ts';
import { auditSent, deliverOnce, type EmailDeps } from './email.ts';
import { partnerMail } from './partner-mail.ts';
import { compose } from './templates.ts';

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
  await orm.em.getConnection().execute(
    `insert into contracts (id, workflow_id, partner_id, owner_id, stage, terms_version, term, terms, value, currency, start_at,
       end_at, activated_at, ended_at, created_at, updated_at, version)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now(), ?)
     on conflict (id) do update set stage = excluded.stage, terms_version = excluded.terms_version, term = excluded.term,
       terms = excluded.terms, value = excluded.value, currency = excluded.currency, start_at = excluded.start_at,
       end_at = excluded.end_at, activated_at = excluded.activated_at, ended_at = excluded.ended_at, updated_at = now(),
       version = excluded.version
     where contracts.version < excluded.version`,
    [c.id, c.workflowId, c.partnerId, c.ownerId, c.stage, c.termsVersion, c.term, JSON.stringify(c.terms), c.value, c.terms.currency,
      c.terms.start, c.terms.end, c.activatedAt, c.endedAt, c.version]);
}

/** The partner's tracking code for a term: the same whatever retries happen. */
const trackingCode = (contractId: string, term: number) =>
  `P-${createHash('sha256').update(`${contractId}:${term}`).digest('hex').slice(0, 10).toUpperCase()}`;

/** Metric names a partner's figures are pushed under, with the label `partner: <partner id>`. */
export const PARTNER_METRIC = (m: PerformanceMetric) => `partner.${m}`;

export function createContractActivities(deps: EmailDeps) {
  const { orm, publicUrl } = deps;
  const conn = () => orm.em.getConnection();
  return {
    async loadContractPolicy(): Promise<ContractPolicy> {
      return readSetting<ContractPolicy>(orm, SETTINGS.contractPolicy, DEFAULT_CONTRACT_POLICY);
    },

    async saveContract(record: ContractRecord): Promise<void> {
      await saveContractRow(orm, record);
    },

    /**
     * A one-time signing link, emailed to the partner: the token is kept only until its email is out, its hash goes to
     * the workflow. A retry finds the same link (by key) and the email ledger sends it once.
     */
    async issueSignLink(args: {
      contractId: string; key: string; partner: { name: string; email: string }; validFor: string; reminder: boolean; expiresAt: string;
      terms?: ContractTerms;
    }): Promise<{ tokenHash: string; expiresAt: string }> {
      const token = randomBytes(24).toString('base64url');
      const validUntil = new Date(Math.min(Date.now() + durationToMs(args.validFor as never), Date.parse(args.expiresAt))).toISOString();
      await conn().execute(
        `insert into contract_sign_links (idempotency_key, contract_id, token_hash, token, expires_at, created_at)
         values (?, ?, ?, ?, ?, now()) on conflict (idempotency_key) do nothing`,
        [args.key, args.contractId, hashToken(token), token, validUntil]);
      const [link] = await conn().execute<{ token_hash: string; token: string | null; expires_at: Date }[]>(
        'select token_hash, token, expires_at from contract_sign_links where idempotency_key = ?', [args.key]);
      const expiresAt = new Date(link!.expires_at).toISOString();
      if (link!.token !== null) {
        // The signing page (public: the token is its credential) shows the full terms, the deadline and the form.
        const url = `${publicUrl}/sign/${args.contractId}?token=${encodeURIComponent(link!.token)}`;
        const t = args.terms;
        const workflowId = contractWorkflowId(args.contractId);
        const stored = await partnerMail(deps, 'contractSignLink', args.contractId, {
          links: { sign: url }, signBy: expiresAt, reminder: args.reminder,
          contract: t ? { scope: t.scope, start: t.start, end: t.end, cadence: t.cadence, fee: t.fee, currency: t.currency } : {},
        });
        const mail = stored?.mail ?? compose(`${args.reminder ? 'Reminder: ' : ''}Your contract is ready to sign`, [
          `Hello ${args.partner.name},`,
          `${args.reminder ? 'Your contract is still waiting for your signature. ' : ''}Please review the terms below and sign. Your personal signing link works once, until ${expiresAt}; any earlier link no longer works.`,
          ...(t ? [[
            `Scope: ${t.scope}`, ...t.deliverables.map((d) => `Deliverable: ${d}`),
            `Term: ${t.start.slice(0, 10)} to ${t.end.slice(0, 10)}, evaluated ${t.cadence}`,
            `Fee: ${t.fee} ${t.currency} per period`,
            ...t.revenueShare.tiers.map((x) => `Revenue share: ${x.rate}% of GMV from ${x.from}${x.to === null ? '' : ` to ${x.to}`} (${t.revenueShare.mode === 'whole' ? 'on the whole GMV once reached' : 'on the part in this tier'})`),
            ...(t.revenueShare.cap !== null ? [`Revenue share cap: ${t.revenueShare.cap} ${t.currency} per period`] : []),
            ...t.milestones.map((m) => `Milestone "${m.name}": ${m.amount} ${t.currency} on ${m.due.slice(0, 10)}`),
          ]] : []),
          `Read the full terms and sign: ${url}`,
        ]);
        const sent = await deliverOnce({ ...deps, from: stored?.from ?? deps.from }, { idempotencyKey: args.key, workflowId, template: 'contractSignLink', recipients: [args.partner.email], mail });
        // Audited before the token goes: a retry that finds no token has nothing left to do.
        await auditSent(orm, { key: args.key, workflowId, template: 'contractSignLink', subject: mail.subject }, sent);
        await conn().execute('update contract_sign_links set token = null where idempotency_key = ?', [args.key]);
      }
      return { tokenHash: link!.token_hash, expiresAt };
    },

    /** Activation: the partner's tracking code for this term. A code already revoked (a termination came first) stays revoked. */
    async activatePartnerCode(args: { contractId: string; partnerId: string; term: number }): Promise<{ code: string }> {
      const code = trackingCode(args.contractId, args.term);
      await conn().execute(
        `insert into partner_codes (code, contract_id, partner_id, term, active, created_at) values (?, ?, ?, ?, true, now())
         on conflict (code) do nothing`, [code, args.contractId, args.partnerId, args.term]);
      return { code };
    },

    /** Undoes activation: the code stops working, even if its activation has not landed yet (then it lands revoked). */
    async revokePartnerCode(args: { contractId: string; term: number }): Promise<void> {
      const code = trackingCode(args.contractId, args.term);
      await conn().execute(
        `insert into partner_codes (code, contract_id, partner_id, term, active, created_at, revoked_at)
         select ?, c.id, c.partner_id, ?, false, now(), now() from contracts c where c.id = ?
         on conflict (code) do update set active = false, revoked_at = coalesce(partner_codes.revoked_at, now())`,
        [code, args.term, args.contractId]);
    },

    /**
     * One period: the partner's figures (metrics `partner.*` labelled with the partner's id) scored against the
     * targets, the tiered incentive on the GMV and the milestones due, written to the payouts ledger once per
     * period (a retry answers the first row).
     */
    async evaluateContractPeriod(args: {
      contractId: string; partnerId: string; term: number; period: Period; fraction: number; terms: ContractTerms; cutAt?: string;
    }): Promise<PayoutRecord> {
      const { period, terms } = args;
      const to = args.cutAt && Date.parse(args.cutAt) < Date.parse(period.to) ? args.cutAt : period.to;
      const sums = await conn().execute<{ name: string; total: number }[]>(
        `select name, sum(value)::float8 as total from metric_points
         where name = any(?::text[]) and labels @> ?::jsonb and at >= ? and at < ? group by name`,
        [`{${PERFORMANCE_METRICS.map(PARTNER_METRIC).join(',')}}`, JSON.stringify({ partner: args.partnerId }), period.from, to]);
      const actuals = Object.fromEntries(PERFORMANCE_METRICS.map((m) => [m, sums.find((s) => s.name === PARTNER_METRIC(m))?.total ?? 0])) as Record<PerformanceMetric, number>;
      const pay = periodPayout(terms, actuals.gmv, args.fraction);
      const milestones = terms.milestones.filter((m) => Date.parse(m.due) >= Date.parse(period.from) && Date.parse(m.due) < Date.parse(to))
        .reduce((s, m) => s + m.amount, 0);
      const perf = performanceScore(actuals, terms.targets, args.fraction);
      const total = Math.round((pay.total + milestones) * 100) / 100;
      await conn().execute(
        `insert into contract_payouts (contract_id, partner_id, term, period_index, period_from, period_to, fraction, currency, fee, share,
           milestones, total, tier, capped, evaluation, created_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) on conflict (contract_id, term, period_index) do nothing`,
        [args.contractId, args.partnerId, args.term, period.index, period.from, to, args.fraction, terms.currency, pay.fee, pay.share,
          milestones, total, pay.tier, pay.capped, JSON.stringify({ actuals, score: perf.score, parts: perf.parts })]);
      const [row] = await conn().execute<{
        period_from: Date; period_to: Date; fraction: number; fee: string; share: string; milestones: string; total: string; tier: number | null;
        capped: boolean; evaluation: { actuals: Record<PerformanceMetric, number>; score: number | null };
      }[]>('select * from contract_payouts where contract_id = ? and term = ? and period_index = ?', [args.contractId, args.term, period.index]);
      return {
        term: args.term, periodIndex: period.index, periodFrom: new Date(row!.period_from).toISOString(), periodTo: new Date(row!.period_to).toISOString(),
        fraction: row!.fraction, fee: Number(row!.fee), share: Number(row!.share), milestones: Number(row!.milestones), total: Number(row!.total),
        tier: row!.tier, capped: row!.capped, score: row!.evaluation.score, actuals: row!.evaluation.actuals,
      };
    },
  };
}
