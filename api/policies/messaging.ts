// The customer messaging policy (frequency cap, quiet hours, default language, brand); it applies to the next send.
import { z } from 'zod';
import { SETTINGS } from '../../db/settings.ts';
import { DEFAULT_MESSAGING_POLICY, type MessagingPolicy } from '../../domain/messaging-policy.ts';
import { durationBetween, locale } from '../schemas.ts';
import { DAY, definePolicy, MINUTE } from './policy.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day such as '21:00'");
const messagingPolicyIn = z
  .object({
    frequencyCap: z
      .object({
        max: z.int().min(1).max(100),
        window: durationBetween(60 * MINUTE, 90 * DAY, "'1h' to '90d'"),
      })
      .strict()
      .nullable()
      .describe('at most `max` marketing emails per customer per `window`; null: no cap'),
    quietHours: z
      .object({ start: hhmm, end: hhmm })
      .strict()
      .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] })
      .nullable()
      .describe("in the customer's timezone; a send is deferred to `end`; null: none"),
    defaultLocale: locale
      .optional()
      .describe("the language of a customer's messages when they have no locale, or the message none in theirs (default en)"),
    platform: z
      .object({
        name: z.string().trim().min(1).max(100).describe('the brand customers know, as templates name it (platform.name)'),
        url: z
          .url({ protocol: /^https?$/ })
          .max(2000)
          .nullable()
          .describe('its site, for the links in templates (platform.url); null: none'),
      })
      .strict()
      .optional()
      .describe('default: opsflow, no site'),
  })
  .strict();

export const messagingPolicy = definePolicy<MessagingPolicy>({
  path: '/policies/messaging',
  key: SETTINGS.messagingPolicy,
  defaults: DEFAULT_MESSAGING_POLICY,
  schema: messagingPolicyIn,
  what: 'customer messaging policy (frequency cap, quiet hours, default language, brand)',
});
