import { Router } from 'express';
import { z } from 'zod';
import { Task } from '../../db/entities/index.ts';
import { activeAssignee, inboxPage, taskCandidates } from '../../db/tasks.ts';
import { assignTask, claimTask, completeTask, releaseTask } from '../../workflows/messages.ts';
import { ROLES, type Actor } from '../../domain/actors.ts';
import { TASK_STATUSES, type TaskView } from '../../domain/task-view.ts';
import type { ApiDeps } from '../app.ts';
import { forbidden, notFound, unprocessable } from '../errors.ts';
import { defineRoute, iso, type RouteRegistry } from '../http.ts';
import { idParams, pageQuery } from '../schemas.ts';

const taskOut = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  kind: z.string(),
  title: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  candidateRole: z.string(),
  assigneeId: z.string().nullable(),
  priority: z.string(),
  dueAt: z.string().nullable(),
  decisions: z.array(z.string()),
  payload: z.record(z.string(), z.unknown()),
  status: z.enum(TASK_STATUSES),
  decision: z.string().nullable(),
  decidedBy: z.string().nullable(),
  comment: z.string().nullable(),
  decidedAt: z.string().nullable(),
  escalatedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
type TaskOut = z.infer<typeof taskOut>;

/** From the inbox row or from the workflow's answer to a claim or decision. */
const toTaskOut = (t: Task | TaskView): TaskOut => ({
  id: t.id,
  workflowId: t.workflowId,
  kind: t.kind,
  title: t.title,
  entityType: t.entityType,
  entityId: t.entityId,
  candidateRole: t.candidateRole,
  assigneeId: t.assigneeId ?? null,
  priority: t.priority,
  dueAt: iso(t.dueAt),
  decisions: [...t.decisions],
  payload: t.payload,
  status: t.status,
  decision: t.decision ?? null,
  decidedBy: t.decidedBy ?? null,
  comment: t.comment ?? null,
  decidedAt: iso(t.decidedAt),
  escalatedAt: iso(t.escalatedAt),
  createdAt: iso(t.createdAt)!,
  updatedAt: iso(t.updatedAt)!,
});

/** Who sees a task: holders of its role, whoever claimed or decided it, admins and analysts. */
function canSeeTask(actor: Actor, t: Pick<Task, 'candidateRole' | 'assigneeId' | 'decidedBy'>): boolean {
  return (
    actor.roles.some((r) => r === 'admin' || r === 'analyst' || r === t.candidateRole) ||
    t.assigneeId === actor.id ||
    t.decidedBy === actor.id
  );
}

