// A rule's firing episodes, read back from the audit events its monitor writes (rule.fire, rule.recover; both carry
// the episode number), so the console can mark them on the metric's chart.
import type { Orm } from './orm.ts';

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
export async function readRuleEpisodes(orm: Orm, q: { ruleId: string; from: string; to: string; limit: number; offset: number }): Promise<{ items: RuleEpisode[]; total: number }> {
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
      `${overlapping} order by episode desc limit ? offset ?`, [...params, q.limit, q.offset]),
    conn.execute<{ n: number }[]>(`select count(*)::int as n from (${overlapping}) o`, params),
  ]);
  return {
    items: rows.map((r) => ({
      episode: r.episode, firedAt: new Date(r.fired_at).toISOString(), resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
      value: typeof r.value === 'number' ? r.value : null, reason: r.reason,
    })),
    total: count!.n,
  };
}
