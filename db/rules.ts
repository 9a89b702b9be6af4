// Rules in PostgreSQL: the stored rule its monitor reloads, the monitor's view in the rules row, a verdict over the
// stored points now, and the firing episodes read back from the monitor's audit events.
import { durationToMs } from '../domain/durations.ts';
import { judgeValues, type Evaluation, type MonitorStatus, type RuleSpec, type StoredRule } from '../domain/monitor.ts';
import { aggregateWindow } from './metrics.ts';
import type { Orm } from './orm.ts';

/**
 * Judges a rule now: its window, and for change_* the window before it, aggregated in PostgreSQL over every point.
 * The monitor's evaluation and the API's dry run.
 */
export async function evaluateNow(orm: Orm, rule: RuleSpec, now = Date.now()): Promise<Evaluation> {
  const windowMs = durationToMs(rule.window as never);
  const window = (from: number, to: number) =>
    aggregateWindow(orm, {
      name: rule.metric,
      labels: rule.labels,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      aggregation: rule.aggregation,
    });
  const [current, previous] = await Promise.all([
    window(now - windowMs, now),
    rule.comparison.startsWith('change_') ? window(now - 2 * windowMs, now - windowMs) : Promise.resolve(null),
  ]);
  return { ...judgeValues(rule, current.value, previous?.value ?? null), at: now, points: current.points };
}

interface RuleRow {
  id: string;
  name: string;
  metric: string;
  labels: Record<string, string>;
  aggregation: string;
  window: string;
  comparison: string;
  threshold: number;
  for: string;
  keep_firing: string;
  no_data: string;
  severity: string;
  action: StoredRule['action'];
  every: string;
  enabled: boolean;
  version: number;
  episodes: number;
}

/** The rule as stored now, or null once it is deleted. */
export async function loadRule(orm: Orm, ruleId: string): Promise<StoredRule | null> {
  const [r] = await orm.em.getConnection().execute<RuleRow[]>('select * from rules where id = ?', [ruleId]);
  if (!r) return null;
  return {
    id: r.id,
    name: r.name,
    metric: r.metric,
    labels: r.labels,
    aggregation: r.aggregation as StoredRule['aggregation'],
    window: r.window,
    comparison: r.comparison as StoredRule['comparison'],
    threshold: Number(r.threshold),
    for: r.for,
    keepFiring: r.keep_firing,
    noData: r.no_data as StoredRule['noData'],
    severity: r.severity as StoredRule['severity'],
    action: r.action,
    every: r.every,
    enabled: r.enabled,
    version: r.version,
    episodes: r.episodes,
  };
}

/** The monitor's view in the rules row (for lists); a deleted rule has none. */
export async function saveMonitorView(
  orm: Orm,
  args: { ruleId: string; status: MonitorStatus; value: number | null; at: number },
): Promise<void> {
  await orm.em
    .getConnection()
    .execute(`update rules set state = ?, state_since = ?, episodes = ?, last_value = ?, last_evaluated_at = ? where id = ?`, [
      args.status.state,
      args.status.since === null ? null : new Date(args.status.since),
      args.status.episodes,
      args.value,
      new Date(args.at),
      args.ruleId,
    ]);
}

// Firing episodes: rule.fire and rule.recover audit events both carry the episode number, so the console can mark
// them on the metric's chart.

export interface RuleEpisode {
  episode: number;
  firedAt: string;
  /** Null while the episode is still firing. */
  resolvedAt: string | null;
  /** The window's value and the reason when it fired. */
  value: number | null;
  reason: string | null;
}

/** Episodes that overlap [from, to), newest first, paged; `total` counts every overlapping one. */
export async function readRuleEpisodes(
  orm: Orm,
  q: { ruleId: string; from: string; to: string; limit: number; offset: number },
): Promise<{ items: RuleEpisode[]; total: number }> {
  const overlapping = `with e as (
       select (details->>'episode')::int as episode,
         min(at) filter (where action = 'rule.fire') as fired_at,
         min(at) filter (where action = 'rule.recover') as resolved_at,
         (array_agg(details->'value' order by id) filter (where action = 'rule.fire'))[1] as value,
         (array_agg(details->>'reason' order by id) filter (where action = 'rule.fire'))[1] as reason
       from audit_events
       where entity_type = 'rule' and entity_id = ? and action in ('rule.fire', 'rule.recover') and details->>'episode' is not null
       group by 1)
     select * from e where fired_at is not null and fired_at < ? and (resolved_at is null or resolved_at >= ?)`;
  const params = [q.ruleId, q.to, q.from];
  const conn = orm.em.getConnection();
  const [rows, [count]] = await Promise.all([
    conn.execute<{ episode: number; fired_at: Date; resolved_at: Date | null; value: unknown; reason: string | null }[]>(
      `${overlapping} order by episode desc limit ? offset ?`,
      [...params, q.limit, q.offset],
    ),
    conn.execute<{ n: number }[]>(`select count(*)::int as n from (${overlapping}) o`, params),
  ]);
  return {
    items: rows.map((r) => ({
      episode: r.episode,
      firedAt: new Date(r.fired_at).toISOString(),
      resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
      value: typeof r.value === 'number' ? r.value : null,
      reason: r.reason,
    })),
    total: count!.n,
  };
}
