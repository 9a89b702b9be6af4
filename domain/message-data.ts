// The fields a message is rendered with (MESSAGES in message-templates.ts declares them): from a customer, the
// platform's brand, the unsubscribe link and the values the sending workflow passes (a coupon, a campaign). Preview
// uses the same function with a sample customer, so a preview shows what a send would.
import { fillTemplate } from './campaign.ts';
import { renderMessage, type RenderedMessage } from './message-render.ts';
import type { MessageKey, TemplateSource } from './message-templates.ts';

export interface MessageCustomer {
  name: string | null;
  email: string;
  externalId: string;
  stage: string | null;
  segment: string | null;
  locale: string | null;
}

export interface MessageInput {
  customer: MessageCustomer;
  platform: { name: string; url: string | null };
  unsubscribeUrl: string | null;
  resubscribeUrl?: string | null;
  /** From the workflow: coupon and validUntil (win-back); campaignName, subject, body and endsAt (campaign). */
  values: Record<string, string>;
}

export function messageData(key: MessageKey, input: MessageInput): Record<string, unknown> {
  const { customer, values } = input;
  const data: Record<string, unknown> = {
    customer: { ...customer, firstName: customer.name?.trim().split(/\s+/)[0] ?? null },
    platform: input.platform,
    links: key === 'unsubscribeConfirmation' ? { resubscribe: input.resubscribeUrl ?? null } : { unsubscribe: input.unsubscribeUrl },
  };
  if (key === 'winBack') data.coupon = { code: values.coupon ?? '', validUntil: values.validUntil ?? null };
  if (key === 'campaign') {
    data.campaign = {
      name: values.campaignName ?? '',
      subject: values.subject ?? '',
      endsAt: values.endsAt ?? null,
      paragraphs: (values.body ?? '')
        .split(/\n\s*\n/)
        .map((p) => p.trim())
        .filter(Boolean),
    };
  }
  return data;
}

/** Someone to preview a message for when no customer is chosen, in the preview's language. */
export function sampleCustomer(locale: string): MessageCustomer {
  const zh = locale.toLowerCase().startsWith('zh');
  return {
    name: zh ? '王小明' : 'Alex Morgan',
    email: zh ? 'xiaoming@example.com' : 'alex@example.com',
    externalId: 'sample-customer',
    stage: 'activation',
    segment: 'potential',
    locale,
  };
}

/** Sample values for the fields a workflow would pass, in the preview's language. */
export function sampleValues(locale: string): Record<string, string> {
  const zh = locale.toLowerCase().startsWith('zh');
  return {
    coupon: 'COMEBACK-7Q2X',
    validUntil: new Date(Date.UTC(2030, 0, 15, 8)).toISOString(),
    campaignName: zh ? '双十一预热' : 'Spring sale',
    endsAt: new Date(Date.UTC(2030, 10, 11, 8)).toISOString(),
    subject: zh ? '双十一预热：全场满300减50' : 'Spring sale: 20% off everything',
    body: zh
      ? '预热期间下单，全场满300减50。\n\n活动名额有限，先到先得。'
      : 'Everything is 20% off until Sunday.\n\nThe best picks go first.',
  };
}

/** Of the locales a message has, the one for a customer: theirs, their language's, the default, the default's language. */
export function pickLocale(available: readonly string[], wanted: string | null, defaultLocale: string): string | undefined {
  const lower = (l: string) => l.toLowerCase();
  return [wanted, wanted?.split('-')[0], defaultLocale, defaultLocale.split('-')[0]]
    .filter((l): l is string => !!l)
    .map((w) => available.find((l) => lower(l) === lower(w)) ?? available.find((l) => lower(l).split('-')[0] === lower(w)))
    .find(Boolean);
}

export interface ComposeInput {
  customer: MessageCustomer & { timezone: string };
  platform: { name: string; url: string | null };
  unsubscribeUrl: string | null;
  resubscribeUrl?: string | null;
  values: Record<string, string>;
}

/**
 * A message for one customer from one template version: the fields, then the render in the version's locale and the
 * customer's timezone. A campaign's own text names customer fields the older way ({{firstName}}): filled first.
 */
export function composeMessage(key: MessageKey, version: TemplateSource & { locale: string }, input: ComposeInput): RenderedMessage {
  const { customer } = input;
  const fields = { ...customer, firstName: customer.name?.trim().split(/\s+/)[0] ?? null };
  const values =
    key === 'campaign'
      ? { ...input.values, subject: fillTemplate(input.values.subject ?? '', fields), body: fillTemplate(input.values.body ?? '', fields) }
      : input.values;
  const data = messageData(key, {
    customer,
    platform: input.platform,
    unsubscribeUrl: input.unsubscribeUrl,
    resubscribeUrl: input.resubscribeUrl ?? null,
    values,
  });
  return renderMessage(key, version, data, { locale: version.locale, timeZone: customer.timezone });
}

/** Sample fields for a message to a partner, for previews. */
export function samplePartnerFields(locale: string): Record<string, unknown> {
  const zh = locale.toLowerCase().startsWith('zh');
  return {
    partner: { name: zh ? '林小厨' : 'Lin Cooks' },
    links: { sign: 'https://ops.example.com/sign/sample?token=sample' },
    signBy: new Date(Date.UTC(2030, 0, 15, 8)).toISOString(),
    reminder: false,
    contract: {
      scope: zh ? '每月 4 条探店短视频' : 'Four short videos a month',
      start: new Date(Date.UTC(2030, 0, 1)).toISOString(),
      end: new Date(Date.UTC(2030, 11, 31)).toISOString(),
      cadence: 'monthly',
      fee: 8000,
      currency: 'CNY',
      trackingCode: 'LIN-2030',
      reason: zh ? '合作方向调整' : 'a change of direction',
    },
  };
}
