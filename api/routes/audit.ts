import { Router } from 'express';
import { z } from 'zod';
import { AuditEvent } from '../../db/entities/index.ts';
import type { ApiDeps } from '../app.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { instant, pageQuery } from '../schemas.ts';

const auditOut = z.object({
  id: z.number(),
  at: z.string(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  workflowId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export function auditRouter({ orm }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/audit',
      tag: 'audit',
      summary: 'The audit log, oldest first',
      access: ['admin', 'analyst'],
      query: z
        .object({
          entityType: z.string().max(100).optional(),
          entityId: z.string().max(200).optional(),
          actorId: z.string().max(200).optional(),
          action: z.string().max(100).optional(),
          workflowId: z.string().max(300).optional(),
          from: instant.optional(),
          to: instant.optional(),
          ...pageQuery,
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        })
        .strict(),
      response: z.object({ items: z.array(auditOut), total: z.number() }),
    },
    async ({ query }) => {
      const where = {
        ...(query.entityType ? { entityType: query.entityType } : {}),
        ...(query.entityId ? { entityId: query.entityId } : {}),
        ...(query.actorId ? { actorId: query.actorId } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.workflowId ? { workflowId: query.workflowId } : {}),
        ...(query.from || query.to
          ? { at: { ...(query.from ? { $gte: new Date(query.from) } : {}), ...(query.to ? { $lt: new Date(query.to) } : {}) } }
          : {}),
      };
      const [items, total] = await orm.em.findAndCount(AuditEvent, where, {
        orderBy: { id: 'asc' },
        limit: query.limit,
        offset: query.offset,
      });
      return {
        items: items.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          actorType: e.actorType,
          actorId: e.actorId ?? null,
          action: e.action,
          entityType: e.entityType,
          entityId: e.entityId,
          workflowId: e.workflowId ?? null,
          details: e.details,
        })),
        total,
      };
    },
  );
  return router;
}
