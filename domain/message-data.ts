// The fields a message is rendered with (MESSAGES in message-templates.ts declares them): from a customer, the
// platform's brand, the unsubscribe link and the values the sending workflow passes (a coupon, a campaign). Preview
// uses the same function with a sample customer, so a preview shows what a send would.
import type { MessageKey } from './message-templates.ts';

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
  /** From the workflow: coupon and validUntil (win-back), campaignName and endsAt (campaign). */
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
  if (key === 'campaign') data.campaign = { name: values.campaignName ?? '', endsAt: values.endsAt ?? null };
  return data;
}

/** Someone to preview a message for when no customer is chosen, in the preview's language. */
export function sampleCustomer(locale: string): MessageCustomer {
  const zh = locale.toLowerCase().startsWith('zh');
  return {
    name: zh ? '王小明' : 'Alex Morgan', email: zh ? 'xiaoming@example.com' : 'alex@example.com', externalId: 'sample-customer',
    stage: 'activation', segment: 'potential', locale,
  };
}

/** Sample values for the fields a workflow would pass, in the preview's language. */
export function sampleValues(locale: string): Record<string, string> {
  const zh = locale.toLowerCase().startsWith('zh');
  return {
    coupon: 'COMEBACK-7Q2X', validUntil: new Date(Date.UTC(2030, 0, 15, 8)).toISOString(),
    campaignName: zh ? '双十一预热：全场满300减50' : 'Spring sale: 20% off everything', endsAt: new Date(Date.UTC(2030, 10, 11, 8)).toISOString(),
  };
}
