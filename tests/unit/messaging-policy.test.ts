import { decide, DEFAULT_MESSAGING_POLICY, quietHoursEnd, type RecipientFacts } from '../../domain/messaging-policy.ts';

const facts = (over: Partial<RecipientFacts> = {}): RecipientFacts => ({
  unsubscribed: false,
  marketingConsent: true,
  timezone: 'UTC',
  recentMarketing: 0,
  ...over,
});
const at = (iso: string) => new Date(iso);

test('quiet hours are read in the customer timezone and end at the next local morning', () => {
  const quiet = { start: '21:00', end: '09:00' };
  // 22:30 in Shanghai (UTC+8) is 14:30 UTC: deferred to 09:00 Shanghai the next day, 01:00 UTC.
  expect(quietHoursEnd(quiet, 'Asia/Shanghai', at('2026-11-22T14:30:00Z'))?.toISOString()).toBe('2026-11-23T01:00:00.000Z');
  // 03:00 in Shanghai: the same morning.
  expect(quietHoursEnd(quiet, 'Asia/Shanghai', at('2026-11-22T19:00:00Z'))?.toISOString()).toBe('2026-11-23T01:00:00.000Z');
  // 14:30 UTC is daytime in London, evening (quiet) in Shanghai.
  expect(quietHoursEnd(quiet, 'Europe/London', at('2026-11-22T14:30:00Z'))).toBeNull();
  expect(quietHoursEnd(quiet, 'UTC', at('2026-11-22T09:00:00Z'))).toBeNull();
  expect(quietHoursEnd(quiet, 'UTC', at('2026-11-22T21:00:00Z'))?.toISOString()).toBe('2026-11-23T09:00:00.000Z');
  expect(quietHoursEnd(null, 'UTC', at('2026-11-22T23:00:00Z'))).toBeNull();
});

test('the morning after a DST change is the local 09:00, not 24 hours later', () => {
  // New York leaves DST on 2026-11-01 at 02:00: 23:00 EDT on 31 October is 03:00Z; 09:00 EST on 1 November is 14:00Z.
  expect(quietHoursEnd({ start: '21:00', end: '09:00' }, 'America/New_York', at('2026-11-01T03:00:00Z'))?.toISOString()).toBe(
    '2026-11-01T14:00:00.000Z',
  );
});

test('a daytime quiet window (start before end) works too', () => {
  const lunch = { start: '12:00', end: '13:30' };
  expect(quietHoursEnd(lunch, 'UTC', at('2026-11-22T12:10:00Z'))?.toISOString()).toBe('2026-11-22T13:30:00.000Z');
  expect(quietHoursEnd(lunch, 'UTC', at('2026-11-22T13:30:00Z'))).toBeNull();
});

test('marketing obeys unsubscription, consent, quiet hours and the cap; transactional mail is exempt', () => {
  const policy = DEFAULT_MESSAGING_POLICY;
  const night = at('2026-11-22T23:00:00Z');
  const day = at('2026-11-22T12:00:00Z');
  expect(decide(policy, 'transactional', facts({ unsubscribed: true, recentMarketing: 9 }), night)).toEqual({ action: 'send' });
  expect(decide(policy, 'marketing', facts({ unsubscribed: true }), day)).toEqual({ action: 'skip', reason: 'unsubscribed' });
  expect(decide(policy, 'marketing', facts({ marketingConsent: false }), day)).toEqual({ action: 'skip', reason: 'no_consent' });
  expect(decide(policy, 'marketing', facts(), night)).toEqual({
    action: 'defer',
    until: at('2026-11-23T09:00:00Z'),
    reason: 'quiet_hours',
  });
  expect(decide(policy, 'marketing', facts({ recentMarketing: 2 }), day)).toEqual({ action: 'send' });
  expect(decide(policy, 'marketing', facts({ recentMarketing: 3 }), day)).toEqual({ action: 'skip', reason: 'frequency_cap' });
  expect(decide({ ...policy, frequencyCap: null }, 'marketing', facts({ recentMarketing: 50 }), day)).toEqual({ action: 'send' });
});
