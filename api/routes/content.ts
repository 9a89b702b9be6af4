import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { operatorNames } from '../../db/operators.ts';
import { Content } from '../../db/entities/index.ts';
import { enabledChannelNames, saveFirstContentRow } from '../../db/content.ts';
import { containsPattern } from '../../db/sql.ts';
import { parseDuration } from '../../domain/durations.ts';
import { getContentState, reschedule, submitRevision, withdraw } from '../../workflows/content.messages.ts';
import { CONTENT_STAGES, isFinal, TIERS, type ContentReviewInput, type ContentState } from '../../domain/content.ts';
import type { contentReview } from '../../workflows/content.ts';
import { contentReviewId } from '../../domain/ids.ts';
import type { Actor } from '../../domain/actors.ts';
import type { ApiDeps } from '../app.ts';
import { conflict, forbidden, unprocessable } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { idParams, instant, pageQuery } from '../schemas.ts';
import { workflowResource } from '../resource.ts';

const READERS = ['admin', 'ops_manager', 'reviewer', 'analyst'] as const;

const reviewSla = z.string().refine((s) => {
  const v = parseDuration(s);
  return v !== undefined && v >= 60_000 && v <= 90 * 86_400_000;
}, "must be a duration between '1m' and '90d', such as '30m', '4h' or '3d'");

const contentListItem = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  authorId: z.uuid(),
  title: z.string(),
  tier: z.enum(TIERS),
  channels: z.array(z.string()),
  stage: z.enum(CONTENT_STAGES),
  revision: z.number(),
  checkOutcome: z.string().nullable(),
  publishAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const taskSummary = z.object({
  id: z.uuid(),
  title: z.string(),
  candidateRole: z.string(),
  assigneeId: z.string().nullable(),
  status: z.enum(['open', 'escalated']),
  priority: z.string(),
  dueAt: z.string().nullable(),
});
const contentOut = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  authorId: z.uuid(),
  title: z.string(),
  body: z.string().nullable().describe('null when read from the archive (the workflow history has expired)'),
  tier: z.enum(TIERS),
  channels: z.array(z.string()),
  stage: z.enum(CONTENT_STAGES),
  revision: z.number(),
  edits: z
    .array(z.object({ version: z.number(), operatorId: z.string(), at: z.string() }))
    .describe('who submitted each revision after the first; whoever made the revision under review may not review it'),
  round: z.number().nullable(),
  maxRounds: z.number().nullable(),
  reviewSla: z.string().nullable(),
  requiredApprovals: z.number().nullable(),
  checks: z
    .object({
      outcome: z.enum(['pass', 'flag', 'block']),
      findings: z.array(
        z.object({
          rule: z.string(),
          severity: z.enum(['flag', 'block']),
          message: z.string(),
          matches: z.array(z.string()).optional().describe('the text that set it off, as it appears in the title or body'),
        }),
      ),
    })
    .nullable(),
  approvals: z.array(z.object({ reviewerId: z.string(), revision: z.number(), at: z.string() })),
  openTasks: z.array(taskSummary),
  publishAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
  deliveries: z.array(z.object({ channel: z.string(), status: z.enum(['pending', 'delivered', 'failed']), error: z.string().optional() })),
  rejectionReason: z.string().nullable(),
  previous: z
    .object({ revision: z.number(), title: z.string(), body: z.string() })
    .nullable()
    .describe('the revision before the current one, for a diff (null before the first revision or from the archive)'),
  history: z.array(
    z.object({ at: z.string(), event: z.string(), actorId: z.string().nullable(), detail: z.record(z.string(), z.unknown()).optional() }),
  ),
  source: z.enum(['workflow', 'read_model']).describe('live workflow state, or the stored summary once the history has expired'),
  people: z
    .record(z.string(), z.string())
    .describe('id -> name of every operator this answer names (author, reviewers, editors, assignees, history actors)'),
});
type ContentOut = z.infer<typeof contentOut>;
type ContentCore = Omit<ContentOut, 'people'>;

