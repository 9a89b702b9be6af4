// Incident side effects: the escalation plan, the read model, and what a rule's monitor does with incidents (open
// one per firing episode, fold a new firing into the open one, tell it the rule recovered).
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { firstIncidentRow, listEscalationPolicies, openIncidentOfRule, saveIncidentRow, type IncidentRecord } from '../db/incidents.ts';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { incidentWorkflowId } from '../domain/ids.ts';
import { addRuleFiring, ruleRecovered } from '../workflows/incident.messages.ts';
import { choosePolicy, DEFAULT_INCIDENT_POLICY, type IncidentInput, type IncidentPolicy, type Severity } from '../domain/incident.ts';

export type { IncidentRecord } from '../db/incidents.ts';

/** The incident a rule's firing episode opens: the same id whatever retries happen. */
export function ruleIncidentId(ruleId: string, episode: number): string {
  const h = createHash('sha256').update(`rule:${ruleId}:episode:${episode}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
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
  const openIncidentOf = (ruleId: string) => openIncidentOfRule(orm, ruleId);

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
            args: [
              { ruleId: args.ruleId, episode: args.episode, reason: args.reason, value: args.value, at: new Date(args.at).toISOString() },
            ],
          });
          return { incidentId: open.id, opened: false };
        } catch (err) {
          // Resolved since the row was read, or gone: this firing opens its own incident.
          if (!(err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      const input: IncidentInput = {
        incidentId,
        title: `${args.ruleName}: ${args.reason}`.slice(0, 300),
        severity: args.severity,
        service: args.service,
        labels: args.labels,
        source: { type: 'rule', ruleId: args.ruleId, ruleName: args.ruleName, episode: args.episode },
        description: `The rule "${args.ruleName}" fired: ${args.reason}`,
        triggeredAt: new Date(args.at).toISOString(),
      };
      await saveIncidentRow(orm, firstIncidentRow(input, new Date(args.at).toISOString(), incidentWorkflowId(incidentId)));
      try {
        // A closed incident's id is never run again: an episode opens at most one incident, ever.
        await client.workflow.start('incident', {
          workflowId: incidentWorkflowId(incidentId),
          taskQueue,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
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
        await client.workflow
          .getHandle(open.workflow_id)
          .signal(ruleRecovered, { ruleId: args.ruleId, episode: args.episode, at: new Date(args.at).toISOString() });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return { incidentId: null };
      }
      return { incidentId: open.id };
    },
  };
}
