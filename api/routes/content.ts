import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import ms from 'ms';
import { z } from 'zod';
import { Channel, Content } from '../../db/entities/index.ts';
import { textArray } from '../../db/sql.ts';
import { getContentState, reschedule, submitRevision, withdraw } from '../../workflows/content.messages.ts';
import { TIERS, type ContentReviewInput, type ContentState } from '../../workflows/content.rules.ts';
import type { contentReview } from '../../workflows/content.ts';
import { contentReviewId } from '../../workflows/ids.ts';
import type { Actor } from '../../workflows/lib/actors.ts';
import type { ApiDeps } from '../app.ts';
import { forbidden, notFound, unprocessable } from '../errors.ts';
import { defineRoute, idParams, pageQuery, type RouteRegistry } from '../http.ts';
import { withDeadline } from '../temporal.ts';

const READERS = ['admin', 'ops_manager', 'reviewer', 'analyst'] as const;
const STAGES = ['checking', 'in_review', 'changes_requested', 'scheduled', 'published', 'rejected', 'withdrawn'] as const;

const reviewSla = z.string().refine((s) => {
  const v = ms(s as ms.StringValue);
  return typeof v === 'number' && v >= 60_000 && v <= 90 * 86_400_000;
}, "must be a duration between '1m' and '90d', such as '30m', '4h' or '3d'");

const contentListItem = z.object({
  id: z.uuid(), workflowId: z.string(), authorId: z.uuid(), title: z.string(), tier: z.enum(TIERS),
  channels: z.array(z.string()), stage: z.enum(STAGES), revision: z.number(), checkOutcome: z.string().nullable(),
  publishAt: z.string().nullable(), publishedAt: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
});
const contentState = z.looseObject({ contentId: z.uuid(), stage: z.enum(STAGES), revision: z.number() })
  .describe('Live state from the workflow: stage, revision, checks, approvals, open tasks, schedule, history.');

const toListItem = (c: Content): z.infer<typeof contentListItem> => ({
  id: c.id, workflowId: c.workflowId, authorId: c.authorId, title: c.title, tier: c.tier, channels: [...c.channels],
  stage: c.stage, revision: c.revision, checkOutcome: c.checkOutcome ?? null,
  publishAt: c.publishAt?.toISOString() ?? null, publishedAt: c.publishedAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString(),
});

