// KPI rollups: the figures of db/kpis.ts read from small tables that a statement-level trigger on customer_events
// keeps in the statement that stores the events (migrations/Migration20261203162000_kpi_rollups.ts,
// Migration20261203224000_kpi_day_actives.ts and Migration20261204050000_kpi_rollups_keyed.ts), per reporting time
// zone, so any writer (the API's ingest, a bulk COPY) keeps them and a 90-day report reads about 120 rows of kpi_days
// and 90 of kpi_cohorts whatever the event count.
//
// How they stay exact (the integration tests compare every figure with the raw computation):
// - kpi_active_days holds each customer's active local days; kpi_days, one row per day, holds the day's purchases
//   and `actives`, where actives[i] counts the customers active that day whose previous active day is i or more days
//   before (or none), i = 1..366. A customer is active in [F, T] exactly once with a day d in [F, T] whose previous
//   day is before F, that is i = d - F + 1 or more days before d, so distinct counts over any range of at most 366
//   days (WAU, MAU, the range's active customers) are sums of one element per day; a late event between two known
//   days changes the next day's gap.
// - Cohorts hang on the customer's first signup event wherever it arrives in the stream: an earlier one moves them
//   to its day's cohort with their retention and conversion worked out again; later activity or purchases set the
//   flags once.
// - Writers of one customer serialize on an advisory lock, so concurrent batches cannot corrupt the chains. The
//   trigger never waits for one: the events of a customer another writer holds go to kpi_deferred_events, which
//   foldDeferredKpiEvents applies later (Migration20261204160000_kpi_deferred_events). Readers fold first, so an
//   answer holds every committed event; the event dispatchers fold after each run, so few are left for them.
// - A batch's cost follows its own events, not the customers stored: the trigger reads each customer's rows with a
//   probe of the key (never a join the planner could turn into a scan), and writes the day's shared kpi_days and
//   kpi_cohorts rows, which concurrent batches queue on until commit, last.
import type { Orm } from './orm.ts';

/** Deferred events one fold statement applies (its customers' locks are then never more than the lock table's share). */
const FOLD_PAGE = 1000;

/**
 * Applies the events the trigger deferred (their customer's lock was held by another writer), a page per
 * transaction, and answers how many. `wait`, for a reader, which needs every committed event in: it waits for another
 * fold's pages and for the customers' writers to commit. Otherwise (background upkeep) it never waits: it passes over
 * both, leaving them for a later fold.
 */
export async function foldDeferredKpiEvents(orm: Orm, opts: { wait: boolean }): Promise<number> {
  const conn = orm.em.getConnection();
  let folded = 0;
  for (;;) {
    const [row] = await conn.execute<{ n: number }[]>('select kpi_fold_deferred(?, ?) as n', [FOLD_PAGE, opts.wait]);
    folded += row!.n;
    if (row!.n < FOLD_PAGE) return folded;
  }
}

/** Whether `tz` has complete rollups (a zone being backfilled does not yet). */
export async function hasRollups(orm: Orm, tz: string): Promise<boolean> {
  const [row] = await orm.em.getConnection().execute<{ ready: boolean }[]>('select ready from kpi_zones where tz = ?', [tz]);
  return row?.ready ?? false;
}

export interface KpiZone {
  tz: string;
  ready: boolean;
  addedAt: string;
  readyAt: string | null;
}

export async function listKpiZones(orm: Orm): Promise<KpiZone[]> {
  const rows = await orm.em
    .getConnection()
    .execute<{ tz: string; ready: boolean; added_at: string | Date; ready_at: string | Date | null }[]>(
      'select tz, ready, added_at, ready_at from kpi_zones order by tz',
    );
  const iso = (t: string | Date) => new Date(t).toISOString();
  return rows.map((r) => ({ tz: r.tz, ready: r.ready, addedAt: iso(r.added_at), readyAt: r.ready_at === null ? null : iso(r.ready_at) }));
}

/**
 * Makes `tz` a reporting zone: from now on the trigger keeps it for new events; the customers stored before need a
 * backfill (backfillKpiZone). Answers whether it was new.
 */
export async function addKpiZone(orm: Orm, tz: string): Promise<boolean> {
  const rows = await orm.em
    .getConnection()
    .execute<unknown[]>('insert into kpi_zones (tz, ready) values (?, false) on conflict (tz) do nothing returning tz', [tz]);
  return rows.length > 0;
}

