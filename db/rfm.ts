// RFM scoring in PostgreSQL: one SQL statement scores every customer, so 100k customers cost one round trip, not 100k;
// each run is recorded in rfm_runs, so a retry of a finished run answers the recorded result.
import { emptyCounts, segmentSql, type RfmResult, type RfmTrigger, type Segment } from '../domain/rfm.ts';
import type { Orm } from './orm.ts';
import { transaction } from './sql.ts';

/**
 * Definitions (also in the OpenAPI descriptions of /segments):
 * - Scored: customers with at least one event in the lookback window (asOf - lookbackDays, asOf]. Everyone else gets
 *   NULL scores, segment and scored_at, so a re-run clears stale scores.
 * - Recency: whole days from the last event of any type to asOf. Frequency: events of type login, key_action or
 *   purchase in the window. Monetary: the sum of purchase amounts in the window (0 when none).
 * - Score 1..5, 5 best (most recent, most frequent, highest spend), over the n scored customers: a tie group takes the
 *   middle of the positions it spans (mid-rank = rank() + (size of the group - 1) / 2), and the score is
 *   1 + floor(5 * (mid-rank - 1) / (n - 1)), capped at 5; a lone scored customer gets 3. Equal values always get the
 *   same score (ntile would split ties arbitrarily), and a tie takes neither its group's best nor its worst position:
 *   two customers who both signed up today share R 3, not R 1. Integer arithmetic (mid-rank doubled) keeps the
 *   boundaries exact. Exceptions: frequency 0 is always F 1 and monetary 0 always M 1 (no activity, no spend).
 * - Segment: the first matching rule of SEGMENT_RULES (domain/rfm.ts).
 */
// The score of `col`, sorted worst first by `dir`. 2 * (mid-rank - 1) = 2 * (rank - 1) + (tie size - 1) is a whole
// number, so 5 * that / (2 * (n - 1)) is bigint division of non-negatives: exactly the floor. `zeroIsOne`: 0 scores 1.
const quintile = (col: string, dir: 'asc' | 'desc', zeroIsOne = false) => {
  const score = `case when count(*) over () = 1 then 3 else least(5, 1 + (5 * (2 * (rank() over (order by ${col} ${dir}) - 1)
      + count(*) over (partition by ${col}) - 1)) / (2 * (count(*) over () - 1))) end`;
  return `(${zeroIsOne ? `case when ${col} = 0 then 1 else ${score} end` : score})::smallint`;
};

const SCORE_SQL = `
with params as (select ?::timestamptz as as_of, ?::int as lookback_days),
stats as (
  select e.customer_id,
    floor(extract(epoch from (p.as_of - max(e.at))) / 86400)::int as recency_days,
    count(*) filter (where e.type in ('login', 'key_action', 'purchase')) as frequency,
    coalesce(sum(e.amount) filter (where e.type = 'purchase'), 0) as monetary
  from customer_events e
  join customers c on c.id = e.customer_id
  cross join params p
  where e.at <= p.as_of and e.at > p.as_of - p.lookback_days * interval '1 day'
  group by e.customer_id, p.as_of
),
scores as (
  select customer_id,
    ${quintile('recency_days', 'desc')} as r,
    ${quintile('frequency', 'asc', true)} as f,
    ${quintile('monetary', 'asc', true)} as m
  from stats
),
target as (
  -- The scored customers, and the ones scored before that no longer are (to clear them).
  select c.id, s.r, s.f, s.m,
    case when s.customer_id is null then null else ${segmentSql('s.r', 's.f', 's.m')} end as segment
  from customers c left join scores s on s.customer_id = c.id
  where s.customer_id is not null or c.segment is not null or c.rfm_recency is not null or c.scored_at is not null
),
updated as (
  update customers c set rfm_recency = t.r, rfm_frequency = t.f, rfm_monetary = t.m, segment = t.segment,
    scored_at = case when t.segment is null then null else (select as_of from params) end, updated_at = now()
  from target t where c.id = t.id
  returning c.segment
)
select segment, count(*)::int as count from updated where segment is not null group by segment`;

interface RunRow {
  finished_at: Date | null;
  scored: number;
  segments: Record<Segment, number>;
}

/** Records a run as started (once: its first record stays); the API's run request and the scoring both do. */
export async function recordRfmRun(orm: Orm, runId: string, trigger: RfmTrigger, asOf: string): Promise<void> {
  await orm.em
    .getConnection()
    .execute(`insert into rfm_runs (id, trigger, as_of, started_at) values (?, ?, ?, now()) on conflict (id) do nothing`, [
      runId,
      trigger,
      asOf,
    ]);
}

/** Scores every customer as of `asOf` (inputs checked by the caller); a finished run answers its recorded result. */
export async function scoreRfmRun(
  orm: Orm,
  { runId, trigger, asOf, lookbackDays }: { runId: string; trigger: RfmTrigger; asOf: string; lookbackDays: number },
): Promise<RfmResult> {
  // Outside the scoring transaction, so the run reads as running while it scores.
  await recordRfmRun(orm, runId, trigger, asOf);

  return transaction(orm, async (query) => {
    // One run at a time: two overlapping runs (a manual one during the nightly one) would otherwise lock the same
    // rows in different orders. Inside the lock, a run another attempt already finished is answered as recorded.
    await query(`select pg_advisory_xact_lock(hashtext('opsflow:rfm-scoring'))`);
    const [run] = await query<RunRow[]>('select finished_at, scored, segments from rfm_runs where id = ?', [runId]);
    if (run?.finished_at) return { scored: run.scored, segments: { ...emptyCounts(), ...run.segments } };
    // The per-customer aggregate and three window sorts spill to disk at the default 4MB for 100k customers.
    await query(`set local work_mem = '64MB'`);

    const rows = await query<{ segment: Segment; count: number }[]>(SCORE_SQL, [asOf, lookbackDays]);
    const segments = emptyCounts();
    for (const row of rows) segments[row.segment] = row.count;
    const scored = rows.reduce((sum, row) => sum + row.count, 0);
    await query('update rfm_runs set finished_at = now(), scored = ?, segments = ? where id = ?', [
      scored,
      JSON.stringify(segments),
      runId,
    ]);
    return { scored, segments };
  });
}

/** Customers per segment (scored customers only). */
export async function segmentCounts(orm: Orm): Promise<{ segment: string; count: number }[]> {
  return orm.em
    .getConnection()
    .execute<{ segment: string; count: number }[]>(
      'select segment, count(*)::int as count from customers where segment is not null group by segment',
    );
}

/** Scored customers per R and F score pair, highest first; empty pairs are left out. */
export async function rfmGrid(orm: Orm): Promise<{ recency: number; frequency: number; count: number }[]> {
  return orm.em.getConnection().execute<{ recency: number; frequency: number; count: number }[]>(
    `select rfm_recency as recency, rfm_frequency as frequency, count(*)::int as count from customers
         where segment is not null and rfm_recency is not null and rfm_frequency is not null
         group by 1, 2 order by 1 desc, 2 desc`,
  );
}
