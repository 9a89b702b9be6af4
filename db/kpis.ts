// Daily KPIs from customer_events. A plain function over the ORM so the API and, later, metric rules compute the
// same figures the same way.
//
// Definitions (days are calendar days in `tz`; `from` and `to` inclusive):
// - active: a customer with at least one event of any type that day.
// - dau: distinct active customers that day; wau / mau: distinct customers active in the 7 / 30 days ending that day.
// - signups: customers whose first signup event falls that day. They are the day's cohort, so signups is the cohort
//   size of retention and conversion; a repeated signup event never puts a customer in a second cohort.
// - retention.dN (N = 1, 7, 30): share of the cohort active on exactly day signup + N. null when the cohort is empty
//   or day signup + N has not ended as of `now` (a partial day would understate it).
// - conversion: share of the cohort with a purchase at or after their signup and no later than the end of day
//   signup + 30. null when the cohort is empty; for cohorts younger than that the window is still open, so the figure
//   can still rise.
// - purchases / gmv: count and sum of amount of purchase events that day; arpu: gmv / dau (average revenue per active
//   user, daily), null when dau is 0.
// - totals over [from, to]: gmv, purchases, signups, activeCustomers (distinct over the whole range) and
//   arpu = gmv / activeCustomers.
// Money is rounded to 2 decimals, rates to 4.
//
// A reporting zone with rollups (db/kpi-rollups.ts) answers from them; any other zone from the raw events, which
// stays the reference the rollups are tested against.
import { z } from 'zod';
import { foldDeferredKpiEvents, hasRollups, KPI_ANSWER, KPI_ROLLUP_SQL } from './kpi-rollups.ts';
import type { Orm } from './orm.ts';

// The rollups' per-day `actives` arrays count gaps up to 366 days (migrations/Migration20261203224000_kpi_day_actives.ts):
// a longer range needs longer arrays.
export const KPI_MAX_DAYS = 366;
const DAY_MS = 86_400_000;

/**
 * An IANA zone name that both ICU and PostgreSQL understand. The shape check keeps out the offset strings ICU
 * also accepts ("+05:00"), which PostgreSQL reads as POSIX offsets with the sign flipped.
 */
