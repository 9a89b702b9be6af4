// Metric-threshold rules: CRUD and a dry run that shows what the rule would decide now, and why.
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Campaign, Rule } from '../../db/entities/index.ts';
import { KPI_METRICS, readSeries } from '../../db/metrics.ts';
import { evaluateNow, readRuleEpisodes } from '../../db/rules.ts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { parseDuration } from '../../domain/durations.ts';
import { ROLES } from '../../domain/actors.ts';
import { ruleMonitorId } from '../../domain/ids.ts';
import { ruleChanged, stopMonitor } from '../../workflows/monitor.messages.ts';
import type { ruleMonitor } from '../../workflows/monitor.ts';
import {
  AGGREGATIONS,
  backtest,
  COMPARISONS,
  MONITOR_STATES,
  NO_DATA_POLICIES,
  SEVERITIES,
  type RuleAction,
  type RuleSpec,
} from '../../domain/monitor.ts';
import { SEGMENTS } from '../../domain/rfm.ts';
import type { ApiDeps } from '../app.ts';
import { badRequest, notFound, unprocessable } from '../errors.ts';
import { defineRoute, mergePatch, type RouteRegistry } from '../http.ts';
import { durationBetween, idParams, instant, labels, metricName, pageQuery } from '../schemas.ts';

const READERS = ['admin', 'ops_manager', 'analyst', 'oncall'] as const;
const WRITERS = ['admin', 'ops_manager'] as const;
const DAY = 86_400_000;
/** A backtest evaluates the rule at most this many times (further apart than its `every` over a long range). */
const BACKTEST_STEPS = 1440;
/** Points a backtest reads at most; past this it says it was cut short. */
const BACKTEST_POINTS = 50_000;

const action = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open_incident'), service: z.string().trim().min(1).max(200).optional() }).strict(),
  z.object({ type: z.literal('pause_campaign'), campaignId: z.uuid() }).strict(),
  z.object({ type: z.literal('start_winback'), segment: z.enum(SEGMENTS) }).strict(),
  z.object({ type: z.literal('notify_role'), role: z.enum(ROLES) }).strict(),
]);

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  metric: metricName.refine(
    (n) => !n.startsWith('kpi.') || n in KPI_METRICS,
    `not a KPI; the KPIs are ${Object.keys(KPI_METRICS).join(', ')}`,
  ),
  labels: labels.default({}).describe('only series carrying all of these labels count'),
  aggregation: z.enum(AGGREGATIONS),
  window: durationBetween(10_000, 7 * DAY, "'10s' to '7d'").describe('the window aggregated at each evaluation'),
  comparison: z
    .enum(COMPARISONS)
    .describe('above/below the threshold, or change_above/change_below: percent change against the previous window'),
  threshold: z.number().describe('a value; for change_* a percentage (25 = 25%)'),
  for: durationBetween(0, 7 * DAY, "'0s' to '7d'")
    .default('0s')
    .describe('how long the condition must hold before the rule fires'),
  keepFiring: durationBetween(0, 7 * DAY, "'0s' to '7d'")
    .default('0s')
    .describe('how long the condition must stay clear before a firing rule resolves'),
  noData: z.enum(NO_DATA_POLICIES).default('ok').describe('what an empty window means'),
  severity: z.enum(SEVERITIES),
  action,
  every: durationBetween(10_000, 3_600_000, "'10s' to '1h'").default('30s').describe("how often the rule's monitor evaluates it"),
  enabled: z.boolean().default(true).describe("false stops the rule's monitor; true starts it again"),
};
const ruleIn = z.object(ruleFields).strict();

