// Escalation policies: who is paged for an incident, level by level, with a wait at each level, repeated; chosen
// by service and labels when an incident opens (a running incident keeps the policy it started with).
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EscalationPolicy, Operator } from '../../db/entities/index.ts';
import { RESPONDER_ROLES, type EscalationLevel } from '../../domain/incident.ts';
import type { ApiDeps } from '../app.ts';
import { conflict, notFound, unprocessable, type FieldError } from '../errors.ts';
import { defineRoute, mergePatch, type RouteRegistry } from '../http.ts';
import { durationBetween, idParams, labels, pageQuery, service } from '../schemas.ts';

const READERS = ['admin', 'ops_manager', 'oncall', 'analyst'] as const;
const WRITERS = ['admin', 'ops_manager'] as const;

const target = z.union([z.object({ operatorId: z.uuid() }).strict(), z.object({ role: z.enum(RESPONDER_ROLES) }).strict()]);
const fields = {
  name: z.string().trim().min(1).max(200),
  service: service.nullable().default(null).describe('incidents of this service; null: any'),
  labels: labels.default({}).describe('incidents carrying all of these labels; {}: any'),
  levels: z
    .array(
      z
        .object({
          targets: z.array(target).min(1).max(20).describe('operators by id, or every active holder of a role'),
          wait: durationBetween(30_000, 86_400_000, "'30s' to '24h'")
            .optional()
            .describe("how long to wait for an acknowledgement at this level; default: the severity's acknowledgement SLA"),
        })
        .strict(),
    )
    .min(1)
    .max(10),
  repeat: z.int().min(0).max(10).default(0).describe('how many more times the levels are paged, from the first, when nobody acknowledges'),
};
const policyIn = z.object(fields).strict();

const policyOut = z.object({
  id: z.uuid(),
  name: z.string(),
  service: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  levels: z.array(z.object({ targets: z.array(z.record(z.string(), z.string())), wait: z.string().optional() })),
  repeat: z.number(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
});
type PolicyOut = z.infer<typeof policyOut>;

const toOut = (p: EscalationPolicy): PolicyOut => ({
  id: p.id,
  name: p.name,
  service: p.service ?? null,
  labels: p.labels,
  levels: p.levels as PolicyOut['levels'],
  repeat: p.repeat,
  createdBy: p.createdBy,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
  version: p.version,
});

export function escalationPoliciesRouter({ orm, audit }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'incidents';

  async function find(id: string): Promise<EscalationPolicy> {
    const policy = await orm.em.findOne(EscalationPolicy, { id });
    if (!policy) throw notFound('escalation policy');
    return policy;
  }
  /** Every operator a level names must be an active responder; the name must be free. */
  async function check(body: z.infer<typeof policyIn>, self?: string): Promise<void> {
    const ids = [...new Set(body.levels.flatMap((l) => l.targets.flatMap((t) => ('operatorId' in t ? [t.operatorId] : []))))];
    const found = ids.length ? await orm.em.find(Operator, { id: { $in: ids }, disabled: false }) : [];
    const ok = new Set(found.filter((o) => o.roles.some((r) => (RESPONDER_ROLES as readonly string[]).includes(r))).map((o) => o.id));
    const bad: FieldError[] = body.levels.flatMap((l, i) =>
      l.targets.flatMap((t, j) =>
        'operatorId' in t && !ok.has(t.operatorId)
          ? [
              {
                field: `levels[${i}].targets[${j}].operatorId`,
                message: `no active operator with a responder role (${RESPONDER_ROLES.join(', ')}) has id ${t.operatorId}`,
              },
            ]
          : [],
      ),
    );
    if (bad.length) throw unprocessable('unknown operators', bad);
    const same = await orm.em.findOne(EscalationPolicy, { name: body.name });
    if (same && same.id !== self) throw conflict(`an escalation policy named "${body.name}" exists`);
  }

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/escalation-policies',
      tag,
      access: WRITERS,
      summary: 'Create an escalation policy',
      body: policyIn,
      status: 201,
      response: policyOut,
      errors: [400, 401, 403, 409, 422],
    },
    async ({ body, actor }) => {
      await check(body);
      const policy = orm.em.create(EscalationPolicy, {
        id: randomUUID(),
        ...body,
        levels: body.levels as EscalationLevel[],
        createdBy: actor.id,
        version: 1,
      });
      await orm.em.flush();
      await audit(actor, 'escalation_policy.created', 'escalation_policy', policy.id, { name: policy.name });
      return toOut(policy);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/escalation-policies',
      tag,
      access: READERS,
      summary: 'List escalation policies',
      query: z.object(pageQuery).strict(),
      response: z.object({ items: z.array(policyOut), total: z.number() }),
    },
    async ({ query }) => {
      const [items, total] = await orm.em.findAndCount(
        EscalationPolicy,
        {},
        { orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit, offset: query.offset },
      );
      return { items: items.map(toOut), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/escalation-policies/:id',
      tag,
      access: READERS,
      summary: 'One escalation policy',
      params: idParams,
      response: policyOut,
      errors: [401, 403, 404],
    },
    async ({ params }) => toOut(await find(params.id)),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/escalation-policies/:id',
      tag,
      access: WRITERS,
      summary: 'Change an escalation policy (incidents opened from now on use it)',
      params: idParams,
      body: z.object(fields).partial().strict(),
      response: policyOut,
      errors: [400, 401, 403, 404, 409, 422],
    },
    async ({ params, actor, req }) => {
      const policy = await find(params.id);
      const sent = req.body as Record<string, unknown>;
      const { name, service, labels: current, levels, repeat } = toOut(policy);
      const changed = mergePatch(policyIn, { name, service, labels: current, levels, repeat }, sent, 'escalation policy');
      await check(changed, policy.id);
      orm.em.assign(policy, {
        ...changed,
        levels: changed.levels as EscalationLevel[],
        version: policy.version + 1,
        updatedAt: new Date(),
      });
      await orm.em.flush();
      await audit(actor, 'escalation_policy.updated', 'escalation_policy', policy.id, { changed: Object.keys(sent) });
      return toOut(policy);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/escalation-policies/:id',
      tag,
      access: WRITERS,
      summary: 'Delete an escalation policy (running incidents keep paging by it)',
      params: idParams,
      errors: [401, 403, 404],
    },
    async ({ params, actor }) => {
      const policy = await find(params.id);
      await orm.em.remove(policy).flush();
      await audit(actor, 'escalation_policy.deleted', 'escalation_policy', params.id, { name: policy.name });
    },
  );

  return router;
}
