import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Operator } from '../../db/entities/index.ts';
import { lockOperatorChanges } from '../../db/operators.ts';
import { revokeOperatorSessions } from '../../db/sessions.ts';
import { ROLES } from '../../domain/actors.ts';
import type { ApiDeps } from '../app.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { idParams, pageQuery } from '../schemas.ts';
import { hashToken, newToken } from '../tokens.ts';

const role = z.enum(ROLES);
const roleList = z
  .array(role)
  .min(1)
  .refine((r) => new Set(r).size === r.length, 'roles must not repeat')
  .meta({ uniqueItems: true });
const operatorOut = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string(),
  roles: z.array(role),
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const withToken = operatorOut.extend({ token: z.string().describe('Shown once; only its hash is stored.') });

const toOperatorOut = (o: Operator): z.infer<typeof operatorOut> => ({
  id: o.id,
  name: o.name,
  email: o.email,
  roles: o.roles,
  disabled: o.disabled,
  createdAt: o.createdAt.toISOString(),
  updatedAt: o.updatedAt.toISOString(),
});

export function operatorsRouter({ orm, audit }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'operators';

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/operators',
      tag,
      summary: 'Create an operator; answers its token once',
      access: ['admin'],
      body: z
        .object({
          name: z.string().trim().min(1).max(200),
          email: z.email().max(320),
          roles: roleList,
        })
        .strict(),
      status: 201,
      response: withToken,
      errors: [400, 401, 403, 409],
    },
    async ({ body, actor }) => {
      const em = orm.em;
      const token = newToken();
      const operator = em.create(Operator, {
        id: randomUUID(),
        name: body.name,
        email: body.email.toLowerCase(),
        roles: body.roles,
        tokenHash: hashToken(token),
        disabled: false,
      });
      try {
        await em.flush();
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) throw conflict(`an operator with email ${body.email} exists`);
        throw err;
      }
      await audit(actor, 'operator.created', 'operator', operator.id, { email: operator.email, roles: operator.roles });
      return { ...toOperatorOut(operator), token };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/operators',
      tag,
      summary: 'List operators',
      access: ['admin', 'analyst'],
      query: z.object({ role: role.optional(), disabled: z.enum(['true', 'false']).optional(), ...pageQuery }).strict(),
      response: z.object({ items: z.array(operatorOut), total: z.number() }),
    },
    async ({ query }) => {
      const where = {
        ...(query.role ? { roles: { $contains: [query.role] } } : {}),
        ...(query.disabled ? { disabled: query.disabled === 'true' } : {}),
      };
      const [items, total] = await orm.em.findAndCount(Operator, where, {
        orderBy: { createdAt: 'asc' },
        limit: query.limit,
        offset: query.offset,
      });
      return { items: items.map(toOperatorOut), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/operators/me',
      tag,
      summary: 'The calling operator',
      access: 'any',
      response: operatorOut,
    },
    async ({ actor }) => {
      const me = await orm.em.findOne(Operator, { id: actor.id });
      if (!me) throw notFound('operator');
      return toOperatorOut(me);
    },
  );

  // The operator's own settings: only they change them (an admin changes roles, not someone's mail).
  const preferences = z.object({
    taskEmails: z.boolean().describe('email me when a task opens for one of my roles or is assigned to me'),
  });
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/operators/me/preferences',
      tag,
      summary: "The calling operator's own settings",
      access: 'any',
      response: preferences,
    },
    async ({ actor }) => {
      const me = await orm.em.findOne(Operator, { id: actor.id });
      if (!me) throw notFound('operator');
      return { taskEmails: me.taskEmails };
    },
  );
  defineRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/operators/me/preferences',
      tag,
      summary: "Change the calling operator's own settings",
      access: 'any',
      body: preferences
        .partial()
        .strict()
        .refine((b) => Object.keys(b).length > 0, 'give at least one setting'),
      response: preferences,
      errors: [400, 401, 403],
    },
    async ({ actor, body }) => {
      const me = await orm.em.findOne(Operator, { id: actor.id });
      if (!me) throw notFound('operator');
      if (body.taskEmails !== undefined) me.taskEmails = body.taskEmails;
      await orm.em.flush();
      await audit(actor, 'operator.preferences_changed', 'operator', me.id, { ...body });
      return { taskEmails: me.taskEmails };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/operators/:id',
      tag,
      summary: 'Change roles, name, or disable an operator',
      access: ['admin'],
      params: idParams,
      body: z
        .object({
          name: z.string().trim().min(1).max(200).optional(),
          roles: roleList.optional(),
          disabled: z.boolean().optional(),
        })
        .strict()
        .refine((b) => Object.keys(b).length > 0, 'give at least one of name, roles, disabled'),
      response: operatorOut,
      errors: [400, 401, 403, 404, 409],
    },
    async ({ params, body, actor }) => {
      // Operator changes run one at a time (a transaction-scoped advisory lock, taken first, so two requests cannot
      // lock rows in opposite orders): two concurrent demotions cannot remove the last admin.
      let sessionsRevoked = 0;
      const operator = await orm.em.transactional(async (em) => {
        await lockOperatorChanges(em);
        const found = await em.findOne(Operator, { id: params.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!found) throw notFound('operator');
        const losesAdmin =
          found.roles.includes('admin') &&
          !found.disabled &&
          (body.disabled === true || (body.roles !== undefined && !body.roles.includes('admin')));
        if (losesAdmin) {
          const admins = await em.count(Operator, { roles: { $contains: ['admin'] }, disabled: false });
          if (admins <= 1) throw conflict('this is the last active admin');
        }
        // Their console sessions end with the access they were opened with (the roles are read afresh on every request
        // anyway; the session is what the disabled or re-roled operator must sign in again for).
        const newRoles =
          body.roles !== undefined && (body.roles.length !== found.roles.length || body.roles.some((r) => !found.roles.includes(r)));
        if ((body.disabled === true && !found.disabled) || newRoles) sessionsRevoked = await revokeOperatorSessions(em, found.id);
        Object.assign(found, body);
        return found;
      });
      await audit(actor, 'operator.updated', 'operator', operator.id, { ...body, ...(sessionsRevoked ? { sessionsRevoked } : {}) });
      return toOperatorOut(operator);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/operators/:id/token',
      tag,
      summary: 'Rotate a token (admins, or an operator for themself)',
      access: 'any',
      params: idParams,
      status: 201,
      response: withToken,
      errors: [401, 403, 404],
    },
    async ({ params, actor }) => {
      if (params.id !== actor.id && !actor.roles.includes('admin')) throw forbidden("only admins rotate other operators' tokens");
      const em = orm.em;
      const operator = await em.findOne(Operator, { id: params.id });
      if (!operator) throw notFound('operator');
      const token = newToken();
      operator.tokenHash = hashToken(token);
      await em.flush();
      // A new token is how a leaked credential is answered: the console sessions it may have opened end too.
      const sessionsRevoked = await revokeOperatorSessions(em, operator.id);
      await audit(actor, 'operator.token_rotated', 'operator', operator.id, sessionsRevoked ? { sessionsRevoked } : {});
      return { ...toOperatorOut(operator), token };
    },
  );

  return router;
}
