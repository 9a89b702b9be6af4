// Metric points: written by the API (POST /metrics) and read by people and, later, by the rule monitors.
import { createHash } from 'node:crypto';
import { computeKpis, KPI_MAX_DAYS, type KpiDay } from './kpis.ts';
import type { Orm } from './orm.ts';
import { textArray } from './sql.ts';
import { aggregate, type Aggregation } from '../domain/monitor.ts';

export interface PointIn {
  name: string;
  value: number;
  /** ISO instant. */
  at: string;
  labels: Record<string, string>;
}

/** Labels in key order, so `{a, b}` and `{b, a}` are one series. */
export const canonicalLabels = (labels: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The series a point belongs to: its name and its labels. */
export const seriesKey = (name: string, labels: Record<string, string>): string =>
  createHash('sha256')
    .update(JSON.stringify([name, canonicalLabels(labels)]))
    .digest('base64url');

/**
 * Stores a batch in one statement. A point for a series and instant already stored replaces its value (a retried push
 * counts once); within a batch the last point for a series and instant wins. Answers how many were new.
 */
export async function writePoints(orm: Orm, points: PointIn[]): Promise<{ created: number; updated: number }> {
  const unique = new Map<string, Record<string, unknown>>();
  for (const p of points) {
    const key = seriesKey(p.name, p.labels);
    const at = new Date(p.at).toISOString();
    unique.set(`${key}@${at}`, { name: p.name, series_key: key, labels: canonicalLabels(p.labels), at, value: p.value });
  }
  if (unique.size === 0) return { created: 0, updated: 0 };
  const rows = await orm.em.getConnection().execute<{ created: boolean }[]>(
    `insert into metric_points (name, series_key, labels, at, value, received_at)
     select r.name, r.series_key, r.labels, r.at, r.value, now()
     from jsonb_to_recordset(?::jsonb) as r(name text, series_key text, labels jsonb, at timestamptz, value float8)
     on conflict (series_key, at) do update set value = excluded.value, received_at = excluded.received_at
     returning (xmax = 0) as created`,
    [JSON.stringify([...unique.values()])],
  );
  const created = rows.filter((r) => r.created).length;
  return { created, updated: rows.length - created };
}

export interface SeriesQuery {
  name: string;
  from: string;
  to: string;
  /** Every one of these labels must match. */
  labels: Record<string, string>;
  limit: number;
}

export interface StoredPoint {
  at: string;
  value: number;
  labels: Record<string, string>;
}

/**
 * The KPIs computed from customer events (db/kpis.ts), readable as metrics without labels: one point per UTC day, at
 * the day's start (today's point is the day so far); a day without a value (retention not yet due) has no point.
 */
export const KPI_METRICS: Record<string, (d: KpiDay) => number | null> = {
  'kpi.dau': (d) => d.dau,
  'kpi.wau': (d) => d.wau,
  'kpi.mau': (d) => d.mau,
  'kpi.signups': (d) => d.signups,
  'kpi.purchases': (d) => d.purchases,
  'kpi.gmv': (d) => d.gmv,
  'kpi.arpu': (d) => d.arpu,
  'kpi.conversion': (d) => d.conversion,
  'kpi.retention_d1': (d) => d.retention.d1,
  'kpi.retention_d7': (d) => d.retention.d7,
  'kpi.retention_d30': (d) => d.retention.d30,
};

async function readKpi(
  orm: Orm,
  q: SeriesQuery,
  pick: (d: KpiDay) => number | null,
): Promise<{ points: StoredPoint[]; truncated: boolean }> {
  if (Object.keys(q.labels).length > 0) return { points: [], truncated: false };
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const fromMs = Date.parse(q.from);
  const toMs = Math.max(fromMs, Date.parse(q.to) - 1);
  // Days that start inside [from, to), at most the KPIs' own limit (the latest ones).
  const first = Math.max(Math.ceil(fromMs / 86_400_000), Math.floor(toMs / 86_400_000) - KPI_MAX_DAYS + 1) * 86_400_000;
  if (first > toMs) return { points: [], truncated: false };
  const report = await computeKpis(orm, { from: day(first), to: day(toMs), tz: 'UTC' });
  const points = report.days.flatMap((d) => {
    const value = pick(d);
    return value === null ? [] : [{ at: `${d.date}T00:00:00.000Z`, value, labels: {} }];
  });
  return { points: points.slice(0, q.limit), truncated: points.length > q.limit };
}

/** Points of a metric in [from, to), oldest first, across the series whose labels match; at most `limit`. */
export async function readSeries(orm: Orm, q: SeriesQuery): Promise<{ points: StoredPoint[]; truncated: boolean }> {
  const kpi = KPI_METRICS[q.name];
  if (kpi) return readKpi(orm, q, kpi);
  const rows = await orm.em.getConnection().execute<{ at: Date; value: number; labels: Record<string, string> }[]>(
    `select at, value, labels from metric_points
     where name = ? and at >= ? and at < ? and labels @> ?::jsonb
     order by at, series_key limit ?`,
    [q.name, q.from, q.to, JSON.stringify(q.labels), q.limit + 1],
  );
  return {
    points: rows.slice(0, q.limit).map((r) => ({ at: new Date(r.at).toISOString(), value: Number(r.value), labels: r.labels })),
    truncated: rows.length > q.limit,
  };
}

/**
 * A metric's aggregate over [from, to) across the series whose labels match, computed in PostgreSQL over every point
 * (nothing is read into the process, nothing is cut off). rate: each series' increase (a drop is a counter reset:
 * the new value counts as the increase), summed over the series, per second of the window; null when no series has
 * two points. Null when the window is empty. KPIs (kpi.*) are aggregated from their daily points.
 */
export async function aggregateWindow(
  orm: Orm,
  q: Omit<SeriesQuery, 'limit'> & { aggregation: Aggregation },
): Promise<{ value: number | null; points: number }> {
  const windowSeconds = (Date.parse(q.to) - Date.parse(q.from)) / 1000;
  if (KPI_METRICS[q.name]) {
    const { points } = await readSeries(orm, { ...q, limit: KPI_MAX_DAYS });
    const value = aggregate(
      points.map((p) => ({ at: Date.parse(p.at), value: p.value })),
      q.aggregation,
      windowSeconds * 1000,
    );
    return { value, points: points.length };
  }
  const where = 'name = ? and at >= ? and at < ? and labels @> ?::jsonb';
  const params = [q.name, q.from, q.to, JSON.stringify(q.labels)];
  const conn = orm.em.getConnection();
  if (q.aggregation === 'rate') {
    const [row] = await conn.execute<{ n: number; increase: number | null; paired: number }[]>(
      `select count(*)::int as n, sum(case when prev is null then null when value >= prev then value - prev else value end)::float8 as increase,
         count(prev)::int as paired
       from (select value, lag(value) over (partition by series_key order by at) as prev from metric_points where ${where}) s`,
      params,
    );
    return { value: row!.paired === 0 ? null : row!.increase! / windowSeconds, points: row!.n };
  }
  if (q.aggregation === 'last') {
    const [row] = await conn.execute<{ n: number; last: number | null }[]>(
      `select (select count(*)::int from metric_points where ${where}) as n,
         (select value::float8 from metric_points where ${where} order by at desc, series_key desc limit 1) as last`,
      [...params, ...params],
    );
    return { value: row!.n === 0 ? null : row!.last, points: row!.n };
  }
  const [row] = await conn.execute<{ n: number; value: number | null }[]>(
    `select count(*)::int as n, ${q.aggregation}(value)::float8 as value from metric_points where ${where}`,
    params,
  );
  return { value: row!.n === 0 ? null : row!.value, points: row!.n };
}

/** Each named metric's sum over the points carrying all `labels`, in [from, to) (a partner's period figures). */
export async function metricSums(
  orm: Orm,
  q: { names: string[]; labels: Record<string, string>; from: string; to: string },
): Promise<{ name: string; total: number }[]> {
  return orm.em.getConnection().execute<{ name: string; total: number }[]>(
    `select name, sum(value)::float8 as total from metric_points
     where name = any(?::text[]) and labels @> ?::jsonb and at >= ? and at < ? group by name`,
    [`{${q.names.join(',')}}`, JSON.stringify(q.labels), q.from, q.to],
  );
}

/** The ids of the enabled rules watching any of these metrics. */
export async function enabledRuleIdsFor(orm: Orm, metricNames: readonly string[]): Promise<string[]> {
  const rows = await orm.em
    .getConnection()
    .execute<{ id: string }[]>('select id from rules where enabled and metric = any(?::text[])', [textArray(metricNames)]);
  return rows.map((r) => r.id);
}
