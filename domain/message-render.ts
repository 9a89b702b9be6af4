// Renders one template version for one customer: Liquid with HTML escaping on by default, dates, numbers and money
// in the customer's locale and timezone, the HTML wrapped in a responsive layout with the preheader and its CSS
// inlined for mail clients (juice), and a plain-text part (written, or generated from the HTML). Pure and
// synchronous; versions are immutable, so parsed templates are cached by their text.
import { compile } from 'html-to-text';
import juice from 'juice';
import { Liquid, type FilterImplOptions, type Template } from 'liquidjs';

type FilterImpl = ThisParameterType<Extract<FilterImplOptions, (...args: never[]) => unknown>>;
import { ENGINE_LIMITS, LOCALE_FILTERS, MESSAGES, type MessageKey, type TemplateSource } from './message-templates.ts';

export interface RenderContext {
  /** BCP 47, e.g. zh-CN, en. */
  locale: string;
  /** IANA, e.g. Asia/Shanghai: dates are shown as the customer lives them. */
  timeZone: string;
  /** Money without a currency of its own (format_money's default). */
  currency?: string;
}

export interface RenderedMessage {
  senderName: string;
  subject: string;
  preheader: string;
  html: string;
  text: string;
}

type Format = { locale: string; timeZone: string; currency: string };
const format = (impl: FilterImpl): Format => impl.context.globals as Format;
const asDate = (value: unknown): Date | null => {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
};

const FILTERS: Record<(typeof LOCALE_FILTERS)[number], (this: FilterImpl, value: unknown, ...args: unknown[]) => unknown> = {
  format_date(value, style = 'long') {
    const date = asDate(value);
    const { locale, timeZone } = format(this);
    return date ? new Intl.DateTimeFormat(locale, { dateStyle: style as 'long', timeZone }).format(date) : '';
  },
  format_datetime(value) {
    const date = asDate(value);
    const { locale, timeZone } = format(this);
    return date ? new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone }).format(date) : '';
  },
  format_number(value, digits = 0) {
    const n = Number(value);
    return Number.isFinite(n) ? new Intl.NumberFormat(format(this).locale, { maximumFractionDigits: Number(digits) }).format(n) : '';
  },
  format_money(value, currency) {
    const n = Number(value);
    const f = format(this);
    return Number.isFinite(n)
      ? new Intl.NumberFormat(f.locale, { style: 'currency', currency: String(currency ?? f.currency) }).format(n)
      : '';
  },
};

function engine(escape: boolean): Liquid {
  const liquid = new Liquid({ strictFilters: true, ...ENGINE_LIMITS, ...(escape ? { outputEscape: 'escape' as const } : {}) });
  for (const [name, impl] of Object.entries(FILTERS)) liquid.registerFilter(name, impl);
  return liquid;
}
const htmlEngine = engine(true);
const textEngine = engine(false);

const cache = new Map<string, Template[]>();
function parsed(liquid: Liquid, source: string): Template[] {
  const key = `${liquid === htmlEngine ? 'h' : 't'}:${source}`;
  let templates = cache.get(key);
  if (!templates) {
    templates = liquid.parse(source);
    if (cache.size >= 500) cache.delete(cache.keys().next().value!);
    cache.set(key, templates);
  }
  return templates;
}

/** The plain-text part from the HTML, compiled once: `convert` compiles its options on every call (most of its cost). */
const htmlToText = compile({
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
  ],
});

/** The layout's own words, in the customer's language (Chinese for any zh-*, else English). */
const FOOTER = {
  zh: { unsubscribe: '不想再收到此类邮件？点此退订', why: '您收到这封邮件，是因为您订阅了我们的通知。' },
  en: { unsubscribe: 'Unsubscribe from these emails', why: 'You get these emails because you opted in.' },
} as const;
const footerWords = (locale: string) => (locale.toLowerCase().startsWith('zh') ? FOOTER.zh : FOOTER.en);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** A single-column, table-based layout (the shape Outlook, Gmail and phone clients agree on), 600 px wide at most. */
function layout(body: string, preheader: string, subject: string, locale: string, unsubscribe: string | null): string {
  const words = footerWords(locale);
  const footer = unsubscribe
    ? `<tr><td style="padding:16px 32px;font-size:12px;line-height:1.5;color:#6b7280;text-align:center;">${escapeHtml(words.why)}<br>` +
      `<a href="${escapeHtml(unsubscribe)}" style="color:#6b7280;text-decoration:underline;">${escapeHtml(words.unsubscribe)}</a></td></tr>`
    : '';
  return `<!doctype html>
<html lang="${escapeHtml(locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting"><title>${escapeHtml(subject)}</title>
<style>@media (max-width: 620px) { .container { width: 100% !important; } .content { padding: 20px !important; } }
a { color: #0b5cad; } p { margin: 0 0 16px; } h1, h2 { margin: 0 0 16px; line-height: 1.3; }</style></head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<div style="display:none;max-height:0;overflow:hidden;opacity:0;mso-hide:all;">${escapeHtml(preheader)}${'&#847; &zwnj; '.repeat(40)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f5f7;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="width:600px;max-width:600px;background:#ffffff;border-radius:8px;">
<tr><td class="content" style="padding:32px;font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei','Helvetica Neue',Arial,sans-serif;font-size:16px;line-height:1.6;color:#1f2933;">
${body}
</td></tr>${footer}</table>
</td></tr></table></body></html>`;
}

/**
 * The message a customer gets from `source` with `data` (the fields MESSAGES declares for `key`). Marketing mail
 * (with `links.unsubscribe`) ends with the unsubscribe link whether or not the template names it.
 */
export function renderMessage(key: MessageKey, source: TemplateSource, data: Record<string, unknown>, ctx: RenderContext): RenderedMessage {
  const globals: Format = { locale: ctx.locale, timeZone: ctx.timeZone, currency: ctx.currency ?? 'CNY' };
  const opts = { globals };
  const senderName = oneLine(textEngine.renderSync(parsed(textEngine, source.senderName), data, opts) as string);
  const subject = oneLine(textEngine.renderSync(parsed(textEngine, source.subject), data, opts) as string);
  const preheader = source.preheader ? oneLine(textEngine.renderSync(parsed(textEngine, source.preheader), data, opts) as string) : '';
  const body = htmlEngine.renderSync(parsed(htmlEngine, source.html), data, opts) as string;
  const links = data.links as { unsubscribe?: string } | undefined;
  // Marketing mail (the sender gives its unsubscribe link) ends with the footer, whatever the message.
  const unsubscribe = links?.unsubscribe ?? null;
  const html = juice(layout(body, preheader, subject, ctx.locale, unsubscribe), { removeStyleTags: false, preserveMediaQueries: true });
  const written = source.text ? (textEngine.renderSync(parsed(textEngine, source.text), data, opts) as string).trim() : null;
  const generated = () => htmlToText(body).trim();
  const words = footerWords(ctx.locale);
  const text = `${written ?? generated()}${unsubscribe ? `\n\n--\n${words.why}\n${words.unsubscribe}: ${unsubscribe}` : ''}\n`;
  return { senderName, subject, preheader, html, text };
}
