// Incident side effects: the escalation plan, the read model, and what a rule's monitor does with incidents (open
// one per firing episode, fold a new firing into the open one, tell it the rule recovered).
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { createHash } from 'node:crypto';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { incidentWorkflowId } from '../workflows/ids.ts';
import { addRuleFiring, ruleRecovered } from '../workflows/incident.messages.ts';
import {
  choosePolicy,
  DEFAULT_INCIDENT_POLICY,
  type EscalationPolicySpec,
  type IncidentInput,
  type IncidentPolicy,
  type IncidentState,
  type Severity,
  type StoredEscalationPolicy,
} from '../domain/incident.ts';

/** The list row: the state's own fields that lists, stats and the rule dedup filter on, flattened. */
export type IncidentRecord = Pick<IncidentState,
  'title' | 'severity' | 'service' | 'labels' | 'status' | 'source' | 'commanderId' | 'firings' | 'triggeredAt' | 'ackDueAt'
  | 'acknowledgedAt' | 'acknowledgedBy' | 'resolvedAt' | 'resolvedBy' | 'closedAt'> & {
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
  const openedBy = r.source.type === 'rule' ? `rule:${r.source.ruleId}` : r.source.operatorId;
  await orm.em.getConnection().execute(
    `insert into incidents (id, workflow_id, title, severity, service, labels, status, source, rule_id, opened_by, commander_id,
       policy_id, level, pages, firings, triggered_at, ack_due_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by,
       closed_at, postmortem_required, postmortem_due_at, created_at, updated_at, version)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now(), ?)
     on conflict (id) do update set status = excluded.status, commander_id = excluded.commander_id,
       policy_id = excluded.policy_id, level = excluded.level, pages = excluded.pages, firings = excluded.firings,
       triggered_at = excluded.triggered_at, ack_due_at = excluded.ack_due_at, acknowledged_at = excluded.acknowledged_at,
       acknowledged_by = excluded.acknowledged_by, resolved_at = excluded.resolved_at, resolved_by = excluded.resolved_by,
       closed_at = excluded.closed_at, postmortem_required = excluded.postmortem_required,
       postmortem_due_at = excluded.postmortem_due_at, updated_at = now(), version = excluded.version
     where incidents.version < excluded.version`,
    [r.id, r.workflowId, r.title, r.severity, r.service, JSON.stringify(r.labels), r.status, JSON.stringify(r.source),
      r.source.type === 'rule' ? r.source.ruleId : null, openedBy, r.commanderId, r.policyId, r.level, r.pages, r.firings,
      r.triggeredAt, r.ackDueAt, r.acknowledgedAt, r.acknowledgedBy, r.resolvedAt, r.resolvedBy, r.closedAt,
      r.postmortemRequired, r.postmortemDueAt, r.version]);
}

/** The first row of a new incident (version 0): lists and the rule dedup see it before its workflow has run. */
export const firstIncidentRow = (input: IncidentInput, triggeredAt: string): IncidentRecord => ({
  id: input.incidentId, workflowId: incidentWorkflowId(input.incidentId), title: input.title, severity: input.severity,
  service: input.service, labels: input.labels, status: 'triggered', source: input.source, commanderId: null, policyId: null,
  level: 0, pages: 0, firings: input.source.type === 'rule' ? 1 : 0, triggeredAt, ackDueAt: null, acknowledgedAt: null,
  acknowledgedBy: null, resolvedAt: null, resolvedBy: null, closedAt: null, postmortemRequired: false, postmortemDueAt: null,
  version: 0,
});

