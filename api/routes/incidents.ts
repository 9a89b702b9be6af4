// Incidents: opened by hand (or by a rule's monitor), acknowledged, commanded, updated, resolved, postmortems; the
// list and the stats from PostgreSQL, one incident's live state and timeline from its workflow.
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { firstIncidentRow, incidentStats, responderPage, saveIncidentRow, type IncidentStatsRow } from '../../db/incidents.ts';
import { operatorNames } from '../../db/operators.ts';
import { Incident, Operator } from '../../db/entities/index.ts';
import { incidentWorkflowId } from '../../domain/ids.ts';
import {
  ackIncident,
  addIncidentNote,
  getIncident,
  resolveIncident,
  setIncidentCommander,
  submitPostmortem,
} from '../../workflows/incident.messages.ts';
import {
  INCIDENT_STATUSES,
  PROGRESS_STATUSES,
  RESPONDER_ROLES,
  SEVERITIES,
  type IncidentInput,
  type IncidentState,
} from '../../domain/incident.ts';
import type { incident } from '../../workflows/incident.ts';
import { ROLES, type Actor } from '../../domain/actors.ts';
import type { ApiDeps } from '../app.ts';
import { badRequest, unprocessable } from '../errors.ts';
import { defineRoute, iso, type RouteRegistry } from '../http.ts';
import { workflowResource } from '../resource.ts';
import { durationBetween, idParams, instant, labels, pageQuery, service } from '../schemas.ts';

const READERS = ['admin', 'ops_manager', 'oncall', 'analyst'] as const;
const DAY = 86_400_000;

const text = (max: number) => z.string().trim().min(1).max(max);

const levelOut = z.object({ targets: z.array(z.record(z.string(), z.string())), wait: z.string().optional() });
const timelineOut = z.object({
  at: z.string(),
  type: z.string(),
  actorId: z.string().nullable(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

const incidentOut = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  service: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  status: z.enum(INCIDENT_STATUSES),
  trigger: z
    .record(z.string(), z.unknown())
    .describe('what opened it: {type: manual, operatorId} or {type: rule, ruleId, ruleName, episode}'),
  commanderId: z.string().nullable(),
  escalation: z
    .object({
      policyId: z.string().nullable(),
      policyName: z.string(),
      levels: z.array(levelOut),
      repeat: z.number(),
      level: z.number().describe('the level paged last'),
      pass: z.number(),
      pages: z.number(),
      exhausted: z.boolean(),
      nextPageAt: z.string().nullable(),
    })
    .nullable(),
  ackSla: z.string().nullable(),
  ackDueAt: z.string().nullable(),
  triggeredAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable(),
  closedAt: z.string().nullable(),
  firings: z.number(),
  timeToAcknowledgeSeconds: z.number().nullable(),
  timeToResolveSeconds: z.number().nullable(),
  postmortem: z
    .object({
      required: z.boolean(),
      taskId: z.string().nullable(),
      dueAt: z.string().nullable(),
      status: z.enum(['not_required', 'not_started', 'pending', 'overdue', 'done']),
      summary: z.string().nullable(),
      rootCause: z.string().nullable(),
      actionItems: z.array(z.string()),
      completedBy: z.string().nullable(),
      completedAt: z.string().nullable(),
    })
    .nullable(),
  timeline: z.array(timelineOut),
  source: z
    .enum(['workflow', 'read_model'])
    .describe('where this answer comes from: the live workflow, or the stored summary once Temporal no longer keeps it'),
  people: z
    .record(z.string(), z.string())
    .describe('id -> name of every operator this answer names (commander, acknowledger, resolver, timeline actors, escalation targets)'),
});
type IncidentOut = z.infer<typeof incidentOut>;
type IncidentCore = Omit<IncidentOut, 'people'>;

const listItem = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  service: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  status: z.enum(INCIDENT_STATUSES),
  ruleId: z.string().nullable(),
  openedBy: z.string(),
  commanderId: z.string().nullable(),
  commanderName: z.string().nullable(),
  level: z.number(),
  pages: z.number(),
  firings: z.number(),
  triggeredAt: z.string(),
  ackDueAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  postmortemDueAt: z.string().nullable(),
});

const figures = z
  .object({
    count: z.number(),
    mean: z.number().nullable(),
    p50: z.number().nullable(),
    p90: z.number().nullable(),
    max: z.number().nullable(),
  })
  .describe('seconds');
const statsGroup = z.object({
  total: z.number(),
  open: z.number(),
  acknowledged: z.number(),
  resolved: z.number(),
  timeToAcknowledge: figures,
  timeToResolve: figures,
  ackSla: z
    .object({ met: z.number(), breached: z.number() })
    .describe('incidents with an acknowledgement SLA: acknowledged in time, or not'),
});