function fromWorkflow(row: Content, s: ContentState): ContentCore {
  return {
    id: s.contentId,
    workflowId: row.workflowId,
    authorId: s.authorId,
    title: s.title,
    body: s.body,
    tier: s.tier,
    channels: s.channels,
    stage: s.stage,
    revision: s.revision,
    edits: s.edits ?? [],
    round: s.round,
    maxRounds: s.maxRounds,
    reviewSla: s.reviewSla,
    requiredApprovals: s.requiredApprovals,
    checks: s.checks,
    approvals: s.approvals,
    openTasks: s.openTasks.map((t) => ({
      id: t.id,
      title: t.title,
      candidateRole: t.candidateRole,
      assigneeId: t.assigneeId,
      status: t.status as 'open' | 'escalated',
      priority: t.priority,
      dueAt: t.dueAt,
    })),
    publishAt: s.publishAt,
    publishedAt: s.publishedAt,
    deliveries: s.deliveries,
    rejectionReason: s.rejectionReason,
    previous: s.previous ?? null,
    history: s.history,
    source: 'workflow',
  };
}

function fromReadModel(row: Content): ContentCore {
  return {
    id: row.id,
    workflowId: row.workflowId,
    authorId: row.authorId,
    title: row.title,
    body: null,
    tier: row.tier,
    channels: [...row.channels],
    stage: row.stage,
    revision: row.revision,
    edits: [],
    round: null,
    maxRounds: null,
    reviewSla: null,
    requiredApprovals: null,
    checks: null,
    approvals: [],
    openTasks: [],
    publishAt: row.publishAt?.toISOString() ?? null,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    deliveries: [],
    rejectionReason: null,
    previous: null,
    history: [],
    source: 'read_model',
  };
}

