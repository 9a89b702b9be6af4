// KPI rollups: the figures of db/kpis.ts read from small tables that a statement-level trigger on customer_events
// keeps in the statement that stores the events (migrations/Migration20261203162000_kpi_rollups.ts), per reporting
// time zone, so any writer (the API's ingest, a bulk COPY) keeps them and a 90-day report reads a few thousand rows.
//
// How they stay exact (the integration tests compare every figure with the raw computation):
// - kpi_active_days holds each customer's active local days; kpi_day_gaps counts the pairs (day, previous active
//   day) over all customers, plus ('infinity', last day). A customer is active in [F, T] exactly once with a day in
//   [F, T] whose previous day is before F, so distinct counts over any range (WAU, MAU, the range's active
//   customers) are sums over that small table; a late event between two known days re-links the pair.
// - Cohorts hang on the customer's first signup event wherever it arrives in the stream: an earlier one moves them
//   to its day's cohort with their retention and conversion worked out again; later activity or purchases set the
//   flags once.
// - Writers of one customer serialize on an advisory lock, so concurrent batches cannot corrupt the chains.
import type { Orm } from './orm.ts';

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
 * The figures of KPI_SQL (db/kpis.ts, same columns) from the rollups. WAU and MAU run from the range's first day: a
 * customer enters the N-day count on an active day whose previous one is N or more days back (or none), and leaves
 * N days after an active day whose next one is N or more days on (or none).
 */
export const KPI_ROLLUP_SQL = `
with g as (
  select day, prev_day, n from kpi_day_gaps where tz = $tz and day between $from::date - 29 and $to::date
),
x as (
  select day, prev_day, n from kpi_day_gaps where tz = $tz and prev_day between $from::date - 29 and $to::date - 7
),
init as (
  select coalesce(sum(n) filter (where day >= $from::date - 6 and prev_day < $from::date - 6), 0) as w,
    coalesce(sum(n) filter (where prev_day < $from::date - 29), 0) as m
  from g where day <= $from::date
),
ent as (
  select day, sum(n) as dau, coalesce(sum(n) filter (where prev_day <= day - 7), 0) as e7,
    coalesce(sum(n) filter (where prev_day <= day - 30), 0) as e30,
    coalesce(sum(n) filter (where prev_day < $from::date), 0) as first_in_range
  from g where day >= $from::date group by day
),
ext as (
  select d, coalesce(sum(x7), 0) as x7, coalesce(sum(x30), 0) as x30 from (
    select prev_day + 7 as d, sum(n) filter (where day >= prev_day + 7) as x7, 0 as x30 from x group by prev_day
    union all select prev_day + 30, 0, sum(n) filter (where day >= prev_day + 30) from x group by prev_day
  ) u where d > $from::date and d <= $to::date group by d
),
daily as (
  select s.day::date as day, coalesce(e.dau, 0) as dau,
    (select w from init) + sum(case when s.day > $from::date then coalesce(e.e7, 0) - coalesce(t.x7, 0) else 0 end) over run as wau,
    (select m from init) + sum(case when s.day > $from::date then coalesce(e.e30, 0) - coalesce(t.x30, 0) else 0 end) over run as mau,
    coalesce(e.first_in_range, 0) as first_in_range,
    coalesce(c.size, 0) as signups,
    case when (s.day::date + 2)::timestamp at time zone $tz <= $now::timestamptz then round(c.r1::numeric / c.size, 4) end as d1,
    case when (s.day::date + 8)::timestamp at time zone $tz <= $now::timestamptz then round(c.r7::numeric / c.size, 4) end as d7,
    case when (s.day::date + 31)::timestamp at time zone $tz <= $now::timestamptz then round(c.r30::numeric / c.size, 4) end as d30,
    round(c.converted::numeric / c.size, 4) as conversion,
    coalesce(k.purchases, 0) as purchases, coalesce(k.gmv, 0) as gmv
  from generate_series($from::date, $to::date, interval '1 day') s(day)
  left join ent e on e.day = s.day::date
  left join ext t on t.d = s.day::date
  left join kpi_days k on k.tz = $tz and k.day = s.day::date
  left join kpi_cohorts c on c.tz = $tz and c.day = s.day::date and c.size > 0
  window run as (order by s.day)
),
totals as (
  select sum(gmv) as all_gmv, sum(purchases) as all_purchases, sum(signups) as all_signups, sum(first_in_range) as all_active
  from daily
)
${KPI_ANSWER}`;
