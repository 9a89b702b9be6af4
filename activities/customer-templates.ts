// Emails to customers (the platform's end users). Marketing mail ends with its unsubscribe link.
import { fillTemplate } from '../domain/campaign.ts';
import type { NurtureTemplate } from '../domain/lifecycle.types.ts';
import { compose, type Rendered } from './templates/compose.ts';

export interface CustomerMailData {
  name: string | null;
  /** Set for marketing mail: the one-click unsubscribe page for this customer. */
  unsubscribeUrl: string | null;
  /** Template-specific values from the workflow (a coupon code, its expiry; a campaign's subject and body). */
  values: Record<string, string>;
  /** The fields a campaign template may name. */
  customer: { name: string | null; email: string; externalId: string; stage: string | null; segment: string | null };
}

const hello = (d: CustomerMailData) => (d.name ? `Hi ${d.name},` : 'Hi,');
const footer = (d: CustomerMailData) =>
  d.unsubscribeUrl ? [`You get these emails because you opted in. Unsubscribe: ${d.unsubscribeUrl}`] : [];

export const customerTemplates = {
  welcome: (d: CustomerMailData) =>
    compose('Welcome aboard', [
      hello(d),
      'Your account is ready. The quickest way to get value is to try the one feature people love most first.',
      ...footer(d),
    ]),
  tips: (d: CustomerMailData) =>
    compose('Three tips to get more out of your account', [
      hello(d),
      ['Set up your profile', 'Try the key feature once', 'Invite a friend who would like it'],
      ...footer(d),
    ]),
  nudge: (d: CustomerMailData) =>
    compose('You are one step away', [
      hello(d),
      'You signed up a few days ago but have not tried the key feature yet. It takes two minutes.',
      ...footer(d),
    ]),
  summary: (d: CustomerMailData) =>
    compose('Your first week', [hello(d), 'Here is what you can do next, now that your first week is over.', ...footer(d)]),
  winBack: (d: CustomerMailData) =>
    compose('We miss you: a coupon to come back', [
      hello(d),
      'It has been a while. Here is a coupon for your next purchase:',
      `Code: ${d.values.coupon ?? ''}${d.values.validUntil ? ` (valid until ${d.values.validUntil.slice(0, 10)})` : ''}`,
      ...footer(d),
    ]),
  /** A campaign's own subject and body, filled with the customer's fields; paragraphs split on blank lines. */
  campaign: (d: CustomerMailData) => {
    const fields = { ...d.customer, firstName: d.customer.name?.trim().split(/\s+/)[0] ?? null };
    const body = fillTemplate(d.values.body ?? '', fields)
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter(Boolean);
    return compose(fillTemplate(d.values.subject ?? '', fields), [...body, ...footer(d)]);
  },
} satisfies Record<NurtureTemplate | 'winBack' | 'campaign', (d: CustomerMailData) => Rendered>;

export type CustomerTemplateName = keyof typeof customerTemplates;
