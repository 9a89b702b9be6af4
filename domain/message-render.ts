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

/** The values that differ between the recipients of one message: the customer's fields and their links. */
function recipientValues(data: Record<string, unknown>): string[] {
  const values: string[] = [];
  for (const group of [data.customer, data.links]) {
    if (group && typeof group === 'object') for (const v of Object.values(group)) if (typeof v === 'string') values.push(v);
  }
  return values;
}

const JUICE_OPTIONS = { removeStyleTags: false, preserveMediaQueries: true };
/** A stand-in for the i-th recipient value: private-use characters, which no value (see inlineCss) contains. */
const MARK = '\uE000';
const stand = (i: number) => `${MARK}${String.fromCharCode(0xe001 + i)}${MARK}`;
const STANDS = /\uE000([\uE001-\uE0FF])\uE000/g;
/** Values juice copies as they are where a stand-in takes their place: no markup or entity, not a tag's or CSS's. */
const PLAIN = /^[^&<>"'\uE000-\uE0FF]{3,}$/;
/** Inlined HTML by the HTML with its recipient values stood in for: juice runs once per message, not per recipient. */
const inlined = new Map<string, string>();

/** Whether the stand-in `i` is, wherever it is in `html`, in text (not a style or script) or inside a quoted href. */
function standIsPlain(html: string, i: number): boolean {
  const mark = stand(i);
  for (let at = html.indexOf(mark); at >= 0; at = html.indexOf(mark, at + 1)) {
    const tagOpen = html.lastIndexOf('<', at);
    if (html.lastIndexOf('>', at) > tagOpen) {
      for (const raw of ['style', 'script']) if (html.lastIndexOf(`<${raw}`, at) > html.lastIndexOf(`</${raw}`, at)) return false;
    } else if (tagOpen < 0 || !/\shref="[^"<>]*$/i.test(html.slice(tagOpen, at))) return false;
  }
  return true;
}

/**
 * juice (the CSS inlined into the elements), computed once for all the recipients of a message: the recipient's
 * values are stood in for before, and put back after. juice copies text and a link's address as they are, so this is
 * what juice gives for the recipient's own HTML; a value found anywhere else (in markup, a tag's name, CSS) stays in
 * the HTML juice is given. juice was about a sixth of a campaign worker's CPU.
 */
export function inlineCss(html: string, recipient: string[]): string {
  if (/[\uE000-\uE0FF]/.test(html)) return juice(html, JUICE_OPTIONS);
  const values = [...new Set(recipient.filter((v) => PLAIN.test(v)))].sort((a, b) => b.length - a.length).slice(0, 0xff);
  let key = html;
  const stood: string[] = [];
  for (const value of values) {
    if (!key.includes(value)) continue;
    const next = key.split(value).join(stand(stood.length));
    if (!standIsPlain(next, stood.length)) continue;
    key = next;
    stood.push(value);
  }
  let done = inlined.get(key);
  if (done === undefined) {
    done = juice(key, JUICE_OPTIONS);
    if (inlined.size >= 100) inlined.delete(inlined.keys().next().value!);
    inlined.set(key, done);
  }
  return done.replace(STANDS, (_, c: string) => stood[c.charCodeAt(0) - 0xe001]!);
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
  const html = inlineCss(layout(body, preheader, subject, ctx.locale, unsubscribe), recipientValues(data));
  const written = source.text ? (textEngine.renderSync(parsed(textEngine, source.text), data, opts) as string).trim() : null;
  const generated = () => htmlToText(body).trim();
  const words = footerWords(ctx.locale);
  const text = `${written ?? generated()}${unsubscribe ? `\n\n--\n${words.why}\n${words.unsubscribe}: ${unsubscribe}` : ''}\n`;
  return { senderName, subject, preheader, html, text };
}