export function contentRouter({ orm, temporal, taskQueue, temporalDeadlineMs, audit }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'content';
  const deadline = <T>(call: () => Promise<T>) => withDeadline(temporal, temporalDeadlineMs, call);

  async function find(id: string): Promise<Content> {
    const row = await orm.em.fork().findOne(Content, { id });
    if (!row) throw notFound('content');
    return row;
  }
  /** Only the author (or an admin) changes their content; the workflow checks again. */
  function requireAuthor(row: Content, actor: Actor) {
    if (row.authorId !== actor.id && !actor.roles.includes('admin')) throw forbidden('only the author or an admin may change this content');
  }

  defineRoute(router, registry, {
    method: 'post', path: '/content', tag, summary: 'Submit content for review; the caller is the author',
    access: ['ops_manager', 'admin'],
    body: z.object({
      title: z.string().trim().min(1).max(1000),
      body: z.string().min(1).max(200_000),
      tier: z.enum(TIERS),
      channels: z.array(z.string().min(1).max(100)).min(1).max(20)
        .refine((c) => new Set(c).size === c.length, 'channels must not repeat'),
      publishAt: z.iso.datetime({ offset: true }).optional(),
      reviewSla: reviewSla.optional(),
    }).strict(),
    status: 202, response: z.object({ id: z.uuid(), workflowId: z.string() }), errors: [400, 401, 403, 422, 503, 504],
  }, async ({ body, actor }) => {
    const em = orm.em.fork();
    const known = await em.find(Channel, { name: { $in: body.channels }, enabled: true });
    const missing = body.channels.map((c, i) => [c, i] as const).filter(([c]) => !known.some((k) => k.name === c));
    if (missing.length) {
      throw unprocessable('unknown or disabled channel', missing.map(([c, i]) => ({ field: `channels[${i}]`, message: `no enabled channel named "${c}"` })));
    }
    if (body.publishAt && Date.parse(body.publishAt) <= Date.now()) {
      throw unprocessable('publishAt is in the past', [{ field: 'publishAt', message: 'must be in the future' }]);
    }
    const id = randomUUID();
    const workflowId = contentReviewId(id);
    const input: ContentReviewInput = {
      contentId: id, authorId: actor.id, title: body.title, body: body.body, tier: body.tier, channels: body.channels,
      publishAt: body.publishAt ? new Date(body.publishAt).toISOString() : null,
      ...(body.reviewSla ? { reviewSla: body.reviewSla } : {}),
    };
    await deadline(() => temporal.workflow.start<typeof contentReview>('contentReview', { workflowId, taskQueue, args: [input] }));
    // The list shows the item at once; the workflow's own writes (higher versions) take over from here.
    await em.getConnection().execute(
      `insert into content (id, workflow_id, author_id, title, tier, channels, stage, revision, publish_at, created_at, updated_at, version)
       values (?, ?, ?, ?, ?, ?, 'checking', 1, ?, now(), now(), 0) on conflict (id) do nothing`,
      [id, workflowId, actor.id, body.title, body.tier, textArray(body.channels), input.publishAt ?? null]);
    await audit(actor, 'content.submit', 'content', id, { tier: body.tier, channels: body.channels }, workflowId);
    return { id, workflowId };
  });

  defineRoute(router, registry, {
    method: 'get', path: '/content', tag, summary: 'List content (read model)', access: READERS,
    query: z.object({
      stage: z.enum(STAGES).optional(), tier: z.enum(TIERS).optional(),
      author: z.union([z.literal('me'), z.uuid()]).optional(), ...pageQuery,
    }).strict(),
    response: z.object({ items: z.array(contentListItem), total: z.number() }),
  }, async ({ query, actor }) => {
    const where = {
      ...(query.stage ? { stage: query.stage } : {}),
      ...(query.tier ? { tier: query.tier } : {}),
      ...(query.author ? { authorId: query.author === 'me' ? actor.id : query.author } : {}),
    };
    const [items, total] = await orm.em.fork().findAndCount(Content, where, {
      orderBy: { createdAt: 'desc' }, limit: query.limit, offset: query.offset,
    });
    return { items: items.map(toListItem), total };
  });

  defineRoute(router, registry, {
    method: 'get', path: '/content/:id', tag, summary: 'Live state of one item from its workflow', access: READERS,
    params: idParams, response: contentState, errors: [401, 403, 404, 503, 504],
  }, async ({ params }) => {
    const row = await find(params.id);
    return deadline(() => temporal.workflow.getHandle(row.workflowId).query(getContentState));
  });

  const change = (
    path: string, method: 'post' | 'patch', summary: string, body: z.ZodObject,
    send: (workflowId: string, actor: Actor, body: Record<string, unknown>) => Promise<ContentState>,
  ) => defineRoute(router, registry, {
    method, path, tag, summary, access: ['ops_manager', 'admin'], params: idParams, body,
    response: contentState, errors: [400, 401, 403, 404, 409, 422, 503, 504],
  }, async ({ params, actor, body: input }) => {
    const row = await find(params.id);
    requireAuthor(row, actor);
    // The workflow accepts or refuses the change and writes its audit event with this actor.
    return deadline(() => send(row.workflowId, actor, input as Record<string, unknown>));
  });

  change('/content/:id/revisions', 'post', 'Submit a revision after changes were requested (the author)',
    z.object({ title: z.string().trim().min(1).max(1000), body: z.string().min(1).max(200_000) }).strict(),
    (workflowId, actor, b) => temporal.workflow.getHandle(workflowId).executeUpdate(submitRevision, {
      args: [{ title: b.title as string, body: b.body as string, actor }],
    }));
  change('/content/:id/schedule', 'patch', 'Move the publish time (null: publish once approved)',
    z.object({ publishAt: z.iso.datetime({ offset: true }).nullable() }).strict(),
    (workflowId, actor, b) => temporal.workflow.getHandle(workflowId).executeUpdate(reschedule, {
      args: [{ publishAt: b.publishAt ? new Date(b.publishAt as string).toISOString() : null, actor }],
    }));
  change('/content/:id/withdraw', 'post', 'Withdraw content before it is published',
    z.object({ reason: z.string().max(2000).optional() }).strict(),
    (workflowId, actor, b) => temporal.workflow.getHandle(workflowId).executeUpdate(withdraw, {
      args: [{ ...(b.reason ? { reason: b.reason as string } : {}), actor }],
    }));

  return router;
}