/** The incident a rule's firing episode opens: the same id whatever retries happen. */
export function ruleIncidentId(ruleId: string, episode: number): string {
  const h = createHash('sha256').update(`rule:${ruleId}:episode:${episode}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface PolicyRow {
  id: string; name: string; service: string | null; labels: Record<string, string>; levels: EscalationPolicySpec['levels'];
  repeat: number; created_at: Date;
}

export async function listEscalationPolicies(orm: Orm): Promise<StoredEscalationPolicy[]> {
  const rows = await orm.em.getConnection().execute<PolicyRow[]>(
    'select id, name, service, labels, levels, repeat, created_at from escalation_policies order by created_at, id');
  return rows.map((r) => ({ id: r.id, name: r.name, service: r.service, labels: r.labels, levels: r.levels, repeat: r.repeat, createdAt: new Date(r.created_at).toISOString() }));
}

export interface RuleIncidentArgs {
  ruleId: string;
  ruleName: string;
  episode: number;
  severity: Severity;
  service: string | null;
  labels: Record<string, string>;
  reason: string;
  value: number | null;
  at: number;
}

export function createIncidentActivities({ orm, client, taskQueue }: { orm: Orm; client: Client; taskQueue: string }) {
  /** The rule's incident that is not resolved yet, newest first. */
  const openIncidentOf = async (ruleId: string) => (await orm.em.getConnection().execute<{ id: string; workflow_id: string }[]>(
    `select id, workflow_id from incidents where rule_id = ? and status not in ('resolved', 'closed')
     order by triggered_at desc limit 1`, [ruleId]))[0];

  return {
    /** The escalation policy for a new incident and the incident settings that apply to it. */
    async planIncident(args: { service: string | null; labels: Record<string, string>; severity: Severity }) {
      const [policies, settings] = await Promise.all([
        listEscalationPolicies(orm),
        readSetting<IncidentPolicy>(orm, SETTINGS.incidentPolicy, DEFAULT_INCIDENT_POLICY),
      ]);
      return {
        policy: choosePolicy(policies, args),
        ackSla: settings.ackSla[args.severity] ?? null,
        postmortemRequired: settings.postmortemFor.includes(args.severity),
        postmortemDue: settings.postmortemDue,
      };
    },

    async saveIncident(record: IncidentRecord): Promise<void> {
      await saveIncidentRow(orm, record);
    },

    /**
     * A rule fired: its open incident takes the firing into its timeline; with none open (or one resolved meanwhile)
     * a new incident opens, with an id derived from the episode so a retried activity opens it once.
     */
    async openIncidentForRule(args: RuleIncidentArgs): Promise<{ incidentId: string; opened: boolean }> {
      const open = await openIncidentOf(args.ruleId);
      const incidentId = ruleIncidentId(args.ruleId, args.episode);
      if (open && open.id !== incidentId) {
        try {
          await client.workflow.getHandle(open.workflow_id).executeUpdate(addRuleFiring, {
            updateId: `rule:${args.ruleId}:episode:${args.episode}`,
            args: [{ ruleId: args.ruleId, episode: args.episode, reason: args.reason, value: args.value, at: new Date(args.at).toISOString() }],
          });
          return { incidentId: open.id, opened: false };
        } catch (err) {
          // Resolved since the row was read, or gone: this firing opens its own incident.
          if (!(err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      const input: IncidentInput = {
        incidentId, title: `${args.ruleName}: ${args.reason}`.slice(0, 300), severity: args.severity, service: args.service,
        labels: args.labels, source: { type: 'rule', ruleId: args.ruleId, ruleName: args.ruleName, episode: args.episode },
        description: `The rule "${args.ruleName}" fired: ${args.reason}`, triggeredAt: new Date(args.at).toISOString(),
      };
      await saveIncidentRow(orm, firstIncidentRow(input, new Date(args.at).toISOString()));
      try {
        // A closed incident's id is never run again: an episode opens at most one incident, ever.
        await client.workflow.start('incident', {
          workflowId: incidentWorkflowId(incidentId), taskQueue, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return { incidentId, opened: true };
    },

    /** The rule recovered: its open incident hears of it (and suggests resolving); nothing open, nothing to tell. */
    async tellIncidentRuleRecovered(args: { ruleId: string; episode: number; at: number }): Promise<{ incidentId: string | null }> {
      const open = await openIncidentOf(args.ruleId);
      if (!open) return { incidentId: null };
      try {
        await client.workflow.getHandle(open.workflow_id).signal(ruleRecovered, { ruleId: args.ruleId, episode: args.episode, at: new Date(args.at).toISOString() });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return { incidentId: null };
      }
      return { incidentId: open.id };
    },
  };
}
