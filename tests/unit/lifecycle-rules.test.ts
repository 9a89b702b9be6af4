// The lifecycle state machine driven directly: no Temporal, just events and a clock.
import { initialState, Lifecycle } from '../../domain/lifecycle.ts';
import { DEFAULT_LIFECYCLE_POLICY, type CustomerEvent, type EventType } from '../../domain/lifecycle.types.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T10:00:00Z');
let seq = 0;
const ev = (type: EventType, at: number, amount?: number): CustomerEvent => ({
  key: `k${++seq}`,
  type,
  at: new Date(at).toISOString(),
  ...(amount ? { amount } : {}),
});

function machine() {
  return new Lifecycle(initialState('c1', DEFAULT_LIFECYCLE_POLICY));
}

test('a key action after the activation window does not activate; a purchase still monetizes', () => {
  const m = machine();
  m.apply([ev('signup', T0)], T0);
  m.apply([ev('key_action', T0 + 8 * DAY)], T0 + 8 * DAY);
  expect(m.state.stage).toBe('acquired');
  m.apply([ev('purchase', T0 + 9 * DAY, 19.99)], T0 + 9 * DAY);
  expect(m.state.stage).toBe('monetized');
  expect(m.state.milestones.activated).toBeUndefined();
  expect(m.state.counters).toMatchObject({ purchases: 1, gmv: 19.99 });
});

test('retained: activity a retention period after activation; the funnel never moves back', () => {
  const m = machine();
  m.apply([ev('signup', T0), ev('key_action', T0 + DAY)], T0 + DAY);
  m.apply([ev('login', T0 + 10 * DAY)], T0 + 10 * DAY);
  m.apply([ev('login', T0 + 20 * DAY)], T0 + 20 * DAY);
  expect(m.state.stage).toBe('activated');
  m.apply([ev('login', T0 + 31 * DAY)], T0 + 31 * DAY);
  expect(m.state.stage).toBe('retained');
  m.apply([ev('referral', T0 + 32 * DAY)], T0 + 32 * DAY);
  m.apply([ev('purchase', T0 + 33 * DAY, 5)], T0 + 33 * DAY);
  expect(m.state.stage).toBe('referrer');
  expect(m.takeUnsaved().map((c) => c.to)).toEqual(['acquired', 'activated', 'retained', 'referrer']);
});

test('events of one batch apply in time order, and old events never count as future activity', () => {
  const m = machine();
  const now = T0 + 2 * DAY;
  m.apply([ev('key_action', T0 + DAY), ev('signup', T0), ev('login', now + 5 * DAY)], now);
  expect(m.state.history.map((c) => c.to)).toEqual(['acquired', 'activated']);
  expect(m.state.signupAt).toBe(new Date(T0).toISOString());
  expect(m.state.lastActiveAt).toBe(new Date(now).toISOString()); // a future stamp is clamped to now
});

test('an imported old signup skips nurture steps that are long past instead of sending them all at once', () => {
  const m = machine();
  const now = T0 + 30 * DAY;
  m.apply([ev('signup', T0)], now);
  m.advance(now);
  expect(m.state.outbox).toHaveLength(0);
  expect(m.state.messages.filter((x) => x.step.startsWith('nurture:')).map((x) => [x.step, x.status])).toEqual([
    ['nurture:welcome', 'skipped'],
    ['nurture:tips', 'skipped'],
    ['nurture:nudge', 'skipped'],
    ['nurture:summary', 'skipped'],
  ]);
  expect(m.state.nurture.status).toBe('completed');
  // Thirty days without activity: at risk at day 14, churned when the win-back window closed at day 21, no mail now.
  expect(m.state.history.map((c) => [c.to, c.at])).toEqual([
    ['acquired', new Date(T0).toISOString()],
    ['at_risk', new Date(T0 + 14 * DAY).toISOString()],
    ['churned', new Date(T0 + 21 * DAY).toISOString()],
  ]);
});

test('a deferred send stays owed and is due again at the end of the deferral', () => {
  const m = machine();
  m.apply([ev('signup', T0)], T0);
  m.advance(T0);
  const [welcome] = m.dueSends(T0);
  const until = new Date(T0 + 3_600_000).toISOString();
  m.settleSend(welcome!, { status: 'deferred', until, reason: 'quiet_hours' }, T0);
  expect(m.dueSends(T0)).toHaveLength(0);
  expect(m.nextDue()).toBe(T0 + 3_600_000);
  expect(m.dueSends(T0 + 3_600_000).map((x) => x.step)).toEqual(['nurture:welcome']);
  m.settleSend(welcome!, { status: 'sent' }, T0 + 3_600_000);
  expect(m.state.counters).toMatchObject({ sent: 1, deferred: 1 });
  expect(m.state.outbox).toHaveLength(0);
});