export function tasksRouter({ orm, temporal, deadline }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'tasks';

  async function visibleTask(id: string, actor: Actor): Promise<Task> {
    const task = await orm.em.findOne(Task, { id });
    if (!task) throw notFound('task');
    if (!canSeeTask(actor, task)) throw forbidden(`this task is for the ${task.candidateRole} role`);
    return task;
  }

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/tasks',
      tag,
      access: 'any',
      summary: 'The task inbox: tasks the caller may see, most urgent first (by priority, then due time)',
      query: z
        .object({
          status: z
            .enum([...TASK_STATUSES, 'active'])
            .optional()
            .describe('active: open or escalated, still waiting for a decision'),
          kind: z.string().max(100).optional(),
          role: z.enum(ROLES).optional(),
          assignee: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
          entityType: z.string().max(100).optional(),
          entityId: z.string().max(200).optional(),
          ...pageQuery,
        })
        .strict(),
      response: z.object({ items: z.array(taskOut), total: z.number() }),
    },
    async ({ query, actor }) => {
      const seesAll = actor.roles.includes('admin') || actor.roles.includes('analyst');
      const where: Record<string, unknown> = {
        ...(query.status === 'active' ? { status: { $in: ['open', 'escalated'] } } : query.status ? { status: query.status } : {}),
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.role ? { candidateRole: query.role } : {}),
        ...(query.entityType ? { entityType: query.entityType } : {}),
        ...(query.entityId ? { entityId: query.entityId } : {}),
        ...(query.assignee === 'me'
          ? { assigneeId: actor.id }
          : query.assignee === 'none'
            ? { assigneeId: null }
            : query.assignee
              ? { assigneeId: query.assignee }
              : {}),
        ...(seesAll ? {} : { $or: [{ candidateRole: { $in: actor.roles } }, { assigneeId: actor.id }, { decidedBy: actor.id }] }),
      };
      const [items, total] = await inboxPage(orm, where, query);
      return { items: items.map(toTaskOut), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/tasks/:id',
      tag,
      summary: 'One task',
      access: 'any',
      params: idParams,
      response: taskOut,
      errors: [401, 403, 404],
    },
    async ({ params, actor }) => toTaskOut(await visibleTask(params.id, actor)),
  );

  // Claims and decisions go to the owning workflow as Updates: its validator answers at once (403/409/422),
  // the workflow writes the inbox row and the audit event, and the answer is the task's new state.
  const act = (path: string, summary: string, update: 'claim' | 'release' | 'complete', body?: z.ZodType) =>
    defineRoute(
      router,
      registry,
      {
        method: 'post',
        path,
        tag,
        summary,
        access: 'any',
        params: idParams,
        ...(body ? { body } : {}),
        response: taskOut,
        errors: [400, 401, 403, 404, 409, 422, 503, 504],
      },
      async ({ params, actor, body: input }) => {
        const task = await visibleTask(params.id, actor);
        const handle = temporal.workflow.getHandle(task.workflowId);
        const args = { taskId: task.id, actor };
        const view = await deadline(() => {
          if (update === 'claim') return handle.executeUpdate(claimTask, { args: [args] });
          if (update === 'release') return handle.executeUpdate(releaseTask, { args: [args] });
          const { decision, comment } = input as { decision: string; comment?: string };
          return handle.executeUpdate(completeTask, { args: [{ ...args, decision, ...(comment ? { comment } : {}) }] });
        });
        return toTaskOut(view);
      },
    );

  act('/tasks/:id/claim', 'Claim a task (409 when someone else holds it)', 'claim');
  act('/tasks/:id/release', 'Release a claimed task (the assignee or an admin)', 'release');
  act(
    '/tasks/:id/complete',
    'Decide a task; answers the new state at once',
    'complete',
    z.object({ decision: z.string().min(1).max(64), comment: z.string().max(5000).optional() }).strict(),
  );

  const ASSIGNERS = ['admin', 'ops_manager'] as const;

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/tasks/:id/candidates',
      tag,
      access: ASSIGNERS,
      params: idParams,
      summary: 'Who a task can be assigned to: the active operators with its role, by name',
      response: z.object({ items: z.array(z.object({ id: z.uuid(), name: z.string() })) }),
      errors: [401, 403, 404],
    },
    async ({ params, actor }) => {
      // Knowing a task's id grants nothing: an ops manager assigns the tasks they may see (their role's), an admin any.
      const task = await visibleTask(params.id, actor);
      const items = await taskCandidates(orm, task.candidateRole);
      return { items };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/tasks/:id/assign',
      tag,
      access: ASSIGNERS,
      params: idParams,
      summary:
        'Assign a task the caller may see to an operator with its role (emailed unless they turned task emails off); the workflow checks its own rules',
      body: z.object({ operatorId: z.uuid() }).strict(),
      response: taskOut,
      errors: [400, 401, 403, 404, 409, 422, 503, 504],
    },
    async ({ params, body, actor }) => {
      const task = await visibleTask(params.id, actor);
      const assignee = await activeAssignee(orm, body.operatorId);
      if (!assignee)
        throw unprocessable('no active operator has that id', [{ field: 'operatorId', message: 'no active operator has that id' }]);
      const view = await deadline(() =>
        temporal.workflow.getHandle(task.workflowId).executeUpdate(assignTask, {
          args: [{ taskId: task.id, actor, assignee: { id: assignee.id, name: assignee.name, roles: assignee.roles } }],
        }),
      );
      return toTaskOut(view);
    },
  );

  return router;
}
