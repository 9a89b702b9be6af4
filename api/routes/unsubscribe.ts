// The unsubscribe link in every marketing email. GET shows a confirmation page (link scanners must not unsubscribe
// anyone); POST unsubscribes, from that page's button or from a mail client's one-click button (RFC 8058).
import { Router, type Response } from 'express';
import escapeHtml from 'escape-html';
import { z } from 'zod';
import { resubscribe, subscriptionByToken } from '../../db/subscriptions.ts';
import type { ApiDeps } from '../app.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { documented } from '../openapi.ts';
import { unsubscribe } from '../unsubscribe.ts';

// Any token reaches the handler: a link a mail client cut short gets the "not recognised" page, not a JSON error.
const tokenParams = z.object({ token: z.string().describe('the 64 hex characters at the end of the link') }).strict();
const isToken = (token: string) => /^[0-9a-f]{64}$/.test(token);
const NOT_RECOGNISED = 'The "link not recognised" page';

/** The pages' words, in the customer's language (Chinese for any zh-*, else English; the browser's when unknown). */
const WORDS = {
  en: {
    notRecognised: 'Link not recognised',
    notValid: 'This link is not valid.',
    ask: 'Unsubscribe?',
    askText: 'Stop marketing email to this address? Account and order emails still arrive.',
    askButton: 'Unsubscribe',
    done: 'You are unsubscribed',
    doneText: 'You will not get marketing email from us any more.',
    again: 'Subscribe again',
    back: 'You are subscribed again',
    backText: 'Our marketing email will reach you again. You can unsubscribe at any time from any of them.',
  },
  zh: {
    notRecognised: '无法识别此链接',
    notValid: '此链接无效。',
    ask: '确认退订？',
    askText: '退订后，此邮箱将不再收到营销邮件；账号和订单相关的邮件不受影响。',
    askButton: '确认退订',
    done: '您已退订',
    doneText: '今后您将不再收到我们的营销邮件。',
    again: '重新订阅',
    back: '您已重新订阅',
    backText: '我们的营销邮件将重新发送给您。您随时可以通过任意一封邮件退订。',
  },
} as const;
type Words = { readonly [K in keyof (typeof WORDS)['en']]: string };
const wordsFor = (locale: string | null | undefined, acceptLanguage: string | undefined): { lang: string; w: Words } => {
  const zh = (locale ?? acceptLanguage ?? '').toLowerCase().startsWith('zh');
  return zh ? { lang: 'zh-CN', w: WORDS.zh } : { lang: 'en', w: WORDS.en };
};

function page(res: Response, status: number, lang: string, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
        `<title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">` +
        `<h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}

const notRecognised = (res: Response, accept: string | undefined) => {
  const { lang, w } = wordsFor(null, accept);
  page(res, 404, lang, w.notRecognised, `<p>${escapeHtml(w.notValid)}</p>`);
};

/** The page an unsubscribed address sees (after the button, one click, or on a later visit), with the way back. */
const unsubscribedPage = (res: Response, lang: string, w: Words, token: string) =>
  page(
    res,
    200,
    lang,
    w.done,
    `<p>${escapeHtml(w.doneText)}</p>` +
      `<form method="post" action="/unsubscribe/${token}/resubscribe"><button type="submit">${escapeHtml(w.again)}</button></form>`,
  );

export function unsubscribeRouter(deps: ApiDeps, registry: RouteRegistry): Router {
  const { orm } = deps;
  const router = Router();
  const tag = 'customers';

  defineRoute(
    router,
    registry,
    documented(
      {
        method: 'get',
        path: '/unsubscribe/:token',
        tag,
        access: 'public',
        params: tokenParams,
        summary: 'The unsubscribe page from a marketing email (HTML, asks to confirm)',
      },
      { pages: { 200: 'A page asking to confirm, or saying the address is already unsubscribed', 404: NOT_RECOGNISED } },
    ),
    async ({ req, res, params }) => {
      const accept = req.get('accept-language');
      if (!isToken(params.token)) return notRecognised(res, accept);
      const row = await subscriptionByToken(orm, params.token);
      if (!row) return notRecognised(res, accept);
      const { lang, w } = wordsFor(row.locale, accept);
      if (row.unsubscribed) {
        return unsubscribedPage(res, lang, w, params.token);
      }
      page(
        res,
        200,
        lang,
        w.ask,
        `<p>${escapeHtml(w.askText)}</p>` + `<form method="post"><button type="submit">${escapeHtml(w.askButton)}</button></form>`,
      );
    },
  );

  defineRoute(
    router,
    registry,
    documented(
      {
        method: 'post',
        path: '/unsubscribe/:token',
        tag,
        access: 'public',
        params: tokenParams,
        summary: 'Unsubscribe (the confirmation button, or one-click from the mail client per RFC 8058)',
      },
      {
        pages: { 200: 'A page saying the address is unsubscribed (also when it already was)', 404: NOT_RECOGNISED },
        // RFC 8058: the mail client posts `List-Unsubscribe=One-Click`; the confirmation page's button posts nothing.
        form: z.object({ 'List-Unsubscribe': z.literal('One-Click').optional() }),
      },
    ),
    async ({ req, res, params }) => {
      const accept = req.get('accept-language');
      if (!isToken(params.token)) return notRecognised(res, accept);
      const done = await unsubscribe(deps, 'unsubscribe_token', params.token, { actorType: 'customer', actorId: null });
      if (!done) return notRecognised(res, accept);
      const { lang, w } = wordsFor(done.locale, accept);
      unsubscribedPage(res, lang, w, params.token);
    },
  );

  defineRoute(
    router,
    registry,
    documented(
      {
        method: 'post',
        path: '/unsubscribe/:token/resubscribe',
        tag,
        access: 'public',
        params: tokenParams,
        summary: 'Subscribe again (the button on the unsubscribed page, the link in the unsubscribe confirmation email)',
      },
      { pages: { 200: 'A page saying marketing email is on again', 404: NOT_RECOGNISED } },
    ),
    async ({ req, res, params }) => {
      const accept = req.get('accept-language');
      if (!isToken(params.token)) return notRecognised(res, accept);
      const row = await resubscribe(orm, params.token);
      if (!row) return notRecognised(res, accept);
      const { lang, w } = wordsFor(row.locale, accept);
      page(res, 200, lang, w.back, `<p>${escapeHtml(w.backText)}</p>`);
    },
  );

  return router;
}
