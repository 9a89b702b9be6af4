// A campaign's send ledger (campaign_recipients): the audience frozen in a shuffled order with its A/B split, the
// pages a send pass walks, and each recipient's outcome. Its counters are campaign-counts.ts.
import type { Audience } from '../domain/campaign.ts';
import { audienceWhere } from './campaigns.ts';
import type { RecipientStatus } from './entities/campaign.ts';
import type { Orm } from './orm.ts';
import { transaction, type SqlUpdate } from './sql.ts';

export interface FrozenAudience {
  audience: number;
  test: number;
}

export interface AbSplit {
  testShare: number;
  splits: { name: string; split: number }[];
}

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
  orm: Orm,
  args: { campaignId: string; audience: Audience; abTest: AbSplit | null },
): Promise<FrozenAudience> {
  return transaction(orm, async (q) => {
    await q(`select pg_advisory_xact_lock(hashtext('campaign-audience'), hashtext(?))`, [args.campaignId]);
    const [existing] = await q<{ n: number; test: number }[]>(
      `select count(*)::int as n, count(*) filter (where phase = 'test')::int as test
       from campaign_recipients where campaign_id = ?`,
      [args.campaignId],
    );
    if (existing!.n > 0) return { audience: existing!.n, test: existing!.test };
    const where = audienceWhere(args.audience);
    // Without an A/B test everyone gets the default variant at once (no second pass rewriting every row).
    const [{ n }] = (await q<{ n: number }[]>(
      `with ins as (
         insert into campaign_recipients (campaign_id, seq, customer_id, phase, variant, status)
         select ?, row_number() over (order by md5(?::text || c.id::text), c.id), c.id, 'main', ?::text, 'pending'
         from customers c where ${where.sql}
         returning 1)
       select count(*)::int as n from ins`,
      [args.campaignId, args.campaignId, args.abTest ? null : 'default', ...where.params],
    )) as [{ n: number }];
    if (!args.abTest) return { audience: n, test: 0 };
    const test = Math.min(n, Math.max(args.abTest.splits.length, Math.round(n * args.abTest.testShare)));
    let from = 0;
    for (const range of variantRanges(test, args.abTest.splits)) {
      await q(`update campaign_recipients set phase = 'test', variant = ? where campaign_id = ? and seq > ? and seq <= ?`, [
        range.name,
        args.campaignId,
        from,
        range.upTo,
      ]);
      from = range.upTo;
    }
    return { audience: n, test };
  });
}

/** The rest of the audience gets the winner. */
export async function assignWinner(orm: Orm, campaignId: string, variant: string): Promise<void> {
  await orm.em
    .getConnection()
    .execute(`update campaign_recipients set variant = ? where campaign_id = ? and phase = 'main'`, [variant, campaignId]);
}

/**
 * Closes the ledger when the campaign ends: recipients still deferred by quiet hours are skipped as quiet,
 * those never reached stay pending (not sent).
 */
export async function closeLedger(orm: Orm, campaignId: string): Promise<void> {
  await orm.em
    .getConnection()
    .execute(`update campaign_recipients set status = 'skipped', reason = 'quiet_hours' where campaign_id = ? and status = 'deferred'`, [
      campaignId,
    ]);
}

export type SendPhase = 'test' | 'main';

/** A ledger row a send pass may decide: pending, or deferred until a time now past. */
export interface SendableRow {
  id: number;
  seq: number;
  customer_id: string;
  variant: string | null;
}

const SENDABLE = `(status = 'pending' or (status = 'deferred' and deferred_until <= now()))`;

/** The next `limit` sendable rows of a pass after position `afterSeq`, in ledger order. */
export async function sendablePage(
  orm: Orm,
  campaignId: string,
  phase: SendPhase,
  afterSeq: number,
  limit: number,
): Promise<SendableRow[]> {
  return orm.em.getConnection().execute<SendableRow[]>(
    `select id, seq, customer_id, variant from campaign_recipients
     where campaign_id = ? and phase = ? and seq > ?
       and ${SENDABLE}
     order by seq limit ${limit}`,
    [campaignId, phase, afterSeq],
  );
}

/** How many rows of a pass are sendable now. */
export async function sendableLeft(orm: Orm, campaignId: string, phase: SendPhase): Promise<number> {
  const [left] = await orm.em.getConnection().execute<{ n: number }[]>(
    `select count(*)::int as n from campaign_recipients where campaign_id = ? and phase = ?
       and ${SENDABLE}`,
    [campaignId, phase],
  );
  return left!.n;
}