const ruleOut = z.object({
  id: z.uuid(),
  name: z.string(),
  metric: z.string(),
  labels: z.record(z.string(), z.string()),
  aggregation: z.enum(AGGREGATIONS),
  window: z.string(),
  comparison: z.enum(COMPARISONS),
  threshold: z.number(),
  for: z.string(),
  keepFiring: z.string(),
  noData: z.enum(NO_DATA_POLICIES),
  severity: z.enum(SEVERITIES),
  action: z.record(z.string(), z.unknown()),
  every: z.string(),
  enabled: z.boolean(),
  createdBy: z.uuid(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
  monitor: z
    .object({
      state: z.enum(MONITOR_STATES),
      since: z.string().nullable(),
      episodes: z.number().describe('firing episodes so far'),
      lastValue: z.number().nullable(),
      lastEvaluatedAt: z.string().nullable(),
    })
    .describe("the rule's monitor, as of its last evaluation"),
});
type RuleOut = z.infer<typeof ruleOut>;

const verdictOut = z.object({
  at: z.string(),
  holds: z.boolean().nullable().describe('null: no data, and the rule keeps its state'),
  value: z.number().nullable(),
  previous: z.number().nullable(),
  change: z.number().nullable(),
  reason: z.string(),
  window: z.object({ from: z.string(), to: z.string(), points: z.number() }),
});

const toOut = (r: Rule): RuleOut => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  labels: r.labels,
  aggregation: r.aggregation as RuleOut['aggregation'],
  window: r.window,
  comparison: r.comparison as RuleOut['comparison'],
  threshold: Number(r.threshold),
  for: r.for,
  keepFiring: r.keepFiring,
  noData: r.noData as RuleOut['noData'],
  severity: r.severity,
  action: r.action as unknown as Record<string, unknown>,
  every: r.every,
  enabled: r.enabled,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
  monitor: {
    state: r.state,
    since: r.stateSince?.toISOString() ?? null,
    episodes: r.episodes,
    lastValue: r.lastValue === null || r.lastValue === undefined ? null : Number(r.lastValue),
    lastEvaluatedAt: r.lastEvaluatedAt?.toISOString() ?? null,
  },
});

