// Metric points: written by the API (POST /metrics) and read by people and, later, by the rule monitors.
import { createHash } from 'node:crypto';
import type { Orm } from './orm.ts';

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
  createHash('sha256').update(JSON.stringify([name, canonicalLabels(labels)])).digest('base64url');

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
     returning (xmax = 0) as created`, [JSON.stringify([...unique.values()])]);
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

/** Points of a metric in [from, to), oldest first, across the series whose labels match; at most `limit`. */
export async function readSeries(orm: Orm, q: SeriesQuery): Promise<{ points: StoredPoint[]; truncated: boolean }> {
  const rows = await orm.em.getConnection().execute<{ at: Date; value: number; labels: Record<string, string> }[]>(
    `select at, value, labels from metric_points
     where name = ? and at >= ? and at < ? and labels @> ?::jsonb
     order by at, series_key limit ?`,
    [q.name, q.from, q.to, JSON.stringify(q.labels), q.limit + 1]);
  return {
    points: rows.slice(0, q.limit).map((r) => ({ at: new Date(r.at).toISOString(), value: Number(r.value), labels: r.labels })),
    truncated: rows.length > q.limit,
  };
}
