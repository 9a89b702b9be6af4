// Contract side effects: the policy, the read model, one-time signing links, the partner's tracking code (set up
// on activation, revoked on the way out) and the evaluation of a period into the payouts ledger.
import { createHash, randomBytes } from 'node:crypto';
import { hashToken } from '../db/tokens.ts';
import { activatePartnerCode, recordPayoutOnce, revokePartnerCode, saveContractRow, type ContractRecord } from '../db/contracts.ts';
import { metricSums } from '../db/metrics.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { forgetSignLinkToken, signLinkOnce } from '../db/sign-links.ts';
import {
  DEFAULT_CONTRACT_POLICY,
  PERFORMANCE_METRICS,
  performanceScore,
  periodPayout,
  type ContractPolicy,
  type ContractTerms,
  type PayoutRecord,
  type Period,
  type PerformanceMetric,
} from '../domain/contract.ts';
import { contractWorkflowId } from '../domain/ids.ts';
import { durationToMs } from '../domain/durations.ts';
import { auditSent, deliverOnce, type EmailDeps } from './email.ts';
import { partnerMail } from './partner-mail.ts';
import { compose } from './templates/compose.ts';

export type { ContractRecord } from '../db/contracts.ts';

/** The partner's tracking code for a term: the same whatever retries happen. */
const trackingCode = (contractId: string, term: number) =>
  `P-${createHash('sha256').update(`${contractId}:${term}`).digest('hex').slice(0, 10).toUpperCase()}`;

/** Metric names a partner's figures are pushed under, with the label `partner: <partner id>`. */
export const PARTNER_METRIC = (m: PerformanceMetric) => `partner.${m}`;