const seconds = (from: string | null, to: string | null) => (from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : null);

const fromWorkflow = (row: Incident, s: IncidentState): IncidentCore => ({
  id: row.id,
  workflowId: row.workflowId,
  title: s.title,
  severity: s.severity,
  service: s.service,
  labels: s.labels,
  status: s.status,
  trigger: s.source as unknown as Record<string, unknown>,
  commanderId: s.commanderId,
  escalation: { ...s.escalation, levels: s.escalation.levels as z.infer<typeof levelOut>[] },
  ackSla: s.ackSla,
  ackDueAt: s.ackDueAt,
  triggeredAt: s.triggeredAt,
  acknowledgedAt: s.acknowledgedAt,
  acknowledgedBy: s.acknowledgedBy,
  resolvedAt: s.resolvedAt,
  resolvedBy: s.resolvedBy,
  resolution: s.resolution,
  closedAt: s.closedAt,
  firings: s.firings,
  timeToAcknowledgeSeconds: seconds(s.triggeredAt, s.acknowledgedAt),
  timeToResolveSeconds: seconds(s.triggeredAt, s.resolvedAt),
  postmortem: s.postmortem,
  timeline: s.timeline,
  source: 'workflow',
});
const fromReadModel = (r: Incident): IncidentCore => ({
  id: r.id,
  workflowId: r.workflowId,
  title: r.title,
  severity: r.severity,
  service: r.service ?? null,
  labels: r.labels,
  status: r.status,
  trigger: r.source as unknown as Record<string, unknown>,
  commanderId: r.commanderId ?? null,
  escalation: null,
  ackSla: null,
  ackDueAt: iso(r.ackDueAt),
  triggeredAt: iso(r.triggeredAt)!,
  acknowledgedAt: iso(r.acknowledgedAt),
  acknowledgedBy: r.acknowledgedBy ?? null,
  resolvedAt: iso(r.resolvedAt),
  resolvedBy: r.resolvedBy ?? null,
  resolution: null,
  closedAt: iso(r.closedAt),
  firings: r.firings,
  timeToAcknowledgeSeconds: seconds(iso(r.triggeredAt), iso(r.acknowledgedAt)),
  timeToResolveSeconds: seconds(iso(r.triggeredAt), iso(r.resolvedAt)),
  postmortem: null,
  timeline: [],
  source: 'read_model',
});
const toListItem = (r: Incident, names: Map<string, string>): z.infer<typeof listItem> => ({
  id: r.id,
  workflowId: r.workflowId,
  title: r.title,
  severity: r.severity,
  service: r.service ?? null,
  labels: r.labels,
  status: r.status,
  ruleId: r.ruleId ?? null,
  openedBy: r.openedBy,
  commanderId: r.commanderId ?? null,
  commanderName: r.commanderId ? (names.get(r.commanderId) ?? null) : null,
  level: r.level,
  pages: r.pages,
  firings: r.firings,
  triggeredAt: iso(r.triggeredAt)!,
  ackDueAt: iso(r.ackDueAt),
  acknowledgedAt: iso(r.acknowledgedAt),
  resolvedAt: iso(r.resolvedAt),
  closedAt: iso(r.closedAt),
  postmortemDueAt: iso(r.postmortemDueAt),
});

const round = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
const toGroup = (r: IncidentStatsRow | undefined): z.infer<typeof statsGroup> => ({
  total: r?.total ?? 0,
  open: r?.open ?? 0,
  acknowledged: r?.acknowledged ?? 0,
  resolved: r?.resolved ?? 0,
  timeToAcknowledge: {
    count: r?.acknowledged ?? 0,
    mean: round(r?.tta_mean ?? null),
    p50: round(r?.tta_p50 ?? null),
    p90: round(r?.tta_p90 ?? null),
    max: round(r?.tta_max ?? null),
  },
  timeToResolve: {
    count: r?.resolved ?? 0,
    mean: round(r?.ttr_mean ?? null),
    p50: round(r?.ttr_p50 ?? null),
    p90: round(r?.ttr_p90 ?? null),
    max: round(r?.ttr_max ?? null),
  },
  ackSla: { met: r?.sla_met ?? 0, breached: r?.sla_breached ?? 0 },
});

