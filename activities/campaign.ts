// Campaign side effects: the read model (and send gate), the frozen audience, the send passes, the A/B figures and
// the retrospective.
import { campaignAttribution, variantFigures as attributedVariantFigures } from '../db/campaign-attribution.ts';
import { ledgerCounts } from '../db/campaign-counts.ts';
import { liveVersionIds } from '../db/message-templates.ts';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { textArray, transaction } from '../db/sql.ts';
import {
  DEFAULT_CAMPAIGN_APPROVAL_POLICY,
  goalActual,
  roi,
  type AbState,
  type Attribution,
  type Audience,
  type CampaignApprovalPolicy,
  type CampaignReport,
  type CampaignSpec,
  type CampaignStage,
  type StageChange,
  type VariantResult,
} from '../domain/campaign.ts';
import { variantRates } from '../domain/campaign.ts';
import { runSendPass, type SendPass, type SendPassResult } from './campaign-sender.ts';
import type { CustomerEmailDeps } from './customer-email.ts';

export interface CampaignRecord {
  id: string;
  workflowId: string;
  name: string;
  ownerId: string;
  stage: CampaignStage;
  spec: CampaignSpec;
  pauseReason: string | null;
  launchedAt: string | null;
  endedAt: string | null;
  version: number;
}

/** Upserts the list row; versions order the writes, so a late older write changes nothing. */
export async function saveCampaignRow(orm: Orm, c: CampaignRecord): Promise<void> {
  const { budget, schedule } = c.spec;
  await orm.em.getConnection().execute(
    `insert into campaigns (id, workflow_id, name, owner_id, stage, currency, budget_total, cost_per_send, start_at, end_at,
       ab_test, pause_reason, launched_at, ended_at, created_at, updated_at, version)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now(), ?)
     on conflict (id) do update set name = excluded.name, stage = excluded.stage, currency = excluded.currency,
       budget_total = excluded.budget_total, cost_per_send = excluded.cost_per_send, start_at = excluded.start_at,
       end_at = excluded.end_at, ab_test = excluded.ab_test, pause_reason = excluded.pause_reason,
       launched_at = excluded.launched_at, ended_at = excluded.ended_at, updated_at = now(), version = excluded.version
     where campaigns.version < excluded.version`,
    [c.id, c.workflowId, c.name, c.ownerId, c.stage, budget.currency, budget.total, budget.costPerSend, schedule.startAt,
      schedule.endAt, c.spec.abTest !== null, c.pauseReason, c.launchedAt, c.endedAt, c.version]);
}

/** The where clause (on customers c) that selects an audience. */
export function audienceWhere(audience: Audience): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const f = audience.filters ?? {};
  if (audience.segment) { parts.push('c.segment = ?'); params.push(audience.segment); }
  if (f.stages?.length) { parts.push('c.stage = any(?::text[])'); params.push(textArray(f.stages)); }
  if (f.tags?.length) { parts.push('c.tags @> ?::text[]'); params.push(textArray(f.tags)); }
  if (f.rfmSegments?.length) { parts.push('c.segment = any(?::text[])'); params.push(textArray(f.rfmSegments)); }
  if (f.lastActiveBefore) { parts.push('c.last_active_at < ?'); params.push(f.lastActiveBefore); }
  if (f.lastActiveAfter) { parts.push('c.last_active_at >= ?'); params.push(f.lastActiveAfter); }
  return { sql: parts.length ? parts.join(' and ') : 'true', params };
}

export async function countAudience(orm: Orm, audience: Audience): Promise<number> {
  const where = audienceWhere(audience);
  const [row] = await orm.em.getConnection().execute<{ n: number }[]>(
    `select count(*)::int as n from customers c where ${where.sql}`, where.params);
  return row!.n;
}

export interface FrozenAudience { audience: number; test: number }

/** Who gets what in an A/B test: the first `test` positions by split, in contiguous ranges of the shuffled order. */
function variantRanges(test: number, splits: { name: string; split: number }[]): { name: string; upTo: number }[] {
  let cumulative = 0;
  return splits.map((v, i) => {
    cumulative += v.split;
    return { name: v.name, upTo: i === splits.length - 1 ? test : Math.round((test * cumulative) / 100) };
  });
}