export function rulesRouter({ orm, audit, temporal, taskQueue, deadline }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'rules';
  const start = (ruleId: string) =>
    deadline(() =>
      temporal.workflow.start<typeof ruleMonitor>('ruleMonitor', {
        workflowId: ruleMonitorId(ruleId),
        taskQueue,
        args: [{ ruleId }],
      }),
    );
  /** Starts the rule's monitor, or tells the running one to load the rule again. */
  const wake = (ruleId: string) =>
    deadline(() =>
      temporal.workflow.signalWithStart<typeof ruleMonitor>('ruleMonitor', {
        workflowId: ruleMonitorId(ruleId),
        taskQueue,
        args: [{ ruleId }],
        signal: ruleChanged,
      }),
    );
  /** Stops the rule's monitor; one that has already stopped is fine. */
  const halt = (ruleId: string) =>
    deadline(() => temporal.workflow.getHandle(ruleMonitorId(ruleId)).signal(stopMonitor)).catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });

  async function find(id: string): Promise<Rule> {
    const rule = await orm.em.findOne(Rule, { id });
    if (!rule) throw notFound('rule');
    return rule;
  }
  /** What the schema cannot check: a campaign to pause must exist. */
  async function checkAction(a: RuleAction): Promise<void> {
    if (a.type === 'pause_campaign' && !(await orm.em.findOne(Campaign, { id: a.campaignId }))) {
      throw unprocessable('unknown campaign', [{ field: 'action.campaignId', message: `no campaign with id ${a.campaignId}` }]);
    }
  }

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/rules',
      tag,
      access: WRITERS,
      summary: 'Create a metric-threshold rule',
      body: ruleIn,
      status: 201,
      response: ruleOut,
      errors: [400, 401, 403, 422],
    },
    async ({ body, actor }) => {
      await checkAction(body.action);
      const rule = orm.em.create(Rule, { id: randomUUID(), ...body, createdBy: actor.id, version: 1 });
      await orm.em.flush();
      if (rule.enabled) {
        // A rule nobody watches must not be stored: without its monitor the rule is taken back.
        await start(rule.id).catch(async (err: unknown) => {
          await orm.em.remove(rule).flush();
          throw err;
        });
      }
      await audit(actor, 'rule.created', 'rule', rule.id, { name: rule.name, metric: rule.metric }, ruleMonitorId(rule.id));
      return toOut(rule);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/rules',
      tag,
      access: READERS,
      summary: 'List rules, newest first',
      query: z.object({ metric: metricName.optional(), enabled: z.enum(['true', 'false']).optional(), ...pageQuery }).strict(),
      response: z.object({ items: z.array(ruleOut), total: z.number() }),
    },
    async ({ query }) => {
      const where = {
        ...(query.metric ? { metric: query.metric } : {}),
        ...(query.enabled ? { enabled: query.enabled === 'true' } : {}),
      };
      const [items, total] = await orm.em.findAndCount(Rule, where, {
        orderBy: { createdAt: 'desc', id: 'asc' },
        limit: query.limit,
        offset: query.offset,
      });
      return { items: items.map(toOut), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/rules/:id',
      tag,
      access: READERS,
      summary: 'One rule',
      params: idParams,
      response: ruleOut,
      errors: [401, 403, 404],
    },
    async ({ params }) => toOut(await find(params.id)),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/rules/:id',
      tag,
      access: WRITERS,
      summary: 'Change a rule (any of its fields)',
      params: idParams,
      body: z.object(ruleFields).partial().strict(),
      response: ruleOut,
      errors: [400, 401, 403, 404, 422],
    },
    async ({ params, actor, req }) => {
      const rule = await find(params.id);
      const sent = req.body as Record<string, unknown>;
      const changed = mergePatch(ruleIn, ruleFieldsOf(toOut(rule)), sent, 'rule');
      await checkAction(changed.action);
      orm.em.assign(rule, { ...changed, version: rule.version + 1, updatedAt: new Date() });
      await orm.em.flush();
      // The monitor loads the rule again at once (or starts, for a rule enabled again); a disabled rule's monitor stops.
      await (rule.enabled ? wake(rule.id) : halt(rule.id));
      await audit(actor, 'rule.updated', 'rule', rule.id, { changed: Object.keys(sent) }, ruleMonitorId(rule.id));
      return toOut(rule);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/rules/:id',
      tag,
      access: WRITERS,
      summary: 'Delete a rule',
      params: idParams,
      errors: [401, 403, 404],
    },
    async ({ params, actor }) => {
      const rule = await find(params.id);
      await halt(rule.id);
      await orm.em.remove(rule).flush();
      await audit(actor, 'rule.deleted', 'rule', params.id, { name: rule.name }, ruleMonitorId(rule.id));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/rules/:id/evaluate',
      tag,
      access: READERS,
      summary: 'What the rule would decide now, and why, from the stored points (nothing is fired)',
      params: idParams,
      query: z.object({ dryRun: z.literal('true').describe("only dry runs: the rule's monitor is what acts") }).strict(),
      response: verdictOut.extend({ ruleId: z.uuid() }),
      errors: [400, 401, 403, 404],
    },
    async ({ params }) => {
      const rule = await find(params.id);
      const spec = toOut(rule) as unknown as RuleSpec;
      const { at, points, ...verdict } = await evaluateNow(orm, spec);
      const windowMs = parseDuration(spec.window)!;
      return {
        ruleId: rule.id,
        at: new Date(at).toISOString(),
        ...verdict,
        window: { from: new Date(at - windowMs).toISOString(), to: new Date(at).toISOString(), points },
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/rules/dry-run',
      tag,
      access: READERS,
      summary:
        'A rule (saved or not) tried on the stored points: what it would decide now, and what it would have fired over a past range (nothing is stored or fired)',
      body: z
        .object({
          ...ruleFields,
          name: ruleFields.name.optional(),
          from: instant.optional().describe('start of the past range; default: 24 hours before `to`'),
          to: instant.optional().describe('end of the past range; default: now'),
        })
        .strict(),
      response: z.object({
        now: verdictOut,
        from: z.string(),
        to: z.string(),
        stepMs: z.number().describe("time between two evaluations: the rule's `every`, or longer over a long range"),
        evaluations: z.array(z.object({ at: z.string(), value: z.number().nullable(), holds: z.boolean().nullable() })),
        episodes: z
          .array(
            z.object({
              since: z.string().describe('when the condition began to hold'),
              firedAt: z.string(),
              resolvedAt: z.string().nullable().describe('null: still firing at the end of the range'),
            }),
          )
          .describe('the firing episodes the rule would have had, from a normal state at the start of the range'),
        truncated: z
          .boolean()
          .describe(`true when the range held more than ${BACKTEST_POINTS.toLocaleString('en')} points: the newest were left out`),
      }),
      errors: [400, 401, 403],
    },
    async ({ body }) => {
      const to = body.to ? Date.parse(body.to) : Date.now();
      const from = body.from ? Date.parse(body.from) : to - DAY;
      if (from >= to) throw badRequest('invalid body', [{ field: 'from', message: 'must be before to' }]);
      if (to - from > 30 * DAY) throw badRequest('invalid body', [{ field: 'from', message: 'the range is at most 30 days' }]);
      const spec = { ...body, name: body.name ?? 'dry run' } as RuleSpec;
      const windowMs = parseDuration(body.window)!;
      const stepMs = Math.max(parseDuration(body.every)!, Math.ceil((to - from) / BACKTEST_STEPS));
      const times: number[] = [];
      for (let t = to; t > from && times.length < BACKTEST_STEPS; t -= stepMs) times.unshift(t);
      const reach = (body.comparison.startsWith('change_') ? 2 : 1) * windowMs;
      const [series, now] = await Promise.all([
        readSeries(orm, {
          name: body.metric,
          labels: body.labels,
          from: new Date(times[0]! - reach).toISOString(),
          to: new Date(to).toISOString(),
          limit: BACKTEST_POINTS,
        }),
        evaluateNow(orm, spec, to),
      ]);
      const points = series.points.map((p) => ({ at: Date.parse(p.at), value: p.value, series: JSON.stringify(p.labels) }));
      const run = backtest(
        { ...body, windowMs, forMs: parseDuration(body.for)!, keepFiringMs: parseDuration(body.keepFiring)! },
        points,
        times,
      );
      const iso = (ms: number) => new Date(ms).toISOString();
      const { at, points: inWindow, ...verdict } = now;
      return {
        now: { at: iso(at), ...verdict, window: { from: iso(at - windowMs), to: iso(at), points: inWindow } },
        from: iso(from),
        to: iso(to),
        stepMs,
        evaluations: run.steps.map((s) => ({ at: iso(s.at), value: s.value, holds: s.holds })),
        episodes: run.episodes.map((e) => ({
          since: iso(e.since),
          firedAt: iso(e.firedAt),
          resolvedAt: e.resolvedAt === null ? null : iso(e.resolvedAt),
        })),
        truncated: series.truncated,
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/rules/:id/episodes',
      tag,
      access: READERS,
      summary: "The rule's firing episodes that overlap [from, to), newest first, as its monitor recorded them",
      params: idParams,
      query: z
        .object({
          from: instant.optional().describe('default: 24 hours before `to`'),
          to: instant.optional().describe('default: now'),
          ...pageQuery,
        })
        .strict(),
      response: z.object({
        items: z.array(
          z.object({
            episode: z.number(),
            firedAt: z.string(),
            resolvedAt: z.string().nullable().describe('null: still firing'),
            value: z.number().nullable().describe("the window's value when it fired"),
            reason: z.string().nullable(),
          }),
        ),
        total: z.number(),
      }),
      errors: [400, 401, 403, 404],
    },
    async ({ params, query }) => {
      await find(params.id);
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY);
      if (from >= to) throw badRequest('invalid query', [{ field: 'query.from', message: 'must be before to' }]);
      return readRuleEpisodes(orm, {
        ruleId: params.id,
        from: from.toISOString(),
        to: to.toISOString(),
        limit: query.limit,
        offset: query.offset,
      });
    },
  );

  return router;
}

/** A stored rule's own fields, the shape ruleIn takes. */
const ruleFieldsOf = (r: RuleOut) => Object.fromEntries(Object.entries(r).filter(([k]) => k in ruleFields));
