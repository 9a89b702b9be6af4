import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Customer, RfmRun } from '../../db/entities/index.ts';
import { recordRfmRun, rfmGrid, segmentCounts } from '../../db/rfm.ts';
import { rfmScoringId } from '../../domain/ids.ts';
import type { rfmScoring } from '../../workflows/rfm.ts';
import { DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS, SEGMENT_RULES, SEGMENTS, type RfmScoringInput } from '../../domain/rfm.ts';
import type { ApiDeps } from '../app.ts';
import { HttpError, notFound, unprocessable } from '../errors.ts';
import { defineRoute, iso, type RouteRegistry } from '../http.ts';
import { instant, pageQuery } from '../schemas.ts';

const READERS = ['admin', 'ops_manager', 'analyst'] as const;

const SCORED = `Scored customers are those with at least one event in the run's lookback window before asOf (default ${DEFAULT_LOOKBACK_DAYS} days); the others have no scores and no segment.`;
const score = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(5)
    .nullable()
    .describe(
      `${what} score, 1..5, 5 best; quintile by mid-rank over all scored customers (equal values share a score); a frequency or spend of 0 scores 1`,
    );

const runSummary = z.object({
  id: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  asOf: z.string(),
  finishedAt: z.string(),
  scored: z.number(),
});
const segmentOut = z.object({
  name: z.enum(SEGMENTS),
  count: z.number(),
  rule: z.string().describe('the rule, in scores; a customer takes the first segment (in this order) whose rule matches'),
});
const gridCell = z.object({
  recency: z.int().min(1).max(5),
  frequency: z.int().min(1).max(5),
  count: z.int().min(1),
});
const customerOut = z.object({
  id: z.uuid(),
  externalId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  stage: z.string().nullable(),
  recency: score('R: days since the last event of any type (fewer is better)'),
  frequency: score('F: login, key_action and purchase events in the lookback'),
  monetary: score('M: sum of purchase amounts in the lookback (0 when none)'),
  segment: z.enum(SEGMENTS),
  scoredAt: z.string().nullable(),
});
const runOut = z.object({
  id: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  status: z.enum(['running', 'finished', 'failed']).describe('failed: the workflow closed without finishing the scoring'),
  asOf: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  scored: z.number(),
  segments: z.record(z.string(), z.number()).describe('customers per segment, every segment present'),
});

const trigger = (t: string) => (t === 'schedule' ? 'schedule' : 'manual') as 'schedule' | 'manual';