export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The range a KPI report covers; the API uses it as its query schema, so both refuse the same input. */
export const kpiRange = z
  .object({
    from: z.iso.date().describe('first day, YYYY-MM-DD (inclusive)'),
    to: z.iso.date().describe(`last day, YYYY-MM-DD (inclusive); on or after from, at most ${KPI_MAX_DAYS} days in all`),
    tz: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone name, e.g. Asia/Shanghai')
      .default('UTC')
      .describe('IANA time zone whose calendar days the figures use (default UTC)'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const days = (Date.parse(r.to) - Date.parse(r.from)) / DAY_MS + 1;
    if (days < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be on or after from' });
    else if (days > KPI_MAX_DAYS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `the range may span at most ${KPI_MAX_DAYS} days` });
  });
export type KpiRange = z.input<typeof kpiRange>;

export interface KpiDay {
  date: string;
  dau: number;
  wau: number;
  mau: number;
  signups: number;
  retention: { d1: number | null; d7: number | null; d30: number | null };
  conversion: number | null;
  purchases: number;
  gmv: number;
  arpu: number | null;
}

export interface KpiReport {
  from: string;
  to: string;
  tz: string;
  /** Where the figures came from: the zone's rollups, or the raw events (a zone without rollups). */
  source: 'rollup' | 'raw';
  days: KpiDay[];
  totals: { gmv: number; purchases: number; signups: number; activeCustomers: number; arpu: number | null };
}

// One statement over one read of the events: `at` (indexed) in [from - 30 days, to + 31 days) local, since the 30
// days before `from` feed MAU and the 30 days after `to` feed retention and conversion. The events collapse at once
// into one row per customer and active day (`act`), and every figure is computed from those rows.
// WAU/MAU without a join per day: a customer enters the N-day count on an active day that follows a gap of N days
// or more (or none) and leaves it N days after an active day followed by such a gap, so a running sum of those
// entries and exits over the days counts distinct customers.
const RAW_SQL = `
with act as (
  select customer_id, (at at time zone $tz)::date as day,
    min(at) filter (where type = 'signup') as signup_at,
    count(*) filter (where type = 'purchase') as purchases,
    coalesce(sum(amount) filter (where type = 'purchase'), 0) as gmv,
    max(at) filter (where type = 'purchase') as last_purchase_at,
    (at at time zone $tz)::date - lag((at at time zone $tz)::date) over w as before,
    lead((at at time zone $tz)::date) over w - (at at time zone $tz)::date as after
  from customer_events
  where at >= ($from::date - 30)::timestamp at time zone $tz and at < ($to::date + 31)::timestamp at time zone $tz
  group by 1, 2
  window w as (partition by customer_id order by (at at time zone $tz)::date)
),
moves as (
  select day, sum(w) as w, sum(m) as m from (
    select day, count(*) filter (where before is null or before >= 7) as w,
      count(*) filter (where before is null or before >= 30) as m from act group by day
    union all select day + 7, -count(*), 0 from act where after is null or after >= 7 group by day
    union all select day + 30, 0, -count(*) from act where after is null or after >= 30 group by day
  ) x group by day
),
series as (
  select s.day::date as day, sum(coalesce(m.w, 0)) over running as wau, sum(coalesce(m.m, 0)) over running as mau
  from generate_series($from::date - 30, $to::date, interval '1 day') s(day) left join moves m on m.day = s.day::date
  window running as (order by s.day)
),
per_day as (select day, count(*) as dau, sum(purchases) as purchases, sum(gmv) as gmv from act group by day),
cohort as (
  select s.* from (
    select distinct on (customer_id) customer_id, day, signup_at from act where signup_at is not null order by customer_id, day
  ) s
  where s.day between $from::date and $to::date and not exists (
    select 1 from customer_events x where x.customer_id = s.customer_id and x.type = 'signup'
      and x.at < ($from::date - 30)::timestamp at time zone $tz)
),
members as (
  select c.day, bool_or(a.day = c.day + 1) as r1, bool_or(a.day = c.day + 7) as r7, bool_or(a.day = c.day + 30) as r30,
    coalesce(bool_or(a.last_purchase_at >= c.signup_at), false) as converted
  from cohort c join act a on a.customer_id = c.customer_id and a.day between c.day and c.day + 30
  group by c.customer_id, c.day
),
cohorts as (
  select day, count(*) as size, count(*) filter (where r1) as r1, count(*) filter (where r7) as r7,
    count(*) filter (where r30) as r30, count(*) filter (where converted) as converted
  from members group by day
),
daily as (
  select s.day, coalesce(p.dau, 0) as dau, s.wau, s.mau, coalesce(c.size, 0) as signups,
    case when (s.day + 2)::timestamp at time zone $tz <= $now::timestamptz then round(c.r1::numeric / c.size, 4) end as d1,
    case when (s.day + 8)::timestamp at time zone $tz <= $now::timestamptz then round(c.r7::numeric / c.size, 4) end as d7,
    case when (s.day + 31)::timestamp at time zone $tz <= $now::timestamptz then round(c.r30::numeric / c.size, 4) end as d30,
    round(c.converted::numeric / c.size, 4) as conversion,
    coalesce(p.purchases, 0) as purchases, coalesce(p.gmv, 0) as gmv
  from series s
  left join per_day p on p.day = s.day
  left join cohorts c on c.day = s.day
  where s.day >= $from::date
),
totals as (
  select sum(gmv) as all_gmv, sum(purchases) as all_purchases, sum(signups) as all_signups,
    (select count(*) from (select distinct customer_id from act where day between $from::date and $to::date) a) as all_active
  from daily
)
${KPI_ANSWER}`;

type Row = Omit<KpiDay, 'retention'> &
  KpiDay['retention'] & {
    total_gmv: number;
    total_purchases: number;
    total_signups: number;
    total_active: number;
    total_arpu: number | null;
  };

/**
 * Daily KPIs for [from, to] in `tz`; `now` decides which retention days have fully happened (default: the clock).
 * From the zone's rollups when it has them, else from the raw events.
 */
export async function computeKpis(orm: Orm, input: KpiRange & { now?: Date }): Promise<KpiReport> {
  const range = kpiRange.parse({ from: input.from, to: input.to, tz: input.tz });
  if (!(await hasRollups(orm, range.tz))) return runKpis(orm, 'raw', range, input.now);
  await foldDeferredKpiEvents(orm, { wait: true });
  return runKpis(orm, 'rollup', range, input.now);
}

/** The same figures from the raw events, whatever the zone: the reference for the rollups. */
export async function computeKpisRaw(orm: Orm, input: KpiRange & { now?: Date }): Promise<KpiReport> {
  return runKpis(orm, 'raw', kpiRange.parse({ from: input.from, to: input.to, tz: input.tz }), input.now);
}

async function runKpis(orm: Orm, source: KpiReport['source'], range: z.output<typeof kpiRange>, now = new Date()): Promise<KpiReport> {
  const { from, to, tz } = range;
  const values: Record<string, string> = { $from: from, $to: to, $tz: tz, $now: now.toISOString() };
  // MikroORM binds positional `?` only; named markers keep the statement readable.
  const params: string[] = [];
  const sql = (source === 'rollup' ? KPI_ROLLUP_SQL : RAW_SQL).replace(/\$(from|to|tz|now)\b/g, (name) => {
    params.push(values[name]!);
    return '?';
  });
  const rows = await orm.em
    .getConnection()
    .execute<Row[]>(sql, params)
    .catch((err: unknown) => {
      // ICU still accepts a few retired aliases that PostgreSQL's time zone database dropped (US/Pacific-New).
      if ((err as { code?: string }).code === '22023' && /time zone/.test(String(err))) {
        throw new z.ZodError([{ code: 'custom', path: ['tz'], message: 'is not a time zone the database knows', input: tz }]);
      }
      throw err;
    });
  const first = rows[0]!;
  return {
    from,
    to,
    tz,
    source,
    days: rows.map((r) => ({
      date: r.date,
      dau: r.dau,
      wau: r.wau,
      mau: r.mau,
      signups: r.signups,
      retention: { d1: r.d1, d7: r.d7, d30: r.d30 },
      conversion: r.conversion,
      purchases: r.purchases,
      gmv: r.gmv,
      arpu: r.arpu,
    })),
    totals: {
      gmv: first.total_gmv,
      purchases: first.total_purchases,
      signups: first.total_signups,
      activeCustomers: first.total_active,
      arpu: first.total_arpu,
    },
  };
}

/** Whether PostgreSQL knows this zone name (ICU keeps a few names PostgreSQL dropped); other errors propagate. */
export async function databaseKnowsZone(orm: Orm, tz: string): Promise<boolean> {
  return orm.em
    .getConnection()
    .execute('select now() at time zone ?', [tz])
    .then(
      () => true,
      (err: unknown) => {
        if ((err as { code?: string }).code === '22023') return false;
        throw err;
      },
    );
}
