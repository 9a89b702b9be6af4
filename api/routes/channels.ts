import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Router } from 'express';
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Channel } from '../../db/entities/index.ts';
import { refusedTarget } from '../../domain/webhook-targets.ts';
import type { ApiDeps } from '../app.ts';
import { conflict, notFound, unprocessable } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { idParams } from '../schemas.ts';

const webhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine(
    (u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password),
    'must not carry a user or password; use the signing secret',
  );
const channelOut = z.object({
  id: z.uuid(),
  name: z.string(),
  url: z.string(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const toOut = (c: Channel): z.infer<typeof channelOut> => ({
  id: c.id,
  name: c.name,
  url: c.url,
  enabled: c.enabled,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export function channelsRouter({ orm, audit, webhookAllowedHosts = [] }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'channels';
  // A literal private address or a known name is refused here; a name is judged again at each delivery, on the
  // address it then resolves to.
  const checkTarget = (url: string | undefined) => {
    const why = url === undefined ? undefined : refusedTarget(new URL(url), webhookAllowedHosts);
    if (why) throw unprocessable(why, [{ field: 'url', message: why }]);
  };

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/channels',
      tag,
      access: ['admin'],
      summary:
        'Add a publishing channel (a public webhook URL unless WEBHOOK_ALLOWED_HOSTS lists its host; the signing secret is answered once)',
      body: z
        .object({
          name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'lowercase letters, digits, - and _'),
          url: webhookUrl,
          secret: z.string().min(16).max(200).optional().describe('HMAC secret; generated when absent'),
        })
        .strict(),
      status: 201,
      response: channelOut.extend({ secret: z.string() }),
      errors: [400, 401, 403, 409, 422],
    },
    async ({ body, actor }) => {
      checkTarget(body.url);
      const em = orm.em;
      const secret = body.secret ?? randomBytes(24).toString('base64url');
      const channel = em.create(Channel, { id: randomUUID(), name: body.name, url: body.url, secret, enabled: true });
      try {
        await em.flush();
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) throw conflict(`a channel named ${body.name} exists`);
        throw err;
      }
      await audit(actor, 'channel.created', 'channel', channel.id, { name: channel.name, url: channel.url });
      return { ...toOut(channel), secret };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/channels',
      tag,
      summary: 'List channels',
      access: ['admin', 'ops_manager', 'reviewer', 'analyst'],
      response: z.object({ items: z.array(channelOut) }),
    },
    async () => ({ items: (await orm.em.find(Channel, {}, { orderBy: { name: 'asc' } })).map(toOut) }),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/channels/:id',
      tag,
      summary: "Change a channel's URL or secret, or disable it",
      access: ['admin'],
      params: idParams,
      body: z
        .object({ url: webhookUrl.optional(), secret: z.string().min(16).max(200).optional(), enabled: z.boolean().optional() })
        .strict()
        .refine((b) => Object.keys(b).length > 0, 'give at least one of url, secret, enabled'),
      response: channelOut,
      errors: [400, 401, 403, 404, 422],
    },
    async ({ params, body, actor }) => {
      const em = orm.em;
      const channel = await em.findOne(Channel, { id: params.id });
      if (!channel) throw notFound('channel');
      checkTarget(body.url);
      Object.assign(channel, body);
      await em.flush();
      await audit(actor, 'channel.updated', 'channel', channel.id, { ...body, ...(body.secret ? { secret: '(changed)' } : {}) });
      return toOut(channel);
    },
  );

  return router;
}
