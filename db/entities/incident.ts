import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { EscalationLevel, IncidentSource, IncidentStatus, Severity } from '../../domain/incident.ts';

/** The settings key of the incident policy (db/settings.ts gathers every family's into SETTINGS). */
export const incidentPolicy = 'incident_policy';

/**
 * Incident read model for lists, stats and the rule dedup ("is this rule's incident still open?"). The workflow
 * writes it with increasing versions; an older write never overwrites a newer one. Live state and the timeline come
 * from the workflow.
 */
export const Incident = defineEntity({
  name: 'Incident',
  tableName: 'incidents',
  properties: {
    id: p.uuid().primary(),
    workflowId: p.text().unique(),
    title: p.text(),
    severity: p.string().$type<Severity>().index(),
    service: p.text().nullable().index(),
    labels: p.json<Record<string, string>>(),
    status: p.string().$type<IncidentStatus>().index(),
    source: p.json<IncidentSource>(),
    /** Set when a rule opened it: the rule's open incident is found by this. */
    ruleId: p.uuid().nullable().index(),
    openedBy: p.text(),
    commanderId: p.uuid().nullable(),
    policyId: p.uuid().nullable(),
    level: p.integer().default(0),
    pages: p.integer().default(0),
    firings: p.integer().default(0),
    triggeredAt: p.datetime().index(),
    ackDueAt: p.datetime().nullable(),
    acknowledgedAt: p.datetime().nullable(),
    acknowledgedBy: p.uuid().nullable(),
    resolvedAt: p.datetime().nullable(),
    resolvedBy: p.uuid().nullable(),
    closedAt: p.datetime().nullable(),
    postmortemRequired: p.boolean().default(false),
    postmortemDueAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(0),
  },
});
export type Incident = InferEntity<typeof Incident>;

/** Who is paged for an incident, level by level: chosen by service and labels when the incident opens. */
export const EscalationPolicy = defineEntity({
  name: 'EscalationPolicy',
  tableName: 'escalation_policies',
  properties: {
    id: p.uuid().primary(),
    name: p.text().unique(),
    service: p.text().nullable(),
    labels: p.json<Record<string, string>>(),
    levels: p.json<EscalationLevel[]>(),
    repeat: p.integer().default(0),
    createdBy: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(1),
  },
});
export type EscalationPolicy = InferEntity<typeof EscalationPolicy>;
