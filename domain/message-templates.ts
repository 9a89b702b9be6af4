// Customer-facing messages as data: which messages exist, the fields each may name, and the check a template passes
// before it is saved (its Liquid parses, it names only declared fields and known filters). Pure: the API checks an
// edit with it, the worker renders with the same engine (message-render.ts).
import { Liquid, type Template } from 'liquidjs';

/** How a field is shown: text as is, a date in the customer's locale and timezone, a URL, an amount of money. */
export type FieldKind = 'text' | 'date' | 'url' | 'money' | 'number' | 'list' | 'flag';
type FieldTree = { readonly [name: string]: FieldKind | FieldTree };

const CUSTOMER: FieldTree = {
  name: 'text',
  firstName: 'text',
  email: 'text',
  externalId: 'text',
  stage: 'text',
  segment: 'text',
  locale: 'text',
};
const PLATFORM: FieldTree = { name: 'text', url: 'url' };
const MARKETING_LINKS: FieldTree = { unsubscribe: 'url' };
const PARTNER: FieldTree = { name: 'text' };

/**
 * Every customer-facing message, with the fields it offers and whether it is usually marketing (the sender's
 * category decides: marketing mail carries the unsubscribe link and footer, whatever the message).
 */
export const MESSAGES = {
  // The first email after signup: transactional unless the lifecycle policy's step says marketing.
  welcome: { marketing: false, fields: { customer: CUSTOMER, platform: PLATFORM, links: MARKETING_LINKS } },
  tips: { marketing: true, fields: { customer: CUSTOMER, platform: PLATFORM, links: MARKETING_LINKS } },
  nudge: { marketing: true, fields: { customer: CUSTOMER, platform: PLATFORM, links: MARKETING_LINKS } },
  summary: { marketing: true, fields: { customer: CUSTOMER, platform: PLATFORM, links: MARKETING_LINKS } },
  winBack: {
    marketing: true,
    fields: { customer: CUSTOMER, platform: PLATFORM, links: MARKETING_LINKS, coupon: { code: 'text', validUntil: 'date' } },
  },
  unsubscribeConfirmation: { marketing: false, fields: { customer: CUSTOMER, platform: PLATFORM, links: { resubscribe: 'url' } } },
  campaign: {
    marketing: true,
    // The campaign's own subject and text (written on the campaign, customer placeholders filled), its paragraphs for
    // `{% for p in campaign.paragraphs %}`.
    fields: {
      customer: CUSTOMER,
      platform: PLATFORM,
      links: MARKETING_LINKS,
      campaign: { name: 'text', subject: 'text', paragraphs: 'list', endsAt: 'date' },
    },
  },
  // To partners and KOLs (outside parties, in the partner's locale): their contract's signing link, its start, its end.
  contractSignLink: {
    marketing: false,
    fields: {
      partner: PARTNER,
      platform: PLATFORM,
      links: { sign: 'url' },
      signBy: 'date',
      reminder: 'flag',
      contract: { scope: 'text', start: 'date', end: 'date', cadence: 'text', fee: 'money', currency: 'text' },
    },
  },
  contractActivated: {
    marketing: false,
    fields: { partner: PARTNER, platform: PLATFORM, contract: { start: 'date', end: 'date', trackingCode: 'text' } },
  },
  contractTerminated: {
    marketing: false,
    fields: { partner: PARTNER, platform: PLATFORM, contract: { reason: 'text' } },
  },
} as const satisfies Record<string, { marketing: boolean; fields: FieldTree }>;

/** The messages to partners (rendered for the partner, not a customer). */
export const PARTNER_MESSAGES = ['contractSignLink', 'contractActivated', 'contractTerminated'] as const;
export type PartnerMessageKey = (typeof PARTNER_MESSAGES)[number];
export const isPartnerMessage = (key: string): key is PartnerMessageKey => (PARTNER_MESSAGES as readonly string[]).includes(key);

