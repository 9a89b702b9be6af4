// Policies set through the API: GET and PUT /policies/<name> for each policy a family declares in api/policies/ and
// registers with its routers in api/app.ts.
import { Router } from 'express';
import { z } from 'zod';
import { readSetting, writeSetting } from '../../db/settings.ts';
import type { ApiDeps } from '../app.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';

const versioned = <T extends z.ZodObject>(s: T) => s.extend({ version: z.number().describe('0: the built-in defaults') });

export function policiesRouter({ orm, audit, policies }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'policies';
  for (const { path, key, defaults, schema, what } of policies) {
    defineRoute(
      router,
      registry,
      {
        method: 'get',
        path,
        tag,
        summary: `The ${what}`,
        access: ['admin', 'ops_manager', 'analyst'],
        response: versioned(schema),
      },
      async () => readSetting(orm, key, defaults),
    );
    defineRoute(
      router,
      registry,
      {
        method: 'put',
        path,
        tag,
        summary: `Replace the ${what}`,
        access: ['admin', 'ops_manager'],
        body: schema,
        response: versioned(schema),
        errors: [400, 401, 403],
      },
      async ({ body, actor }) => {
        const version = await writeSetting(orm, key, body, actor.id);
        await audit(actor, 'policy.updated', 'policy', key, { version, value: body });
        return { ...(body as object), version };
      },
    );
  }
  return router;
}
