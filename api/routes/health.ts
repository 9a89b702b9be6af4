import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.ts';
import { DATABASE_RETRY_AFTER_S, TEMPORAL_RETRY_AFTER_S } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';

const check = z.object({ ok: z.boolean(), error: z.string().optional() });
const report = z.object({ ok: z.boolean(), postgres: check, temporal: check });

export function healthRouter({ orm, temporal, deadline }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/health',
      tag: 'health',
      summary: 'PostgreSQL and Temporal reachability (503 when one is down)',
      access: 'public',
      response: report,
      errors: [503],
      errorBodies: { 503: report },
    },
    async ({ res }) => {
      const probe = async (f: () => Promise<unknown>) => {
        try {
          await f();
          return { ok: true };
        } catch {
          // Public route: say what is down, not the driver's words (hosts, users) about why.
          return { ok: false, error: 'unreachable' };
        }
      };
      const [postgres, temporalCheck] = await Promise.all([
        probe(() => orm.em.getConnection().execute('select 1')),
        probe(() => deadline(() => temporal.workflowService.getSystemInfo({}), 3000)),
      ]);
      const ok = postgres.ok && temporalCheck.ok;
      res.status(ok ? 200 : 503);
      if (!ok) res.set('Retry-After', String(postgres.ok ? TEMPORAL_RETRY_AFTER_S : DATABASE_RETRY_AFTER_S));
      return { ok, postgres, temporal: temporalCheck };
    },
  );
  return router;
}