export type MessageKey = keyof typeof MESSAGES;
export const MESSAGE_KEYS = Object.keys(MESSAGES) as MessageKey[];
export const isMessageKey = (value: string): value is MessageKey => Object.hasOwn(MESSAGES, value);

/** The parts of one template version an operator writes. `text` null: generated from the HTML. */
export interface TemplateSource {
  /** The From name customers see. */
  senderName: string;
  subject: string;
  preheader: string | null;
  html: string;
  text: string | null;
}
export type TemplatePart = keyof TemplateSource;

/** Filters beyond Liquid's standard ones, formatted for the customer's locale and timezone (see message-render.ts). */
export const LOCALE_FILTERS = ['format_date', 'format_datetime', 'format_number', 'format_money'] as const;

/** The engine's limits, so a template an operator writes cannot stall a worker. */
export const ENGINE_LIMITS = { parseLimit: 100_000, renderLimit: 1_000, memoryLimit: 10_000_000 } as const;

/** For parsing and analysis only (rendering registers the filters' real implementations). */
const checker = new Liquid({ strictFilters: true, ...ENGINE_LIMITS });
for (const name of LOCALE_FILTERS) checker.registerFilter(name, (v: unknown) => v);

export interface TemplateProblem {
  part: TemplatePart;
  message: string;
}

/** Dotted paths of every field a message offers, leaves and groups: `customer`, `customer.name`, … */
export function fieldPaths(key: MessageKey): string[] {
  const walk = (tree: FieldTree, prefix: string): string[] =>
    Object.entries(tree).flatMap(([name, kind]) => {
      const path = prefix ? `${prefix}.${name}` : name;
      return typeof kind === 'string' ? [path] : [path, ...walk(kind, path)];
    });
  return walk(MESSAGES[key].fields, '');
}

/** Liquid's own loop variables: not fields. */
const BUILT_INS = new Set(['forloop', 'tablerowloop', 'empty', 'blank', 'nil', 'null', 'true', 'false']);

/**
 * Everything wrong with a template for a message, each naming the part, the field or expression, and where: a syntax
 * error, an unknown filter, a field the message does not offer. Empty when it may be saved.
 */
export function checkTemplate(key: MessageKey, source: TemplateSource): TemplateProblem[] {
  const known = new Set(fieldPaths(key));
  const problems: TemplateProblem[] = [];
  for (const part of ['senderName', 'subject', 'preheader', 'html', 'text'] as const) {
    const text = source[part];
    if (text === null) continue;
    let parsed: Template[];
    try {
      parsed = checker.parse(text);
    } catch (err) {
      problems.push({ part, message: (err as Error).message.split('\n')[0]! });
      continue;
    }
    const { globals } = checker.analyzeSync(parsed);
    for (const [root, uses] of Object.entries(globals)) {
      if (BUILT_INS.has(root)) continue;
      for (const use of uses) {
        const path = pathOf(use.segments);
        if (known.has(path)) continue;
        problems.push({
          part,
          message: `unknown field "${path}" at line ${use.location.row}, column ${use.location.col}: ${key} offers ${leaves(key)}`,
        });
      }
    }
  }
  if (!source.subject.trim()) problems.push({ part: 'subject', message: 'the subject is empty' });
  if (!source.html.trim()) problems.push({ part: 'html', message: 'the HTML body is empty' });
  return problems;
}

/** `customer.name` from ['customer', 'name']; stops at an index or a computed segment (`items[0]`, `a[b]`). */
function pathOf(segments: readonly unknown[]): string {
  const names: string[] = [];
  for (const segment of segments) {
    if (typeof segment !== 'string') break;
    names.push(segment);
  }
  return names.join('.');
}

const leaves = (key: MessageKey): string => {
  const all = fieldPaths(key);
  return all.filter((path) => !all.some((other) => other.startsWith(`${path}.`))).join(', ');
};
