// What a campaign's send ledger adds up to, read from its counters (campaign_counts, kept by the triggers of
// Migration20261203161000_campaign_counts in the statements that change the ledger): a few rows per campaign however
// large its audience. The scans they replace stay here as `scanCampaignCounts` and `scanGuardFigures`, to check the
// counters against (tests, the campaign bench).
import { cents, type SendCounts } from '../domain/campaign.ts';
import type { Orm } from './orm.ts';

/** What the guard rules watch: sends, failures, and sent recipients who unsubscribed at or after their send. */
export interface GuardCounts {
  sent: number;
  failed: number;
  unsubscribed: number;
}

interface CountsRow {
  audience: number;
  sent: number;
  pending: number;
  deferred: number;
  failed: number;
  ever_deferred: number;
  spend: number;
  unsubscribed: number;
  skipped: [string, number][] | null;
}

const toCounts = (c: CountsRow): SendCounts => ({
  audience: c.audience,
  sent: c.sent,
  pending: c.pending,
  deferred: c.deferred,
  skipped: Object.fromEntries(c.skipped ?? []),
  failed: c.failed,
  everDeferred: c.ever_deferred,
  spend: cents(c.spend) / 100,
});

/** One campaign's counters, summed over their shards. */
async function readCounters(orm: Orm, campaignId: string): Promise<CountsRow> {
  const [row] = await orm.em.getConnection().execute<CountsRow[]>(
    `select coalesce(sum(audience), 0)::int as audience, coalesce(sum(sent), 0)::int as sent,
       coalesce(sum(pending), 0)::int as pending, coalesce(sum(deferred), 0)::int as deferred,
       coalesce(sum(failed), 0)::int as failed, coalesce(sum(ever_deferred), 0)::int as ever_deferred,
       coalesce(sum(spend), 0)::float8 as spend, coalesce(sum(unsubscribed), 0)::int as unsubscribed,
       (select json_agg(json_build_array(s.reason, s.n) order by s.reason) from (
          select e.key as reason, sum(e.value::bigint)::int as n from campaign_counts k, jsonb_each_text(k.skipped) e
          where k.campaign_id = ? group by e.key having sum(e.value::bigint) > 0) s) as skipped
     from campaign_counts where campaign_id = ?`,
    [campaignId, campaignId],
  );
  return row!;
}

/** The send ledger's figures (audience, sent, skipped by reason, failed, spend...): O(1) in the audience. */
export async function ledgerCounts(orm: Orm, campaignId: string): Promise<SendCounts> {
  return toCounts(await readCounters(orm, campaignId));
}

/** The guard rules' figures: O(1) in the audience. */
export async function guardCounts(orm: Orm, campaignId: string): Promise<GuardCounts> {
  const c = await readCounters(orm, campaignId);
  return { sent: c.sent, failed: c.failed, unsubscribed: c.unsubscribed };
}

/** The ledger's figures by a scan of every row: what the counters must equal. */
export async function scanCampaignCounts(orm: Orm, campaignId: string): Promise<SendCounts> {
  const [c] = await orm.em.getConnection().execute<CountsRow[]>(
    `select count(*)::int as audience, count(*) filter (where status = 'sent')::int as sent,
       count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'deferred')::int as deferred,
       count(*) filter (where status = 'failed')::int as failed, count(*) filter (where ever_deferred)::int as ever_deferred,
       coalesce(sum(cost), 0)::float8 as spend, 0 as unsubscribed,
       (select json_agg(json_build_array(s.reason, s.n) order by s.reason) from (
          select coalesce(reason, 'unknown') as reason, count(*)::int as n from campaign_recipients
          where campaign_id = ? and status = 'skipped' group by 1) s) as skipped
     from campaign_recipients where campaign_id = ?`,
    [campaignId, campaignId],
  );
  return toCounts(c!);
}

/** The guard's figures by a scan of the ledger joined with the customers: what `guardCounts` must equal. */
export async function scanGuardFigures(orm: Orm, campaignId: string): Promise<GuardCounts> {
  const [f] = await orm.em.getConnection().execute<GuardCounts[]>(
    `select count(*) filter (where r.status = 'sent')::int as sent,
       count(*) filter (where r.status = 'failed')::int as failed,
       count(*) filter (where r.status = 'sent' and c.unsubscribed_at >= r.sent_at)::int as unsubscribed
     from campaign_recipients r join customers c on c.id = r.customer_id where r.campaign_id = ?`,
    [campaignId],
  );
  return f!;
}
