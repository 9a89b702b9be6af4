// Pushed metrics: batches of points in, series out. Rules watch the same table, and a push wakes their monitors.
import { Router } from 'express';
import { z } from 'zod';
import { enabledRuleIdsFor, readSeries, writePoints } from '../../db/metrics.ts';
import type { ApiDeps } from '../app.ts';
import { badRequest } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { instant, labelKey, labels, metricName } from '../schemas.ts';
import { ruleMonitorId } from '../../domain/ids.ts';
import { pointsArrived } from '../../workflows/monitor.messages.ts';

const POINTS_LIMIT = 10_000;
/** A point may be stamped a little ahead of this server's clock (clock skew), not more. */
const FUTURE_SKEW_MS = 5 * 60_000;
const DAY = 86_400_000;

const pointIn = z
  .object({
    name: metricName.refine((n) => !n.startsWith('kpi.'), 'kpi.* names are the KPIs computed from customer events; they cannot be pushed'),
    value: z.number().describe('any finite number'),
    at: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) >= 0, 'must be in 1970 or later')
      .refine((at) => Date.parse(at) <= Date.now() + FUTURE_SKEW_MS, 'must not be in the future'),
    labels: labels.default({}),
  })
  .strict();

const pointOut = z.object({ at: z.string(), value: z.number(), labels: z.record(z.string(), z.string()) });

/** `team:growth,region:eu` → `{team: 'growth', region: 'eu'}`. */
function parseLabels(text: string | undefined): Record<string, string> {
  if (!text) return {};
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const i = pair.indexOf(':');
    const key = i > 0 ? pair.slice(0, i).trim() : '';
    if (!labelKey.test(key))
      throw badRequest('invalid query', [
        { field: 'query.labels', message: `"${pair}" is not label:value (label names: letters, digits, _)` },
      ]);
    out[key] = pair.slice(i + 1).trim();
  }
  return out;
}

/** A rule's monitor is told of new points at most this often by one API process (its own floor is a second too). */
const WAKE_EVERY_MS = 1000;

export function metricsRouter({ orm, audit, temporal, deadline, log }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'metrics';
  const woken = new Map<string, number>();
  const due = new Set<string>();
  const wake = (id: string) => {
    woken.set(id, Date.now());
    deadline(() => temporal.workflow.getHandle(ruleMonitorId(id)).signal(pointsArrived)).catch((err: unknown) =>
      log.debug({ err, ruleId: id }, 'rule monitor not woken'),
    );
  };
  /**
   * The monitors of the enabled rules on these metrics evaluate now rather than at their next tick, so a breach is
   * seen within about a second: at most one wake-up a second per rule, the last one of a burst sent when the second is
   * up (so the newest points are never left to the rule's own interval). Best effort: the answer does not wait for it.
   */
  const wakeMonitors = async (names: string[]) => {
    const ruleIds = await enabledRuleIdsFor(orm, names);
    const at = Date.now();
    for (const id of ruleIds) {
      const wait = WAKE_EVERY_MS - (at - (woken.get(id) ?? 0));
      if (wait <= 0) wake(id);
      else if (!due.has(id)) {
        due.add(id);
        setTimeout(() => {
          due.delete(id);
          wake(id);
        }, wait).unref();
      }
    }
    if (woken.size > 10_000) for (const [id, t] of woken) if (at - t > WAKE_EVERY_MS && !due.has(id)) woken.delete(id);
  };

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/metrics',
      tag,
      access: ['admin', 'ops_manager', 'ingest'],
      bodyLimit: '16mb', // batch imports: up to 10,000 customers, events or metric points
      summary: `Push up to ${POINTS_LIMIT.toLocaleString('en')} points; a point sent again (same name, labels and instant) replaces its value`,
      body: z.object({ points: z.array(pointIn).min(1).max(POINTS_LIMIT) }).strict(),
      response: z.object({
        accepted: z.number(),
        created: z.number(),
        updated: z.number().describe('points that replaced a stored value, or an earlier point of the same batch'),
      }),
      errors: [400, 401, 403, 413],
    },
    async ({ body, actor }) => {
      const { created } = await writePoints(orm, body.points);
      const names = [...new Set(body.points.map((p) => p.name))];
      await audit(actor, 'metrics.pushed', 'metric', names.length === 1 ? names[0]! : `${names.length} metrics`, {
        points: body.points.length,
        names: names.slice(0, 20),
      });
      wakeMonitors(names).catch((err: unknown) => log.warn({ err }, 'rule monitors not woken; they evaluate at their own interval'));
      return { accepted: body.points.length, created, updated: body.points.length - created };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/metrics/:name',
      tag,
      access: ['admin', 'ops_manager', 'analyst', 'oncall'],
      summary: "A metric's points in [from, to), oldest first, from every series whose labels match",
      params: z.object({ name: metricName }).strict(),
      query: z
        .object({
          from: instant.optional().describe('default: 24 hours before `to`'),
          to: instant.optional().describe('default: now'),
          labels: z.string().max(2000).optional().describe('label:value pairs, comma-separated; every one must match'),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        })
        .strict(),
      response: z.object({ name: z.string(), from: z.string(), to: z.string(), points: z.array(pointOut), truncated: z.boolean() }),
      errors: [400, 401, 403],
    },
    async ({ params, query }) => {
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY);
      if (from >= to) throw badRequest('invalid query', [{ field: 'query.from', message: 'must be before to' }]);
      const series = await readSeries(orm, {
        name: params.name,
        from: from.toISOString(),
        to: to.toISOString(),
        labels: parseLabels(query.labels),
        limit: query.limit,
      });
      return { name: params.name, from: from.toISOString(), to: to.toISOString(), ...series };
    },
  );

  return router;
}
