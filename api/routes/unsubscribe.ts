// The unsubscribe link in every marketing email. GET shows a confirmation page (link scanners must not unsubscribe
// anyone); POST unsubscribes, from that page's button or from a mail client's one-click button (RFC 8058).
import { Router, type Response } from 'express';
import escapeHtml from 'escape-html';
import { z } from 'zod';
import { appendAudit } from '../../db/audit.ts';
import type { ApiDeps } from '../app.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { documented } from '../openapi.ts';
import { unsubscribe } from './customers.ts';

// Any token reaches the handler: a link a mail client cut short gets the "not recognised" page, not a JSON error.
const tokenParams = z.object({ token: z.string().describe('the 64 hex characters at the end of the link') }).strict();
const isToken = (token: string) => /^[0-9a-f]{64}$/.test(token);
const NOT_RECOGNISED = 'The "link not recognised" page';

function page(res: Response, status: number, title: string, body: string): void {
  res.status(status).type('html').send(
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">` +
    `<h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}

export function unsubscribeRouter(deps: ApiDeps, registry: RouteRegistry): Router {
  const { orm } = deps;
  const router = Router();
  const tag = 'customers';

  defineRoute(router, registry, documented({
    method: 'get', path: '/unsubscribe/:token', tag, access: 'public', params: tokenParams,
    summary: 'The unsubscribe page from a marketing email (HTML, asks to confirm)',
  }, { pages: { 200: 'A page asking to confirm, or saying the address is already unsubscribed', 404: NOT_RECOGNISED } }), async ({ res, params }) => {
    if (!isToken(params.token)) return page(res, 404, 'Link not recognised', '<p>This unsubscribe link is not valid.</p>');
    const [row] = await orm.em.getConnection().execute<{ unsubscribed: boolean }[]>(
      'select unsubscribed_at is not null as unsubscribed from customers where unsubscribe_token = ?', [params.token]);
    if (!row) return page(res, 404, 'Link not recognised', '<p>This unsubscribe link is not valid.</p>');
    if (row.unsubscribed) {
      return page(res, 200, 'You are unsubscribed', '<p>You will not get marketing email from us any more.</p>' +
        `<form method="post" action="/unsubscribe/${params.token}/resubscribe"><button type="submit">Subscribe again</button></form>`);
    }
    page(res, 200, 'Unsubscribe?', `<p>Stop marketing email to this address? Account and order emails still arrive.</p>` +
      `<form method="post"><button type="submit">Unsubscribe</button></form>`);
  });

  defineRoute(router, registry, documented({
    method: 'post', path: '/unsubscribe/:token', tag, access: 'public', params: tokenParams,
    summary: 'Unsubscribe (the confirmation button, or one-click from the mail client per RFC 8058)',
  }, {
    pages: { 200: 'A page saying the address is unsubscribed (also when it already was)', 404: NOT_RECOGNISED },
    // RFC 8058: the mail client posts `List-Unsubscribe=One-Click`; the confirmation page's button posts nothing.
    form: z.object({ 'List-Unsubscribe': z.literal('One-Click').optional() }),
  }), async ({ res, params }) => {
    if (!isToken(params.token)) return page(res, 404, 'Link not recognised', '<p>This unsubscribe link is not valid.</p>');
    const done = await unsubscribe(deps, 'unsubscribe_token', params.token, { actorType: 'customer', actorId: null });
    if (!done) return page(res, 404, 'Link not recognised', '<p>This unsubscribe link is not valid.</p>');
    page(res, 200, 'You are unsubscribed', '<p>You will not get marketing email from us any more.</p>');
  });

  defineRoute(router, registry, documented({
    method: 'post', path: '/unsubscribe/:token/resubscribe', tag, access: 'public', params: tokenParams,
    summary: 'Subscribe again (the button on the unsubscribed page, the link in the unsubscribe confirmation email)',
  }, { pages: { 200: 'A page saying marketing email is on again', 404: NOT_RECOGNISED } }), async ({ res, params }) => {
    if (!isToken(params.token)) return page(res, 404, 'Link not recognised', '<p>This link is not valid.</p>');
    const [row] = await orm.em.getConnection().execute<{ id: string; changed: boolean }[]>(
      `with target as (select id, unsubscribed_at from customers where unsubscribe_token = ?)
       update customers c set unsubscribed_at = null, unsubscribe_confirmed_at = null, updated_at = now()
       from target where c.id = target.id returning c.id, target.unsubscribed_at is not null as changed`, [params.token]);
    if (!row) return page(res, 404, 'Link not recognised', '<p>This link is not valid.</p>');
    if (row.changed) {
      await appendAudit(orm, { actorType: 'customer', actorId: row.id, action: 'customer.resubscribed', entityType: 'customer', entityId: row.id, details: { via: 'unsubscribe page' } });
    }
    page(res, 200, 'You are subscribed again', '<p>Our marketing email will reach you again. You can unsubscribe at any time from any of them.</p>');
  });

  return router;
}