export function createCampaignActivities(deps: CustomerEmailDeps) {
  const { orm } = deps;

  // From the attribution rollups (db/campaign-attribution.ts): the same figures as the raw events, read in O(days).
  const attribution = (campaignId: string, until?: string): Promise<Attribution> => campaignAttribution(orm, campaignId, until);
  const variantFigures = (campaignId: string, variants: string[]): Promise<Omit<VariantResult, 'rate'>[]> =>
    attributedVariantFigures(orm, campaignId, variants);

  return {
    async saveCampaign(record: CampaignRecord): Promise<void> {
      await saveCampaignRow(orm, record);
    },

    /** The campaign message template's live versions by locale: an approved campaign sends these, whatever changes later. */
    async pinCampaignTemplates(): Promise<Record<string, string>> {
      return liveVersionIds(orm, 'campaign');
    },

    async loadCampaignApprovalPolicy(): Promise<CampaignApprovalPolicy> {
      return readSetting(orm, SETTINGS.campaignApprovalPolicy, DEFAULT_CAMPAIGN_APPROVAL_POLICY);
    },

    /**
     * Freezes the audience into the send ledger, once: a deterministic shuffle (by campaign and customer id) orders
     * it, the first `testShare` of it is the A/B test group, split between the variants.
     */
    async freezeAudience(args: { campaignId: string; audience: Audience; abTest: { testShare: number; splits: { name: string; split: number }[] } | null }): Promise<FrozenAudience> {
      return transaction(orm, async (q) => {
        await q(`select pg_advisory_xact_lock(hashtext('campaign-audience'), hashtext(?))`, [args.campaignId]);
        const [existing] = await q<{ n: number; test: number }[]>(
          `select count(*)::int as n, count(*) filter (where phase = 'test')::int as test from campaign_recipients where campaign_id = ?`,
          [args.campaignId]);
        if (existing!.n > 0) return { audience: existing!.n, test: existing!.test };
        const where = audienceWhere(args.audience);
        const [{ n }] = await q<{ n: number }[]>(
          `with ins as (
             insert into campaign_recipients (campaign_id, seq, customer_id, phase, variant, status)
             select ?, row_number() over (order by md5(?::text || c.id::text), c.id), c.id, 'main', null, 'pending'
             from customers c where ${where.sql}
             returning 1)
           select count(*)::int as n from ins`, [args.campaignId, args.campaignId, ...where.params]) as [{ n: number }];
        if (!args.abTest) {
          await q(`update campaign_recipients set variant = 'default' where campaign_id = ?`, [args.campaignId]);
          return { audience: n, test: 0 };
        }
        const test = Math.min(n, Math.max(args.abTest.splits.length, Math.round(n * args.abTest.testShare)));
        let from = 0;
        for (const range of variantRanges(test, args.abTest.splits)) {
          await q(`update campaign_recipients set phase = 'test', variant = ? where campaign_id = ? and seq > ? and seq <= ?`,
            [range.name, args.campaignId, from, range.upTo]);
          from = range.upTo;
        }
        return { audience: n, test };
      });
    },

    async sendCampaignPass(pass: SendPass): Promise<SendPassResult> {
      return runSendPass(deps, pass);
    },

    /** The test group's figures per variant, from events carrying the campaign id. */
    async variantResults(args: { campaignId: string; variants: string[]; metric: 'conversions' | 'clicks' }): Promise<VariantResult[]> {
      return variantRates(await variantFigures(args.campaignId, args.variants), args.metric);
    },

    /** The rest of the audience gets the winner. */
    async assignWinner(args: { campaignId: string; variant: string }): Promise<void> {
      await orm.em.getConnection().execute(
        `update campaign_recipients set variant = ? where campaign_id = ? and phase = 'main'`, [args.variant, args.campaignId]);
    },

    /**
     * Closes the ledger when the campaign ends: recipients still deferred by quiet hours are skipped as quiet,
     * those never reached stay pending (not sent).
     */
    async closeLedger(args: { campaignId: string }): Promise<void> {
      await orm.em.getConnection().execute(
        `update campaign_recipients set status = 'skipped', reason = 'quiet_hours' where campaign_id = ? and status = 'deferred'`,
        [args.campaignId]);
    },

    /** Builds the retrospective from the ledger and the attributed events, stores it (once) and answers it. */
    async buildCampaignReport(args: {
      campaignId: string; ownerId: string; spec: CampaignSpec; finalStage: CampaignStage; launchedAt: string | null;
      endedAt: string | null; ab: AbState | null; timeline: StageChange[];
    }): Promise<CampaignReport> {
      const conn = orm.em.getConnection();
      const [stored] = await conn.execute<{ report: CampaignReport }[]>(
        'select report from campaign_reports where campaign_id = ?', [args.campaignId]);
      if (stored) return stored.report;
      const counts = await ledgerCounts(orm, args.campaignId);
      const total = await attribution(args.campaignId);
      const goals = await Promise.all(args.spec.goals.map(async (g) => {
        const actual = goalActual(g.metric, await attribution(args.campaignId, g.deadline), counts.sent);
        return { ...g, actual, achieved: actual >= g.target, progress: g.target === 0 ? 1 : actual / g.target };
      }));
      const { frequency_cap: capped = 0, quiet_hours: quiet = 0, unsubscribed = 0, no_consent: noConsent = 0, ...otherSkips } = counts.skipped;
      const ab = args.spec.abTest;
      const report: CampaignReport = {
        campaignId: args.campaignId, name: args.spec.name, ownerId: args.ownerId, finalStage: args.finalStage,
        launchedAt: args.launchedAt, endedAt: args.endedAt, generatedAt: new Date().toISOString(), goals,
        sends: {
          audience: counts.audience, sent: counts.sent, skipped: { capped, quiet, unsubscribed, no_consent: noConsent, ...otherSkips },
          deferredForQuietHours: counts.everDeferred, failed: counts.failed, notSent: counts.pending + counts.deferred,
        },
        attribution: { ...total, conversionRate: counts.sent === 0 ? null : total.conversions / counts.sent },
        money: {
          currency: args.spec.budget.currency, budget: args.spec.budget.total, spend: counts.spend,
          costPerSend: args.spec.budget.costPerSend, gmv: total.gmv, roi: roi(total.gmv, counts.spend),
        },
        abTest: ab ? {
          winningMetric: ab.winningMetric,
          variants: args.ab?.results.length ? args.ab.results
            : variantRates(await variantFigures(args.campaignId, ab.variants.map((v) => v.name)), ab.winningMetric),
          winner: args.ab?.choice?.winner ?? null, runnerUp: args.ab?.choice?.runnerUp ?? null,
          margin: args.ab?.choice?.margin ?? null, lift: args.ab?.choice?.lift ?? null,
        } : null,
        timeline: args.timeline,
      };
      await conn.execute(
        'insert into campaign_reports (campaign_id, report, created_at) values (?, ?, now()) on conflict (campaign_id) do nothing',
        [args.campaignId, JSON.stringify(report)]);
      const [row] = await conn.execute<{ report: CampaignReport }[]>('select report from campaign_reports where campaign_id = ?', [args.campaignId]);
      return row!.report;
    },
  };
}