export function createContractActivities(deps: EmailDeps) {
  const { orm, publicUrl } = deps;
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
      contractId: string;
      key: string;
      partner: { name: string; email: string };
      validFor: string;
      reminder: boolean;
      expiresAt: string;
      terms?: ContractTerms;
    }): Promise<{ tokenHash: string; expiresAt: string }> {
      const token = randomBytes(24).toString('base64url');
      const validUntil = new Date(Math.min(Date.now() + durationToMs(args.validFor as never), Date.parse(args.expiresAt))).toISOString();
      const link = await signLinkOnce(orm, {
        key: args.key,
        contractId: args.contractId,
        tokenHash: hashToken(token),
        token,
        expiresAt: validUntil,
      });
      const expiresAt = new Date(link.expiresAt).toISOString();
      if (link.token !== null) {
        // The signing page (public: the token is its credential) shows the full terms, the deadline and the form.
        const url = `${publicUrl}/sign/${args.contractId}?token=${encodeURIComponent(link.token)}`;
        const t = args.terms;
        const workflowId = contractWorkflowId(args.contractId);
        const stored = await partnerMail(deps, 'contractSignLink', args.contractId, {
          links: { sign: url },
          signBy: expiresAt,
          reminder: args.reminder,
          contract: t ? { scope: t.scope, start: t.start, end: t.end, cadence: t.cadence, fee: t.fee, currency: t.currency } : {},
        });
        const mail =
          stored?.mail ??
          compose(`${args.reminder ? 'Reminder: ' : ''}Your contract is ready to sign`, [
            `Hello ${args.partner.name},`,
            `${args.reminder ? 'Your contract is still waiting for your signature. ' : ''}Please review the terms below and sign. Your personal signing link works once, until ${expiresAt}; any earlier link no longer works.`,
            ...(t
              ? [
                  [
                    `Scope: ${t.scope}`,
                    ...t.deliverables.map((d) => `Deliverable: ${d}`),
                    `Term: ${t.start.slice(0, 10)} to ${t.end.slice(0, 10)}, evaluated ${t.cadence}`,
                    `Fee: ${t.fee} ${t.currency} per period`,
                    ...t.revenueShare.tiers.map(
                      (x) =>
                        `Revenue share: ${x.rate}% of GMV from ${x.from}${x.to === null ? '' : ` to ${x.to}`} (${t.revenueShare.mode === 'whole' ? 'on the whole GMV once reached' : 'on the part in this tier'})`,
                    ),
                    ...(t.revenueShare.cap !== null ? [`Revenue share cap: ${t.revenueShare.cap} ${t.currency} per period`] : []),
                    ...t.milestones.map((m) => `Milestone "${m.name}": ${m.amount} ${t.currency} on ${m.due.slice(0, 10)}`),
                  ],
                ]
              : []),
            `Read the full terms and sign: ${url}`,
          ]);
        const sent = await deliverOnce(
          { ...deps, from: stored?.from ?? deps.from },
          { idempotencyKey: args.key, workflowId, template: 'contractSignLink', recipients: [args.partner.email], mail },
        );
        // Audited before the token goes: a retry that finds no token has nothing left to do.
        await auditSent(orm, { key: args.key, workflowId, template: 'contractSignLink', subject: mail.subject }, sent);
        await forgetSignLinkToken(orm, args.key);
      }
      return { tokenHash: link.tokenHash, expiresAt };
    },

    /** Activation: the partner's tracking code for this term. A code already revoked (a termination came first) stays revoked. */
    async activatePartnerCode(args: { contractId: string; partnerId: string; term: number }): Promise<{ code: string }> {
      const code = trackingCode(args.contractId, args.term);
      await activatePartnerCode(orm, { code, contractId: args.contractId, partnerId: args.partnerId, term: args.term });
      return { code };
    },

    /** Undoes activation: the code stops working, even if its activation has not landed yet (then it lands revoked). */
    async revokePartnerCode(args: { contractId: string; term: number }): Promise<void> {
      const code = trackingCode(args.contractId, args.term);
      await revokePartnerCode(orm, { code, contractId: args.contractId, term: args.term });
    },

    /**
     * One period: the partner's figures (metrics `partner.*` labelled with the partner's id) scored against the
     * targets, the tiered incentive on the GMV and the milestones due, written to the payouts ledger once per
     * period (a retry answers the first row).
     */
    async evaluateContractPeriod(args: {
      contractId: string;
      partnerId: string;
      term: number;
      period: Period;
      fraction: number;
      terms: ContractTerms;
      cutAt?: string;
    }): Promise<PayoutRecord> {
      const { period, terms } = args;
      const to = args.cutAt && Date.parse(args.cutAt) < Date.parse(period.to) ? args.cutAt : period.to;
      const sums = await metricSums(orm, {
        names: PERFORMANCE_METRICS.map(PARTNER_METRIC),
        labels: { partner: args.partnerId },
        from: period.from,
        to,
      });
      const actuals = Object.fromEntries(
        PERFORMANCE_METRICS.map((m) => [m, sums.find((s) => s.name === PARTNER_METRIC(m))?.total ?? 0]),
      ) as Record<PerformanceMetric, number>;
      const pay = periodPayout(terms, actuals.gmv, args.fraction);
      const milestones = terms.milestones
        .filter((m) => Date.parse(m.due) >= Date.parse(period.from) && Date.parse(m.due) < Date.parse(to))
        .reduce((s, m) => s + m.amount, 0);
      const perf = performanceScore(actuals, terms.targets, args.fraction);
      const total = Math.round((pay.total + milestones) * 100) / 100;
      return recordPayoutOnce(orm, args.contractId, {
        partnerId: args.partnerId,
        term: args.term,
        periodIndex: period.index,
        periodFrom: period.from,
        periodTo: to,
        fraction: args.fraction,
        currency: terms.currency,
        fee: pay.fee,
        share: pay.share,
        milestones,
        total,
        tier: pay.tier,
        capped: pay.capped,
        evaluation: { actuals, score: perf.score, parts: perf.parts },
      });
    },
  };
}
