// Incidents in PostgreSQL: the list row (also what a rule's monitor dedups on) and the escalation policies.
import { raw } from '@mikro-orm/core';
import {
  RESPONDER_ROLES,
  type IncidentInput,
  type IncidentState,
  type StoredEscalationPolicy,
  type EscalationPolicySpec,
} from '../domain/incident.ts';
import { Operator } from './entities/index.ts';
import type { Orm } from './orm.ts';
import { containsPattern } from './sql.ts';
import { NOW, versionedUpsert } from './versioned-upsert.ts';

/** The list row: the state's own fields that lists, stats and the rule dedup filter on, flattened. */
export type IncidentRecord = Pick<
  IncidentState,
  | 'title'
  | 'severity'
  | 'service'
  | 'labels'
  | 'status'
  | 'source'
  | 'commanderId'
  | 'firings'
  | 'triggeredAt'
  | 'ackDueAt'
  | 'acknowledgedAt'
  | 'acknowledgedBy'
  | 'resolvedAt'
  | 'resolvedBy'
  | 'closedAt'
> & {
  id: string;
  workflowId: string;
  policyId: string | null;
  level: number;
  pages: number;
  postmortemRequired: boolean;
  postmortemDueAt: string | null;
  version: number;
};

/** Upserts the list row; versions order the writes, so a late older write (or the API's first row) changes nothing. */
export async function saveIncidentRow(orm: Orm, r: IncidentRecord): Promise<void> {
  await versionedUpsert(
    orm,
    'incidents',
    {
      id: r.id,
      workflow_id: r.workflowId,
      title: r.title,
      severity: r.severity,
      service: r.service,
      labels: JSON.stringify(r.labels),
      status: r.status,
      source: JSON.stringify(r.source),
      rule_id: r.source.type === 'rule' ? r.source.ruleId : null,
      opened_by: r.source.type === 'rule' ? `rule:${r.source.ruleId}` : r.source.operatorId,
      commander_id: r.commanderId,
      policy_id: r.policyId,
      level: r.level,
      pages: r.pages,
      firings: r.firings,
      triggered_at: r.triggeredAt,
      ack_due_at: r.ackDueAt,
      acknowledged_at: r.acknowledgedAt,
      acknowledged_by: r.acknowledgedBy,
      resolved_at: r.resolvedAt,
      resolved_by: r.resolvedBy,
      closed_at: r.closedAt,
      postmortem_required: r.postmortemRequired,
      postmortem_due_at: r.postmortemDueAt,
      created_at: NOW,
      updated_at: NOW,
      version: r.version,
    },
    ['workflow_id', 'title', 'severity', 'service', 'labels', 'source', 'rule_id', 'opened_by', 'created_at'],
  );
}

/**
 * The first row of a new incident (version 0): lists and the rule dedup see it before its workflow (`workflowId`,
 * from workflows/ids.ts) has run.
 */
export const firstIncidentRow = (input: IncidentInput, triggeredAt: string, workflowId: string): IncidentRecord => ({
  id: input.incidentId,
  workflowId,
  title: input.title,
  severity: input.severity,
  service: input.service,
  labels: input.labels,
  status: 'triggered',
  source: input.source,
  commanderId: null,
  policyId: null,
  level: 0,
  pages: 0,
  firings: input.source.type === 'rule' ? 1 : 0,
  triggeredAt,
  ackDueAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  resolvedAt: null,
  resolvedBy: null,
  closedAt: null,
  postmortemRequired: false,
  postmortemDueAt: null,
  version: 0,
});

/** The rule's incident that is not resolved yet, newest first. */
export async function openIncidentOfRule(orm: Orm, ruleId: string): Promise<{ id: string; workflow_id: string } | undefined> {
  const [row] = await orm.em.getConnection().execute<{ id: string; workflow_id: string }[]>(
    `select id, workflow_id from incidents where rule_id = ? and status not in ('resolved', 'closed')
     order by triggered_at desc limit 1`,
    [ruleId],
  );
  return row;
}

/** One page of the active operators with a responder role (whose name contains `q`), by name, and their count. */
export function responderPage(orm: Orm, q: string | undefined, page: { limit: number; offset: number }): Promise<[Operator[], number]> {
  const where = {
    disabled: false,
    roles: { $overlap: [...RESPONDER_ROLES] },
    ...(q ? { name: { $ilike: containsPattern(q) } } : {}),
  };
  return orm.em.findAndCount(Operator, where, {
    orderBy: [{ [raw('lower(name)')]: 'asc' }, { id: 'asc' }],
    limit: page.limit,
    offset: page.offset,
  });
}

interface PolicyRow {
  id: string;
  name: string;
  service: string | null;
  labels: Record<string, string>;
  levels: EscalationPolicySpec['levels'];
  repeat: number;
  created_at: Date;
}

export async function listEscalationPolicies(orm: Orm): Promise<StoredEscalationPolicy[]> {
  const rows = await orm.em
    .getConnection()
    .execute<PolicyRow[]>('select id, name, service, labels, levels, repeat, created_at from escalation_policies order by created_at, id');
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    service: r.service,
    labels: r.labels,
    levels: r.levels,
    repeat: r.repeat,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

/** One row per severity and one overall (severity null): counts, time to acknowledge and resolve (s), the ack SLA. */
export interface IncidentStatsRow {
  severity: string | null;
  total: number;
  open: number;
  acknowledged: number;
  resolved: number;
  tta_mean: number | null;
  tta_p50: number | null;
  tta_p90: number | null;
  tta_max: number | null;
  ttr_mean: number | null;
  ttr_p50: number | null;
  ttr_p90: number | null;
  ttr_max: number | null;
  sla_met: number;
  sla_breached: number;
}

/** Incidents triggered in [from, to), optionally of one service and severity, grouped by severity and overall. */
export async function incidentStats(
  orm: Orm,
  f: { from: string; to: string; service?: string; severity?: string },
): Promise<IncidentStatsRow[]> {
  const tta = 'extract(epoch from acknowledged_at - triggered_at)::float8';
  const ttr = 'extract(epoch from resolved_at - triggered_at)::float8';
  return orm.em.getConnection().execute<IncidentStatsRow[]>(
    `select severity, count(*)::int as total,
     count(*) filter (where status not in ('resolved', 'closed'))::int as open,
     count(acknowledged_at)::int as acknowledged, count(resolved_at)::int as resolved,
     avg(${tta}) as tta_mean, percentile_cont(0.5) within group (order by ${tta}) as tta_p50,
     percentile_cont(0.9) within group (order by ${tta}) as tta_p90, max(${tta}) as tta_max,
     avg(${ttr}) as ttr_mean, percentile_cont(0.5) within group (order by ${ttr}) as ttr_p50,
     percentile_cont(0.9) within group (order by ${ttr}) as ttr_p90, max(${ttr}) as ttr_max,
     count(*) filter (where ack_due_at is not null and acknowledged_at <= ack_due_at)::int as sla_met,
     count(*) filter (where ack_due_at is not null and (acknowledged_at > ack_due_at
       or (acknowledged_at is null and ack_due_at < now())))::int as sla_breached
   from incidents
   where triggered_at >= ? and triggered_at < ? and (?::text is null or service = ?) and (?::text is null or severity = ?)
   group by grouping sets ((severity), ())`,
    [f.from, f.to, f.service ?? null, f.service ?? null, f.severity ?? null, f.severity ?? null],
  );
}