/**
 * Rebuilds the next `batch` customers after `after` (customer ids in order) in `tz` from their stored events;
 * answers the last id done, or null when there were none left (then the zone is marked ready). Resumable from any
 * cursor: a customer rebuilt twice ends the same.
 */
export async function backfillKpiZoneBatch(orm: Orm, tz: string, after: string | null, batch: number): Promise<string | null> {
  const conn = orm.em.getConnection();
  const ids = await conn.execute<{ customer_id: string }[]>(
    `select distinct customer_id from customer_events where (?::uuid is null or customer_id > ?::uuid)
     order by customer_id limit ?`,
    [after, after, batch],
  );
  if (ids.length === 0) {
    await conn.execute('update kpi_zones set ready = true, ready_at = now() where tz = ? and not ready', [tz]);
    return null;
  }
  const list = `{${ids.map((r) => r.customer_id).join(',')}}`;
  await orm.em.fork().transactional(async (em) => {
    await em.getConnection().execute('select kpi_rebuild_customers(?, ?::uuid[])', [tz, list], 'all', em.getTransactionContext());
  });
  return ids.at(-1)!.customer_id;
}

/** The answer's columns from the `daily` and `totals` rows both computations end with (rounded as the API gives them). */
export const KPI_ANSWER = `
select to_char(day, 'YYYY-MM-DD') as date, dau::int, wau::int, mau::int, signups::int, d1::float8, d7::float8,
  d30::float8, conversion::float8, purchases::int, round(gmv, 2)::float8 as gmv,
  round(gmv / nullif(dau, 0), 2)::float8 as arpu,
  round(all_gmv, 2)::float8 as total_gmv, all_purchases::int as total_purchases, all_signups::int as total_signups,
  all_active::int as total_active, round(all_gmv / nullif(all_active, 0), 2)::float8 as total_arpu
from daily cross join totals order by day`;

/**
 * The figures of RAW_SQL (db/kpis.ts, same columns) from the rollups, reading one kpi_days row per day of the range
 * and the 29 before it. Customers active at all in [F, T] are the sum over d in [F, T] of actives_d[d - F + 1] (those
 * active on d whose previous active day is before F): WAU and MAU are that over the 7 and 30 days ending each day,
 * the total over the range.
 */
export const KPI_ROLLUP_SQL = `
with k as (
  select day, actives, purchases, gmv from kpi_days where tz = $tz and day between $from::date - 29 and $to::date
),
days as (select d::date as day from generate_series($from::date, $to::date, interval '1 day') d),
figures as (
  select s.day,
    coalesce(sum(k.actives[1]) filter (where k.day = s.day), 0) as dau,
    coalesce(sum(k.actives[k.day - s.day + 7]) filter (where k.day >= s.day - 6), 0) as wau,
    coalesce(sum(k.actives[k.day - s.day + 30]), 0) as mau,
    coalesce(sum(k.actives[k.day - $from::date + 1]) filter (where k.day = s.day), 0) as first_in_range,
    coalesce(sum(k.purchases) filter (where k.day = s.day), 0) as purchases,
    coalesce(sum(k.gmv) filter (where k.day = s.day), 0) as gmv
  from days s left join k on k.day between s.day - 29 and s.day
  group by s.day
),
daily as (
  select f.day, f.dau, f.wau, f.mau, f.first_in_range, coalesce(c.size, 0) as signups,
    case when (f.day + 2)::timestamp at time zone $tz <= $now::timestamptz then round(c.r1::numeric / c.size, 4) end as d1,
    case when (f.day + 8)::timestamp at time zone $tz <= $now::timestamptz then round(c.r7::numeric / c.size, 4) end as d7,
    case when (f.day + 31)::timestamp at time zone $tz <= $now::timestamptz then round(c.r30::numeric / c.size, 4) end as d30,
    round(c.converted::numeric / c.size, 4) as conversion, f.purchases, f.gmv
  from figures f
  left join kpi_cohorts c on c.tz = $tz and c.day = f.day and c.size > 0
),
totals as (
  select sum(gmv) as all_gmv, sum(purchases) as all_purchases, sum(signups) as all_signups, sum(first_in_range) as all_active
  from daily
)
${KPI_ANSWER}`;