export function segmentsRouter({ orm, temporal, taskQueue, audit, deadline }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'segments';

  // Registered before /segments/:name/customers, so /segments/rfm-runs/customers names a run, not a segment.
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/segments/rfm-runs',
      tag,
      summary: 'Score every customer now (RFM), as the nightly schedule does',
      access: ['admin', 'ops_manager'],
      body: z
        .object({
          asOf: instant.optional().describe('score as of this time (default: now); not in the future'),
          lookbackDays: z
            .int()
            .min(1)
            .max(MAX_LOOKBACK_DAYS)
            .optional()
            .describe(`only events in the days before asOf count (default ${DEFAULT_LOOKBACK_DAYS})`),
        })
        .strict(),
      status: 202,
      response: z.object({ runId: z.string(), workflowId: z.string() }),
      errors: [400, 401, 403, 422, 503, 504],
    },
    async ({ body, actor }) => {
      if (body.asOf && Date.parse(body.asOf) > Date.now()) {
        throw unprocessable('asOf is in the future', [{ field: 'asOf', message: 'must not be in the future' }]);
      }
      const workflowId = rfmScoringId(`manual-${randomUUID()}`);
      // asOf is fixed here so the run row below and the workflow agree on it.
      const asOf = new Date(body.asOf ?? Date.now()).toISOString();
      const input: RfmScoringInput = {
        trigger: 'manual',
        asOf,
        ...(body.lookbackDays ? { lookbackDays: body.lookbackDays } : {}),
      };
      await deadline(() => temporal.workflow.start<typeof rfmScoring>('rfmScoring', { workflowId, taskQueue, args: [input] }));
      // The run reads as running at once; the activity's own insert of the same row does nothing.
      await recordRfmRun(orm, workflowId, 'manual', asOf);
      await audit(
        actor,
        'rfm.run_requested',
        'rfm_run',
        workflowId,
        { asOf, lookbackDays: body.lookbackDays ?? DEFAULT_LOOKBACK_DAYS },
        workflowId,
      );
      return { runId: workflowId, workflowId };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/segments/rfm-runs/:runId',
      tag,
      summary: 'One RFM run: running, finished (with counts) or failed',
      access: READERS,
      params: z.object({ runId: z.string().min(1).max(300).describe('the run id (its workflow id); URL-encode the colons') }).strict(),
      response: runOut,
      errors: [401, 403, 404, 503, 504],
    },
    async ({ params }) => {
      const run = await orm.em.findOne(RfmRun, { id: params.runId });
      if (!run) throw notFound(`RFM run ${params.runId}`);
      let status: 'running' | 'finished' | 'failed' = 'finished';
      if (!run.finishedAt) {
        // Unfinished: the workflow knows whether it is still trying or has given up.
        status = await deadline(() => temporal.workflow.getHandle(run.id).describe())
          .then((d) => (d.status.name === 'RUNNING' || d.status.name === 'COMPLETED' ? ('running' as const) : ('failed' as const)))
          .catch((err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return 'failed' as const;
            throw err;
          });
      }
      return {
        id: run.id,
        trigger: trigger(run.trigger),
        status,
        asOf: iso(run.asOf)!,
        startedAt: iso(run.startedAt)!,
        finishedAt: iso(run.finishedAt),
        scored: run.scored,
        segments: run.segments,
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/segments',
      tag,
      summary: 'Every RFM segment with its customer count, and the last finished run',
      access: READERS,
      response: z.object({
        segments: z.array(segmentOut).describe(SCORED),
        grid: z.array(gridCell).describe('scored customers per R and F score pair (the R×F grid); pairs with no customers are left out'),
        lastRun: runSummary.nullable(),
      }),
    },
    async () => {
      const [counts, grid] = await Promise.all([segmentCounts(orm), rfmGrid(orm)]);
      const last = await orm.em.findOne(RfmRun, { finishedAt: { $ne: null } }, { orderBy: { finishedAt: 'desc' } });
      return {
        segments: SEGMENT_RULES.map((s) => ({
          name: s.name,
          rule: s.description,
          count: counts.find((c) => c.segment === s.name)?.count ?? 0,
        })),
        grid,
        lastRun: last
          ? { id: last.id, trigger: trigger(last.trigger), asOf: iso(last.asOf)!, finishedAt: iso(last.finishedAt)!, scored: last.scored }
          : null,
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/segments/:name/customers',
      tag,
      summary: 'Customers in one segment, highest M score first, then most recent (R)',
      access: READERS,
      params: z.object({ name: z.string().max(100) }).strict(),
      query: z.object({ ...pageQuery }).strict(),
      response: z.object({ items: z.array(customerOut), total: z.number() }),
      errors: [401, 403, 404],
    },
    async ({ params, query }) => {
      if (!(SEGMENTS as readonly string[]).includes(params.name)) {
        throw new HttpError(404, 'not_found', `there is no segment "${params.name}"; the segments are ${SEGMENTS.join(', ')}`);
      }
      const [rows, total] = await orm.em.findAndCount(
        Customer,
        { segment: params.name },
        {
          orderBy: { rfmMonetary: 'desc', rfmRecency: 'desc', id: 'asc' },
          limit: query.limit,
          offset: query.offset,
        },
      );
      return {
        items: rows.map((c) => ({
          id: c.id,
          externalId: c.externalId,
          email: c.email,
          name: c.name ?? null,
          stage: c.stage ?? null,
          recency: c.rfmRecency ?? null,
          frequency: c.rfmFrequency ?? null,
          monetary: c.rfmMonetary ?? null,
          segment: params.name as (typeof SEGMENTS)[number],
          scoredAt: iso(c.scoredAt),
        })),
        total,
      };
    },
  );

  return router;
}