test('a repeated key is a duplicate, even in the same batch', () => {
  const m = machine();
  const e = ev('signup', T0);
  m.apply([e, e], T0);
  m.apply([e], T0);
  expect(m.state.counters).toMatchObject({ events: 1, duplicates: 2 });
});

test('a late-arriving old event does not recall an at-risk customer; a new one does, once', () => {
  const m = machine();
  m.apply([ev('signup', T0)], T0);
  m.advance(T0 + 15 * DAY);
  expect(m.state.stage).toBe('at_risk');
  m.apply([ev('login', T0 + DAY)], T0 + 16 * DAY); // buffered offline, sent late
  expect(m.state.stage).toBe('at_risk');
  expect(m.state.counters).toMatchObject({ recalls: 0, winBacks: 1, events: 2 });
  m.apply([ev('login', T0 + 17 * DAY)], T0 + 17 * DAY);
  expect(m.state.stage).toBe('recalled');
  m.advance(T0 + 17 * DAY);
  expect(m.state.counters).toMatchObject({ recalls: 1, winBacks: 1 });
  // Active a retention period after the recall: back to the funnel stage.
  m.apply([ev('login', T0 + 27 * DAY), ev('login', T0 + 37 * DAY)], T0 + 37 * DAY);
  expect(m.state.stage).toBe('recalled');
  m.apply([ev('login', T0 + 48 * DAY)], T0 + 48 * DAY);
  expect(m.state.stage).toBe('acquired');
  expect(m.state.history.at(-1)).toMatchObject({ from: 'recalled', to: 'acquired', cause: 'retained_after_recall' });
});

test('after an outage, what was due happened at its own time before the event that arrived late', () => {
  const m = machine();
  m.apply([ev('signup', T0)], T0);
  m.apply([ev('login', T0 + 20 * DAY)], T0 + 20 * DAY); // the worker was down from day 1 to day 20
  expect(m.state.history.map((c) => [c.to, c.at])).toEqual([
    ['acquired', new Date(T0).toISOString()],
    ['at_risk', new Date(T0 + 14 * DAY).toISOString()],
    ['recalled', new Date(T0 + 20 * DAY).toISOString()],
  ]);
  expect(m.state.outbox.filter((x) => x.purpose === 'winback')).toHaveLength(0); // the win-back is moot
});

test('a first batch with signup and purchase still sends the transactional welcome', () => {
  const m = machine();
  m.apply([ev('signup', T0), ev('purchase', T0 + 1000, 10)], T0 + 1000);
  m.advance(T0 + 1000);
  expect(m.state.nurture.status).toBe('goal_reached');
  expect(m.dueSends(T0 + 1000).map((x) => x.step)).toEqual(['nurture:welcome']);
});

test('a win-back asked for by a rule puts an active customer at risk now, once per key; one already at risk stays', () => {
  const m = machine();
  m.apply([ev('signup', T0), ev('purchase', T0 + DAY, 10)], T0 + DAY);
  expect(m.requestWinBack({ key: 'rule:r1:episode:1:winback', cause: 'rule:r1' }, T0 + 2 * DAY)).toBe(true);
  expect(m.state).toMatchObject({ stage: 'at_risk', winBack: { round: 1, startedAt: new Date(T0 + 2 * DAY).toISOString() } });
  expect(m.state.winBack!.deadline).toBe(new Date(T0 + 9 * DAY).toISOString()); // winBackWait 7d
  expect(m.dueSends(T0 + 2 * DAY).map((x) => x.step)).toContain('winback:1');
  expect(m.takeUnsaved().at(-1)).toMatchObject({ from: 'monetized', to: 'at_risk', cause: 'rule:r1' });
  // The same request again (a retried run) and another rule's request while at risk change nothing.
  expect(m.requestWinBack({ key: 'rule:r1:episode:1:winback', cause: 'rule:r1' }, T0 + 3 * DAY)).toBe(false);
  expect(m.requestWinBack({ key: 'rule:r2:episode:1:winback', cause: 'rule:r2' }, T0 + 3 * DAY)).toBe(false);
  expect(m.state.counters.winBacks).toBe(1);
  // Coming back after it began recalls them.
  m.apply([ev('login', T0 + 4 * DAY)], T0 + 4 * DAY);
  expect(m.state.stage).toBe('recalled');
  // Never active: nothing to win back.
  const fresh = machine();
  expect(fresh.requestWinBack({ key: 'k', cause: 'rule:r1' }, T0)).toBe(false);
  expect(fresh.state.stage).toBeNull();
});