const toListItem = (c: Content): z.infer<typeof contentListItem> => ({
  id: c.id,
  workflowId: c.workflowId,
  authorId: c.authorId,
  title: c.title,
  tier: c.tier,
  channels: [...c.channels],
  stage: c.stage,
  revision: c.revision,
  checkOutcome: c.checkOutcome ?? null,
  publishAt: c.publishAt?.toISOString() ?? null,
  publishedAt: c.publishedAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export function contentRouter({ orm, temporal, taskQueue, log, deadline }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'content';

  /** The answer with the names of the operators it names: reviewers and editors are shown by name, not by id. */
  async function named(out: ContentCore): Promise<ContentOut> {
    return {
      ...out,
      people: await operatorNames(orm, [
        out.authorId,
        ...out.approvals.map((a) => a.reviewerId),
        ...out.edits.map((e) => e.operatorId),
        ...out.openTasks.map((t) => t.assigneeId),
        ...out.history.map((h) => h.actorId),
      ]),
    };
  }
  const content = workflowResource<Content, ContentState, ContentOut>(
    { orm, temporal, deadline },
    {
      entity: Content,
      what: 'content',
      state: getContentState,
      present: (row, s) => named(fromWorkflow(row, s)),
      // Past the namespace's retention the workflow is gone; the read model still knows the outcome.
      archived: (row) => named(fromReadModel(row)),
    },
  );
  /** Only the author (or an admin) changes their content; the workflow checks again. */
  function requireAuthor(row: Content, actor: Actor) {
    if (row.authorId !== actor.id && !actor.roles.includes('admin')) throw forbidden('only the author or an admin may change this content');
  }

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/content',
      tag,
      summary: 'Submit content for review; the caller is the author',
      access: ['ops_manager', 'admin'],
      body: z
        .object({
          title: z.string().trim().min(1).max(1000),
          body: z.string().min(1).max(200_000),
          tier: z.enum(TIERS),
          channels: z
            .array(z.string().min(1).max(100))
            .min(1, 'choose at least one channel')
            .max(20)
            .refine((c) => new Set(c).size === c.length, 'channels must not repeat'),
          publishAt: instant.optional(),
          reviewSla: reviewSla.optional(),
          maxRounds: z.int().min(1).max(10).optional().describe('review rounds before a request for changes rejects (default 3)'),
        })
        .strict(),
      status: 202,
      response: z.object({ id: z.uuid(), workflowId: z.string() }),
      errors: [400, 401, 403, 422, 503, 504],
    },
    async ({ body, actor, res }) => {
      const known = await enabledChannelNames(orm, body.channels, res.locals.receivedAt as number | undefined);
      const missing = body.channels.map((c, i) => [c, i] as const).filter(([c]) => !known.has(c));
      if (missing.length) {
        throw unprocessable(
          'unknown or disabled channel',
          missing.map(([c, i]) => ({ field: `channels[${i}]`, message: `no enabled channel named "${c}"` })),
        );
      }
      if (body.publishAt && Date.parse(body.publishAt) <= Date.now()) {
        throw unprocessable('publishAt is in the past', [{ field: 'publishAt', message: 'must be in the future', code: 'in_past' }]);
      }
      const id = randomUUID();
      const workflowId = contentReviewId(id);
      const input: ContentReviewInput = {
        contentId: id,
        authorId: actor.id,
        title: body.title,
        body: body.body,
        tier: body.tier,
        channels: body.channels,
        publishAt: body.publishAt ? new Date(body.publishAt).toISOString() : null,
        ...(body.reviewSla ? { reviewSla: body.reviewSla } : {}),
        ...(body.maxRounds ? { maxRounds: body.maxRounds } : {}),
      };
      await deadline(() => temporal.workflow.start<typeof contentReview>('contentReview', { workflowId, taskQueue, args: [input] }));
      // The list shows the item at once; the workflow's own writes carry higher versions and audit the submission.
      // Best effort: the workflow's first write creates the row anyway.
      await saveFirstContentRow(orm, {
        id,
        workflowId,
        authorId: actor.id,
        title: body.title,
        tier: body.tier,
        channels: body.channels,
        stage: 'checking',
        revision: 1,
        checkOutcome: null,
        publishAt: input.publishAt ?? null,
        publishedAt: null,
      }).catch((err: unknown) => log.warn({ err, contentId: id }, 'content list row not written; the workflow will write it'));
      return { id, workflowId };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/content',
      tag,
      summary: 'List content (read model)',
      access: READERS,
      query: z
        .object({
          stage: z.enum(CONTENT_STAGES).optional(),
          tier: z.enum(TIERS).optional(),
          author: z.union([z.literal('me'), z.uuid()]).optional(),
          q: z.string().trim().min(1).max(200).optional().describe('text the title contains, in any case'),
          ...pageQuery,
        })
        .strict(),
      response: z.object({ items: z.array(contentListItem), total: z.number() }),
    },
    async ({ query, actor }) => {
      const where = {
        ...(query.stage ? { stage: query.stage } : {}),
        ...(query.tier ? { tier: query.tier } : {}),
        ...(query.author ? { authorId: query.author === 'me' ? actor.id : query.author } : {}),
        // LIKE's own wildcards in the words are matched as themselves.
        ...(query.q ? { title: { $ilike: containsPattern(query.q) } } : {}),
      };
      const [items, total] = await orm.em.findAndCount(Content, where, {
        orderBy: { createdAt: 'desc' },
        limit: query.limit,
        offset: query.offset,
      });
      return { items: items.map(toListItem), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/content/:id',
      tag,
      summary: 'Live state of one item from its workflow',
      access: READERS,
      params: idParams,
      response: contentOut,
      errors: [401, 403, 404, 503, 504],
    },
    async ({ params }) => content.read(await content.find(params.id)),
  );

  const change = <B extends z.ZodObject>(
    path: string,
    method: 'post' | 'patch',
    summary: string,
    body: B,
    send: (row: Content, actor: Actor, body: z.infer<B>) => Promise<ContentState>,
  ) =>
    content.updateRoute(
      router,
      registry,
      {
        method,
        path,
        tag,
        summary,
        access: ['ops_manager', 'admin'],
        body,
        response: contentOut,
        errors: [400, 401, 403, 404, 409, 422, 503, 504],
      },
      ({ row, actor, body: input }) => {
        requireAuthor(row, actor);
        if (isFinal(row.stage)) throw conflict(`the content is already ${row.stage}`);
        // The workflow accepts or refuses the change and writes its audit event with this actor.
        return send(row, actor, input);
      },
    );

  change(
    '/content/:id/revisions',
    'post',
    'Submit a revision after changes were requested (the author or an admin, who then does not review it)',
    z.object({ title: z.string().trim().min(1).max(1000), body: z.string().min(1).max(200_000) }).strict(),
    (row, actor, b) => content.update(row, submitRevision, { title: b.title, body: b.body, actor }),
  );
  change(
    '/content/:id/schedule',
    'patch',
    'Move the publish time (null: publish once approved)',
    z.object({ publishAt: instant.nullable() }).strict(),
    (row, actor, b) =>
      content.update(row, reschedule, {
        publishAt: b.publishAt ? new Date(b.publishAt).toISOString() : null,
        actor,
      }),
  );
  change(
    '/content/:id/withdraw',
    'post',
    'Withdraw content before it is published',
    z.object({ reason: z.string().max(2000).optional() }).strict(),
    (row, actor, b) => content.update(row, withdraw, { ...(b.reason ? { reason: b.reason } : {}), actor }),
  );

  return router;
}
