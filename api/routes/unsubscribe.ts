// The unsubscribe link in every marketing email. GET shows a confirmation page (link scanners must not unsubscribe
// anyone); POST unsubscribes, from that page's button or from a mail client's one-click button (RFC 8058).
import { Router, type Response } from 'express';
import escapeHtml from 'escape-html';
import { z } from 'zod';
import type { ApiDeps } from '../app.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { unsubscribe } from './customers.ts';

const tokenParams = z.object({ token: z.string().regex(/^[0-9a-f]{64}$/, 'is not an unsubscribe token') }).strict();

function page(res: Response, status: number, title: string, body: string): void {
  res.status(status).type('html').send(
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">` +
    `<h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}

export function unsubscribeRouter({ orm }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'customers';

  defineRoute(router, registry, {
    method: 'get', path: '/unsubscribe/:token', tag, access: 'public', params: tokenParams,
    summary: 'The unsubscribe page from a marketing email (HTML, asks to confirm)',
  }, async ({ res, params }) => {
    const [row] = await orm.em.getConnection().execute<{ unsubscribed: boolean }[]>(
      'select unsubscribed_at is not null as unsubscribed from customers where unsubscribe_token = ?', [params.token]);
    if (!row) return page(res, 404, 'Link not recognised', '<p>This unsubscribe link is not valid.</p>');
    if (row.unsubscribed) return page(res, 200, 'You are unsubscribed', '<p>You will not get marketing email from us any more.</p>');
    page(res, 200, 'Unsubscribe?', `<p>Stop marketing email to this address? Account and order emails still arrive.</p>` +
      `<form method="post"><button type="submit">Unsubscribe</button></form>`);
  });

  defineRoute(router, registry, {
    method: 'post', path: '/unsubscribe/:token', tag, access: 'public', params: tokenParams,
    summary: 'Unsubscribe (the confirmation button, or one-click from the mail client per RFC 8058)',
  }, async ({ res, params }) => {
    const done = await unsubscribe(orm, 'unsubscribe_token', params.token, { actorType: 'customer', actorId: null });
    if (!done) return page(res, 404, 'Link not recognised', '<p>This unsubscribe link is not valid.</p>');
    page(res, 200, 'You are unsubscribed', '<p>You will not get marketing email from us any more.</p>');
  });

  return router;
}
