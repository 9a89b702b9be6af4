// Campaigns in PostgreSQL: the list row (also the send gate), the audience query, the frozen send ledger and the
// stored retrospective. The counters and attribution are in campaign-counts.ts and campaign-attribution.ts.
import type { Audience, CampaignReport, CampaignSpec, CampaignStage } from '../domain/campaign.ts';
import type { Orm } from './orm.ts';
import { textArray, transaction } from './sql.ts';
import { NOW, versionedUpsert } from './versioned-upsert.ts';

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
  await versionedUpsert(orm, 'campaigns', {
    id: c.id, workflow_id: c.workflowId, name: c.name, owner_id: c.ownerId, stage: c.stage, currency: budget.currency,
    budget_total: budget.total, cost_per_send: budget.costPerSend, start_at: schedule.startAt, end_at: schedule.endAt,
    ab_test: c.spec.abTest !== null, pause_reason: c.pauseReason, launched_at: c.launchedAt, ended_at: c.endedAt,
    created_at: NOW, updated_at: NOW, version: c.version,
  }, ['workflow_id', 'owner_id', 'created_at']);
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

export interface AbSplit { testShare: number; splits: { name: string; split: number }[] }

/** Who gets what in an A/B test: the first `test` positions by split, in contiguous ranges of the shuffled order. */
function variantRanges(test: number, splits: { name: string; split: number }[]): { name: string; upTo: number }[] {
  let cumulative = 0;
  return splits.map((v, i) => {
    cumulative += v.split;
    return { name: v.name, upTo: i === splits.length - 1 ? test : Math.round((test * cumulative) / 100) };
  });
}

/**
 * Freezes the audience into the send ledger, once: a deterministic shuffle (by campaign and customer id) orders
 * it, the first `testShare` of it is the A/B test group, split between the variants.
 */
export async function freezeAudience(
  orm: Orm, args: { campaignId: string; audience: Audience; abTest: AbSplit | null },
): Promise<FrozenAudience> {
  return transaction(orm, async (q) => {
    await q(`select pg_advisory_xact_lock(hashtext('campaign-audience'), hashtext(?))`, [args.campaignId]);
    const [existing] = await q<{ n: number; test: number }[]>(
      `select count(*)::int as n, count(*) filter (where phase = 'test')::int as test
       from campaign_recipients where campaign_id = ?`,
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
}

/** The rest of the audience gets the winner. */
export async function assignWinner(orm: Orm, campaignId: string, variant: string): Promise<void> {
  await orm.em.getConnection().execute(
    `update campaign_recipients set variant = ? where campaign_id = ? and phase = 'main'`, [variant, campaignId]);
}

/**
 * Closes the ledger when the campaign ends: recipients still deferred by quiet hours are skipped as quiet,
 * those never reached stay pending (not sent).
 */
export async function closeLedger(orm: Orm, campaignId: string): Promise<void> {
  await orm.em.getConnection().execute(
    `update campaign_recipients set status = 'skipped', reason = 'quiet_hours' where campaign_id = ? and status = 'deferred'`,
    [campaignId]);
}

/** The retrospective stored for a campaign, if any. */
export async function storedCampaignReport(orm: Orm, campaignId: string): Promise<CampaignReport | null> {
  const [row] = await orm.em.getConnection().execute<{ report: CampaignReport }[]>(
    'select report from campaign_reports where campaign_id = ?', [campaignId]);
  return row?.report ?? null;
}

/** Stores the retrospective once and answers the stored one (a concurrent first write wins). */
export async function storeCampaignReport(orm: Orm, campaignId: string, report: CampaignReport): Promise<CampaignReport> {
  await orm.em.getConnection().execute(
    'insert into campaign_reports (campaign_id, report, created_at) values (?, ?, now()) on conflict (campaign_id) do nothing',
    [campaignId, JSON.stringify(report)]);
  return (await storedCampaignReport(orm, campaignId))!;
}