export function incidentsRouter({ orm, audit, temporal, taskQueue, deadline }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'incidents';

  /** The answer with the names of the operators it names: the people on an incident are shown by name, not by id. */
  async function named(out: IncidentCore): Promise<IncidentOut> {
    const trigger = out.trigger.type === 'manual' ? String(out.trigger.operatorId) : null;
    const paged = (out.escalation?.levels ?? []).flatMap((level) => level.targets.map((target) => target.operatorId));
    return {
      ...out,
      people: await operatorNames(orm, [
        out.commanderId,
        out.acknowledgedBy,
        out.resolvedBy,
        out.postmortem?.completedBy,
        trigger,
        ...paged,
        ...out.timeline.map((e) => e.actorId),
      ]),
    };
  }

  const incidents = workflowResource<Incident, IncidentState, IncidentOut>(
    { orm, temporal, deadline },
    {
      entity: Incident,
      what: 'incident',
      state: getIncident,
      present: (row, s) => named(fromWorkflow(row, s)),
      archived: (row) => named(fromReadModel(row)),
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/incidents',
      tag,
      access: RESPONDER_ROLES,
      summary: 'Open an incident by hand: its escalation policy pages level by level until someone acknowledges',
      body: z
        .object({
          title: text(300),
          severity: z.enum(SEVERITIES),
          service: service.optional(),
          labels: labels.default({}),
          description: text(5000).optional(),
          ackSla: durationBetween(10_000, DAY, "'10s' to '24h'")
            .nullable()
            .optional()
            .describe("overrides the severity's acknowledgement SLA; null: none"),
          postmortemDue: durationBetween(60_000, 90 * DAY, "'1m' to '90d'")
            .optional()
            .describe('overrides the policy for this incident'),
        })
        .strict(),
      status: 202,
      response: z.object({ id: z.uuid(), workflowId: z.string() }),
      errors: [400, 401, 403, 503, 504],
    },
    async ({ body, actor }) => {
      const id = randomUUID();
      const triggeredAt = new Date().toISOString();
      const input: IncidentInput = {
        incidentId: id,
        title: body.title,
        severity: body.severity,
        service: body.service ?? null,
        labels: body.labels,
        source: { type: 'manual', operatorId: actor.id },
        triggeredAt,
        ...(body.description ? { description: body.description } : {}),
        ...(body.ackSla !== undefined ? { ackSla: body.ackSla } : {}),
        ...(body.postmortemDue ? { postmortemDue: body.postmortemDue } : {}),
      };
      const workflowId = incidentWorkflowId(id);
      await deadline(() => temporal.workflow.start<typeof incident>('incident', { workflowId, taskQueue, args: [input] }));
      await saveIncidentRow(orm, firstIncidentRow(input, triggeredAt, workflowId));
      await audit(
        actor,
        'incident.opened',
        'incident',
        id,
        { title: body.title, severity: body.severity, service: input.service },
        workflowId,
      );
      return { id, workflowId };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/incidents',
      tag,
      access: READERS,
      summary: 'List incidents (read model), newest first or by severity',
      query: z
        .object({
          status: z
            .union([z.enum(INCIDENT_STATUSES), z.literal('open')])
            .optional()
            .describe('open: not resolved or closed'),
          severity: z.enum(SEVERITIES).optional(),
          service: service.optional(),
          ruleId: z.uuid().optional(),
          commander: z.union([z.literal('me'), z.uuid()]).optional(),
          from: instant.optional(),
          to: instant.optional(),
          order: z.enum(['newest', 'severity']).default('newest').describe('severity: P1 first, the newest first within each'),
          ...pageQuery,
        })
        .strict(),
      response: z.object({ items: z.array(listItem), total: z.number() }),
    },
    async ({ query, actor }) => {
      const where = {
        ...(query.status === 'open' ? { status: { $nin: ['resolved', 'closed'] } } : query.status ? { status: query.status } : {}),
        ...(query.severity ? { severity: query.severity } : {}),
        ...(query.service ? { service: query.service } : {}),
        ...(query.ruleId ? { ruleId: query.ruleId } : {}),
        ...(query.commander ? { commanderId: query.commander === 'me' ? actor.id : query.commander } : {}),
        ...(query.from || query.to
          ? {
              triggeredAt: { ...(query.from ? { $gte: new Date(query.from) } : {}), ...(query.to ? { $lt: new Date(query.to) } : {}) },
            }
          : {}),
      };
      const orderBy =
        query.order === 'severity'
          ? ({ severity: 'asc', triggeredAt: 'desc', id: 'asc' } as const)
          : ({ triggeredAt: 'desc', id: 'asc' } as const);
      const [items, total] = await orm.em.findAndCount(Incident, where as never, { orderBy, limit: query.limit, offset: query.offset });
      const names = new Map(
        Object.entries(
          await operatorNames(
            orm,
            items.map((r) => r.commanderId),
          ),
        ),
      );
      return { items: items.map((r) => toListItem(r, names)), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/incidents/stats',
      tag,
      access: READERS,
      summary: 'Time to acknowledge and time to resolve (seconds) of the incidents triggered in a period, overall and by severity',
      query: z
        .object({
          from: instant.optional().describe('default: 30 days ago'),
          to: instant.optional().describe('default: now'),
          service: service.optional(),
          severity: z.enum(SEVERITIES).optional(),
        })
        .strict(),
      response: z.object({ from: z.string(), to: z.string(), overall: statsGroup, bySeverity: z.record(z.enum(SEVERITIES), statsGroup) }),
      errors: [400, 401, 403],
    },
    async ({ query }) => {
      const to = query.to ?? new Date().toISOString();
      const from = query.from ?? new Date(Date.parse(to) - 30 * DAY).toISOString();
      if (Date.parse(from) > Date.parse(to)) throw badRequest('invalid query', [{ field: 'query.from', message: 'must not be after to' }]);
      const rows = await incidentStats(orm, { from, to, service: query.service, severity: query.severity });
      const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, toGroup(rows.find((r) => r.severity === s))]));
      return { from, to, overall: toGroup(rows.find((r) => r.severity === null)), bySeverity };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/incidents/responders',
      tag,
      access: READERS,
      summary: 'Active operators with a responder role (oncall, ops_manager, admin), by name: whom command can be handed to',
      query: z.object({ q: z.string().trim().min(1).max(200).optional().describe('part of the name'), ...pageQuery }).strict(),
      response: z.object({
        items: z.array(z.object({ id: z.uuid(), name: z.string(), roles: z.array(z.enum(ROLES)) })),
        total: z.number(),
      }),
    },
    async ({ query }) => {
      const [items, total] = await responderPage(orm, query.q, query);
      return { items: items.map((o) => ({ id: o.id, name: o.name, roles: o.roles })), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/incidents/:id',
      tag,
      access: READERS,
      summary: 'Live state and the full timeline of one incident',
      params: idParams,
      response: incidentOut,
      errors: [401, 403, 404, 503, 504],
    },
    async ({ params }) => incidents.read(await incidents.find(params.id)),
  );

  // Each decision is an Update (under the Temporal deadline): the workflow's validator answers at once (403/409/422)
  // and the workflow writes the timeline, the audit event (with the caller as actor) and the list row.
  const act = <B extends z.ZodObject>(
    path: string,
    summary: string,
    body: B,
    update: (row: Incident, b: z.infer<B>, actor: Actor) => Promise<IncidentState>,
  ) =>
    incidents.updateRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/incidents/:id/${path}`,
        tag,
        access: RESPONDER_ROLES,
        summary,
        body,
        response: incidentOut,
        errors: [400, 401, 403, 404, 409, 422, 503, 504],
      },
      ({ row, body: input, actor }) => update(row, input, actor),
    );

  act(
    'ack',
    'Acknowledge: paging stops at once; the first to acknowledge becomes the commander unless one is set',
    z.object({ note: text(5000).optional() }).strict(),
    (row, b, actor) => incidents.update(row, ackIncident, { actor, ...(b.note ? { note: b.note } : {}) }),
  );
  act(
    'notes',
    'A note for the timeline, with a status update (investigating, identified, monitoring) when given',
    z.object({ note: text(5000), status: z.enum(PROGRESS_STATUSES).optional() }).strict(),
    (row, b, actor) =>
      incidents.update(row, addIncidentNote, {
        actor,
        note: b.note,
        ...(b.status ? { status: b.status } : {}),
      }),
  );
  act(
    'commander',
    'Hand command over to another responder (the commander or an ops manager)',
    z.object({ operatorId: z.uuid() }).strict(),
    async (row, b, actor) => {
      const op = await orm.em.findOne(Operator, { id: b.operatorId });
      if (!op || op.disabled)
        throw unprocessable('unknown operator', [{ field: 'operatorId', message: `no active operator with id ${b.operatorId}` }]);
      const commander = { id: op.id, name: op.name, roles: op.roles };
      return incidents.update(row, setIncidentCommander, { actor, commander });
    },
  );
  act(
    'resolve',
    'Resolve (acknowledging it too if nobody had); P1 and P2 then wait for their postmortem',
    z.object({ resolution: text(5000) }).strict(),
    (row, b, actor) => incidents.update(row, resolveIncident, { actor, resolution: b.resolution }),
  );
  act(
    'postmortem',
    'Submit the postmortem of a resolved incident: it closes the postmortem task and the incident',
    z.object({ summary: text(20_000), rootCause: text(20_000), actionItems: z.array(text(1000)).max(100).default([]) }).strict(),
    (row, b, actor) =>
      incidents.update(row, submitPostmortem, {
        actor,
        summary: b.summary,
        rootCause: b.rootCause,
        actionItems: b.actionItems,
      }),
  );

  return router;
}