/** Settles rows in one statement; a sent row costs `costCents` and keeps its first send time. */
export async function settleRecipients(
  orm: Orm,
  costCents: number,
  rows: { id: number; status: string; reason: string | null; until: string | null }[],
): Promise<void> {
  if (rows.length === 0) return;
  await orm.em.getConnection().execute(
    `update campaign_recipients r set status = s.status, reason = s.reason, deferred_until = s.until,
       ever_deferred = r.ever_deferred or s.status = 'deferred',
       cost = case when s.status = 'sent' then ? / 100.0 else r.cost end,
       sent_at = case when s.status = 'sent' then coalesce(r.sent_at, now()) else r.sent_at end
     from jsonb_to_recordset(?::jsonb) as s(id bigint, status text, reason text, until timestamptz) where r.id = s.id`,
    [costCents, JSON.stringify(rows)],
  );
}

/** Marks a row sent: for the email ledger to run in the statement that marks the email sent. */
export const recipientSent = (id: number, costCents: number): SqlUpdate => ({
  sql: `update campaign_recipients set status = 'sent', reason = null, deferred_until = null, cost = ? / 100.0, sent_at = now()
    where id = ?`,
  params: [costCents, id],
});

/** When the first deferred row of a pass comes due, if any. */
export async function nextDeferredAt(orm: Orm, campaignId: string, phase: SendPhase): Promise<string | null> {
  const [next] = await orm.em
    .getConnection()
    .execute<{ at: Date | null }[]>(
      `select min(deferred_until) as at from campaign_recipients where campaign_id = ? and phase = ? and status = 'deferred'`,
      [campaignId, phase],
    );
  return next?.at ? new Date(next.at).toISOString() : null;
}

/** One step of a campaign's progress: emails sent and their spend, and recipients the messaging policy skipped. */
export interface ProgressPoint {
  at: Date;
  sent: number;
  spend: number;
  skipped: number;
}

/** A campaign's sends in steps of `stepSeconds`, newest first, steps with any activity only, at most 5,000. */
export async function sendProgress(orm: Orm, campaignId: string, stepSeconds: number): Promise<ProgressPoint[]> {
  const step = (column: string) => `to_timestamp(floor(extract(epoch from ${column}) / ?) * ?)`;
  return orm.em.getConnection().execute<ProgressPoint[]>(
    `select at, sum(sent)::int as sent, sum(spend)::float8 as spend, sum(skipped)::int as skipped from (
         select ${step('sent_at')} as at, count(*) as sent, sum(cost) as spend, 0 as skipped
         from campaign_recipients where campaign_id = ? and sent_at is not null group by 1
         union all
         select ${step('decided_at')}, 0, 0, count(*) from customer_messages
         where campaign_id = ? and status = 'skipped' and reason is distinct from 'rejected' group by 1
       ) s group by at order by at desc limit 5000`,
    [stepSeconds, stepSeconds, campaignId, stepSeconds, stepSeconds, campaignId],
  );
}

export interface RecipientRow {
  customer_id: string;
  external_id: string;
  email: string;
  seq: number;
  phase: SendPhase;
  variant: string | null;
  status: RecipientStatus;
  reason: string | null;
  deferred_until: Date | null;
  cost: string;
  sent_at: Date | null;
}

/** One page of a campaign's send ledger in send order, optionally of one status and variant, with their count. */
export async function recipientPage(
  orm: Orm,
  campaignId: string,
  only: { status?: RecipientStatus | undefined; variant?: string | undefined },
  limit: number,
  offset: number,
): Promise<{ rows: RecipientRow[]; total: number }> {
  const filter = 'r.campaign_id = ? and (?::text is null or r.status = ?) and (?::text is null or r.variant = ?)';
  const args = [campaignId, only.status ?? null, only.status ?? null, only.variant ?? null, only.variant ?? null];
  const conn = orm.em.getConnection();
  const rows = await conn.execute<RecipientRow[]>(
    `select r.customer_id, c.external_id, c.email, r.seq, r.phase, r.variant, r.status, r.reason, r.deferred_until, r.cost, r.sent_at
       from campaign_recipients r join customers c on c.id = r.customer_id where ${filter} order by r.seq limit ? offset ?`,
    [...args, limit, offset],
  );
  const [{ n }] = await conn.execute<[{ n: number }]>(`select count(*)::int as n from campaign_recipients r where ${filter}`, args);
  return { rows, total: n };
}
