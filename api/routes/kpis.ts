import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { addKpiZone, listKpiZones } from '../../db/kpi-rollups.ts';
import { computeKpis, databaseKnowsZone, kpiRange } from '../../db/kpis.ts';
import { kpiZoneBackfillId } from '../../domain/ids.ts';
import type { kpiZoneBackfill } from '../../workflows/kpi-zones.ts';
import type { ApiDeps } from '../app.ts';
import { badRequest, zodFields } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';

const rate = (what: string) => z.number().nullable().describe(what);

// The definitions live in db/kpis.ts; these descriptions repeat them for readers of /docs.
const dayOut = z.object({
  date: z.string().describe('calendar day in tz, YYYY-MM-DD'),
  dau: z.int().describe('distinct customers with any event that day'),
  wau: z.int().describe('distinct customers with any event in the 7 days ending that day'),
  mau: z.int().describe('distinct customers with any event in the 30 days ending that day'),
  signups: z.int().describe("customers whose first signup event falls that day: the day's cohort, and its size"),
  retention: z
    .object({
      d1: rate('share of the cohort active on day signup+1; null when the cohort is empty or that day has not ended yet'),
      d7: rate('share of the cohort active on day signup+7; null when the cohort is empty or that day has not ended yet'),
      d30: rate('share of the cohort active on day signup+30; null when the cohort is empty or that day has not ended yet'),
    })
    .describe('classic day-N retention, 0..1 rounded to 4 decimals'),
  conversion: rate(
    'share of the cohort with a purchase from their signup to the end of day signup+30 (0..1, 4 decimals); null when the cohort is empty; still rising while that window is open',
  ),
  purchases: z.int().describe('purchase events that day'),
  gmv: z.number().describe('sum of purchase amounts that day, 2 decimals'),
  arpu: z.number().nullable().describe('average revenue per active user, daily: gmv / dau, 2 decimals; null when dau is 0'),
});

const kpisOut = z.object({
  from: z.string(),
  to: z.string(),
  tz: z.string(),
  source: z
    .enum(['rollup', 'raw'])
    .describe(
      "where the figures come from: 'rollup' for a reporting time zone (daily rollups kept as events are stored, milliseconds at any volume), 'raw' for any other zone (computed from the stored events, seconds at millions of events); both give the same figures",
    ),
  days: z.array(dayOut),
  totals: z.object({
    gmv: z.number().describe('sum of purchase amounts over the range'),
    purchases: z.int(),
    signups: z.int(),
    activeCustomers: z.int().describe('distinct customers with any event in the range'),
    arpu: z.number().nullable().describe('gmv / activeCustomers, 2 decimals; null when there were none'),
  }),
});

const zoneOut = z.object({
  tz: z.string(),
  ready: z.boolean().describe('true once every stored event is in the rollups; GET /kpis answers from them only then'),
  addedAt: z.string(),
  readyAt: z.string().nullable(),
});

export function kpisRouter({ orm, temporal, taskQueue, deadline, audit }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/kpis/zones',
      tag: 'kpis',
      summary: 'The reporting time zones: GET /kpis answers from rollups in these',
      access: ['admin', 'ops_manager', 'analyst'],
      response: z.object({ items: z.array(zoneOut) }),
    },
    async () => ({ items: await listKpiZones(orm) }),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/kpis/zones',
      tag: 'kpis',
      summary: 'Add a reporting time zone: its rollups are kept from now on and backfilled from the stored events in the background',
      access: ['admin'],
      body: z.object({ tz: kpiRange.shape.tz.unwrap() }).strict(),
      status: 202,
      response: zoneOut,
      errors: [400, 401, 403, 503, 504],
    },
    async ({ body, actor }) => {
      // The database must know the zone too (ICU keeps a few names PostgreSQL dropped).
      if (!(await databaseKnowsZone(orm, body.tz)))
        throw badRequest('invalid body', [{ field: 'body.tz', message: 'is not a time zone the database knows' }]);
      const added = await addKpiZone(orm, body.tz);
      const zone = (await listKpiZones(orm)).find((z) => z.tz === body.tz)!;
      // A zone not ready yet (new, or one whose backfill failed) gets its backfill; one already running is left alone.
      if (!zone.ready) {
        await deadline(() =>
          temporal.workflow.start<typeof kpiZoneBackfill>('kpiZoneBackfill', {
            workflowId: kpiZoneBackfillId(body.tz),
            taskQueue,
            args: [{ tz: body.tz }],
          }),
        ).catch((err: unknown) => {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        });
      }
      if (added) await audit(actor, 'kpis.zone_added', 'kpi_zone', body.tz, {}, kpiZoneBackfillId(body.tz));
      return zone;
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/kpis',
      tag: 'kpis',
      summary: 'Daily customer KPIs computed from customer events (from rollups in a reporting time zone)',
      access: ['admin', 'ops_manager', 'analyst'],
      query: kpiRange,
      response: kpisOut,
    },
    async ({ query }) =>
      computeKpis(orm, query).catch((err: unknown) => {
        // The database may refuse a zone the schema let through; it is still the caller's tz that is wrong.
        throw err instanceof z.ZodError ? badRequest('invalid query', zodFields(err, 'query')) : err;
      }),
  );
  return router;
}
