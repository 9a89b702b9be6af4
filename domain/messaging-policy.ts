// The customer messaging policy as a pure decision: every family that emails customers asks it, through
// sendToCustomer (activities/customer-email.ts), so the rules live in one place. Pure: the API reads its defaults too.
import { DateTime } from 'luxon';
import type { MessageCategory } from './lifecycle.types.ts';

export interface MessagingPolicy {
  /** Increases with every change through the API. */
  version: number;
  /** At most `max` marketing emails per customer in any `window` ('7d'); null: no cap. */
  frequencyCap: { max: number; window: string } | null;
  /** Local wall-clock times ('21:00' to '09:00') in the customer's timezone; null: send at any hour. */
  quietHours: { start: string; end: string } | null;
  /** BCP 47: the language of a customer's messages when they have none of their own, or none that has the message. */
  defaultLocale: string;
  /** The brand customers know (templates' `platform.name`) and its site (`platform.url`, null: no link). */
  platform: { name: string; url: string | null };
}

export const DEFAULT_MESSAGING_POLICY: MessagingPolicy = {
  version: 0,
  frequencyCap: { max: 3, window: '7d' },
  quietHours: { start: '21:00', end: '09:00' },
  defaultLocale: 'en',
  platform: { name: 'opsflow', url: null },
};

export interface RecipientFacts {
  unsubscribed: boolean;
  marketingConsent: boolean;
  timezone: string;
  /** Marketing emails this customer was sent (or is being sent) within the cap's window. */
  recentMarketing: number;
}

export type SkipReason = 'unsubscribed' | 'no_consent' | 'frequency_cap';
export type Decision =
  { action: 'send' } | { action: 'defer'; until: Date; reason: 'quiet_hours' } | { action: 'skip'; reason: SkipReason };

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** When the quiet hours around `now` end in `timezone`, or null when `now` is outside them. */
export function quietHoursEnd(quiet: MessagingPolicy['quietHours'], timezone: string, now: Date): Date | null {
  if (!quiet) return null;
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const zoned = local.isValid ? local : DateTime.fromJSDate(now, { zone: 'UTC' });
  const minute = zoned.hour * 60 + zoned.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return null;
  const quietNow = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!quietNow) return null;
  let until = zoned.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  if (until <= zoned) until = until.plus({ days: 1 });
  return until.toJSDate();
}

/**
 * Transactional mail always goes. Marketing mail: never to the unsubscribed or to those who gave no consent;
 * during quiet hours deferred to their end (not dropped); over the frequency cap skipped.
 */
export function decide(policy: MessagingPolicy, category: MessageCategory, facts: RecipientFacts, now: Date): Decision {
  if (category === 'transactional') return { action: 'send' };
  if (facts.unsubscribed) return { action: 'skip', reason: 'unsubscribed' };
  if (!facts.marketingConsent) return { action: 'skip', reason: 'no_consent' };
  const until = quietHoursEnd(policy.quietHours, facts.timezone, now);
  if (until) return { action: 'defer', until, reason: 'quiet_hours' };
  if (policy.frequencyCap && facts.recentMarketing >= policy.frequencyCap.max) return { action: 'skip', reason: 'frequency_cap' };
  return { action: 'send' };
}
