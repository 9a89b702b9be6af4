// The customer lifecycle on the time-skipping server: days and weeks pass in milliseconds. Activities are faked at
// the boundary; the fake send applies the real messaging-policy decision on the server's (skipped) clock.
import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import type { CustomerEmailRequest } from '../../activities/customer-email.ts';
import type { CouponRequest, LifecycleSnapshot } from '../../activities/lifecycle.ts';
import { decide, DEFAULT_MESSAGING_POLICY, type MessagingPolicy } from '../../domain/messaging-policy.ts';
import { customerLifecycleId } from '../../domain/ids.ts';
import { getLifecycle, recordEvents } from '../../workflows/lifecycle.messages.ts';
import type { SendOutcome } from '../../domain/lifecycle.ts';
import type { customerLifecycle } from '../../workflows/lifecycle.ts';
import {
  DEFAULT_LIFECYCLE_POLICY,
  type EventsSignal,
  type EventType,
  type LifecycleInput,
  type LifecyclePolicy,
} from '../../domain/lifecycle.types.ts';
import { timeSkippingSuite } from '../support/runtime.ts';
import { recordHistory } from '../support/histories.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// One server per test: each test moves the server's clock by weeks, and a later test's sleeps were seen to stall
// on a server an earlier win-back had run on.
const suite = timeSkippingSuite({ serverPerTest: true });
const { withWorker } = suite;

interface Sent {
  key: string;
  template: string;
  category: string;
  at: number;
  data: Record<string, string>;
}

/** Activities at the boundary: an in-memory ledger with the real policy decision, coupons that survive a crash. */
function fakeActivities(opts: { messaging?: Partial<MessagingPolicy>; timezone?: string } = {}) {
  const policy: MessagingPolicy = { ...DEFAULT_MESSAGING_POLICY, quietHours: null, ...opts.messaging };
  const sent: Sent[] = [];
  const decisions = new Map<string, SendOutcome>();
  const coupons = new Map<string, string>();
  const couponCalls: string[] = [];
  const snapshots: LifecycleSnapshot[] = [];
  const serverNow = () => Context.current().info.currentAttemptScheduledTimestampMs;
  return {
    sent,
    coupons,
    couponCalls,
    snapshots,
    decisions,
    activities: {
      saveLifecycle: async (s: LifecycleSnapshot) => {
        snapshots.push(s);
      },
      loadLifecyclePolicy: async () => DEFAULT_LIFECYCLE_POLICY,
      /** The first attempt stores the code and then "crashes": the retry must get the same code. */
      issueCoupon: async (r: CouponRequest) => {
        couponCalls.push(r.idempotencyKey);
        const known = coupons.get(r.idempotencyKey);
        if (known) return { code: known, expiresAt: null };
        coupons.set(r.idempotencyKey, `WB-${randomUUID().slice(0, 8)}`);
        throw new Error('connection lost after the insert');
      },
      sendCustomerEmail: async (r: CustomerEmailRequest): Promise<SendOutcome> => {
        const now = serverNow();
        const prior = decisions.get(r.idempotencyKey);
        if (prior && prior.status !== 'deferred') return prior.status === 'sent' ? { status: 'duplicate' } : prior;
        const window = 7 * DAY;
        const recentMarketing = sent.filter((s) => s.category === 'marketing' && now - s.at < window).length;
        const d = decide(
          policy,
          r.category,
          {
            unsubscribed: false,
            marketingConsent: true,
            timezone: opts.timezone ?? 'UTC',
            recentMarketing,
          },
          new Date(now),
        );
        const outcome: SendOutcome =
          d.action === 'send'
            ? { status: 'sent' }
            : d.action === 'defer'
              ? { status: 'deferred', until: d.until.toISOString(), reason: d.reason }
              : { status: 'skipped', reason: d.reason };
        decisions.set(r.idempotencyKey, outcome);
        if (outcome.status === 'sent')
          sent.push({ key: r.idempotencyKey, template: r.template, category: r.category, at: now, data: r.data });
        return outcome;
      },
    },
  };
}

const policyWith = (over: Partial<LifecyclePolicy> = {}): LifecyclePolicy => ({ ...DEFAULT_LIFECYCLE_POLICY, ...over });

type RunLimits = Pick<LifecycleInput, 'maxEventsPerRun' | 'maxHistoryPerRun'>;

function lifecycleOf(taskQueue: string, policy: LifecyclePolicy = policyWith(), limits: RunLimits = {}) {
  const customerId = randomUUID();
  const workflowId = customerLifecycleId(customerId);
  let seq = 0;
  const handle = () => suite.env.client.workflow.getHandle(workflowId);
  return {
    customerId,
    workflowId,
    handle,
    /** Sends events stamped with the server's current (skipped) time, through signal-with-start like the API. */
    async send(...types: EventType[]) {
      const at = new Date(await suite.env.currentTimeMs()).toISOString();
      const events = types.map((type) => ({ key: `${customerId}-${++seq}`, type, at, ...(type === 'purchase' ? { amount: 42.5 } : {}) }));
      await suite.env.client.workflow.signalWithStart<typeof customerLifecycle, [EventsSignal]>('customerLifecycle', {
        workflowId,
        taskQueue,
        args: [{ customerId, policy, ...limits }],
        signal: recordEvents,
        signalArgs: [{ events }],
      });
      return events;
    },
    async view() {
      return handle().query(getLifecycle);
    },
    /** Waits (in real time) until the workflow has applied `count` events. */
    async applied(count: number) {
      for (let i = 0; i < 400; i++) {
        const v = await handle()
          .query(getLifecycle)
          .catch(() => null);
        if (v && v.counters.events >= count) return v;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`the workflow did not apply ${count} events`);
    },
  };
}

const stages = (v: { history: { to: string }[] }) => v.history.map((h) => h.to);

test('signup, onboarding, activation, inactivity, at_risk, win-back with one coupon, recalled', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const c = lifecycleOf(taskQueue);
    await c.send('signup');
    let v = await c.applied(1);
    expect(v.stage).toBe('acquired');
    await suite.env.sleep(HOUR);
    expect(fake.sent.map((s) => s.template)).toEqual(['welcome']);

    await suite.env.sleep(DAY); // day 1: tips
    expect(fake.sent.map((s) => s.template)).toEqual(['welcome', 'tips']);
    await c.send('key_action'); // day 1 + 1h, inside the 7-day activation window
    v = await c.applied(2);
    expect(v.stage).toBe('activated');

    await suite.env.sleep(6 * DAY); // day 7: the nudge was skipped (already activated), the summary went out
    v = await c.view();
    expect(fake.sent.map((s) => s.template)).toEqual(['welcome', 'tips', 'summary']);
    expect(v.messages.find((m) => m.step === 'nurture:nudge')).toMatchObject({ status: 'skipped', reason: 'already activated' });
    expect(v.nurture.status).toBe('completed');

    // No activity for 14 days after the key action (day 1 + 1h): at_risk at day 15 + 1h, not before.
    await suite.env.sleep(8 * DAY - HOUR); // day 15
    expect((await c.view()).stage).toBe('activated');
    await suite.env.sleep(2 * HOUR); // day 15 + 1h
    v = await c.view();
    expect(v.stage).toBe('at_risk');
    expect(v.winBack).toMatchObject({ round: 1, coupon: { code: expect.stringMatching(/^WB-/) } });
    const winBack = fake.sent.filter((s) => s.template === 'winBack');
    expect(winBack).toHaveLength(1);
    // The coupon activity "crashed" after storing its code: the retry returned the same code, the only one issued.
    expect(fake.couponCalls).toEqual([`${c.workflowId}:winback:1:coupon`, `${c.workflowId}:winback:1:coupon`]);
    expect(winBack[0]!.data.coupon).toBe(fake.coupons.get(`${c.workflowId}:winback:1:coupon`));
    expect(v.winBack!.coupon!.code).toBe(winBack[0]!.data.coupon);

    await suite.env.sleep(2 * DAY); // inside the 7-day win-back window
    await c.send('login');
    v = await c.applied(3);
    expect(v.stage).toBe('recalled');
    expect(v.counters).toMatchObject({ recalls: 1, winBacks: 1, churns: 0, events: 3 });
    expect(v.winBack).toBeNull();
    expect(stages(v)).toEqual(['acquired', 'activated', 'at_risk', 'recalled']);
    expect(v.history.map((h) => h.cause)).toEqual(['event:signup', 'event:key_action', 'inactivity', 'event:login']);
    // The read model got every change once, in order, with rising versions.
    expect(fake.snapshots.flatMap((s) => s.changes.map((x) => x.to))).toEqual(['acquired', 'activated', 'at_risk', 'recalled']);
    const versions = fake.snapshots.map((s) => s.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(v.nextStep).toMatchObject({ kind: 'inactivity' });
    await recordHistory(suite.env.client, c.workflowId, 'lifecycle-recalled');
    await c.handle().terminate('test done');
  });
});

test('no activity through the win-back window: churned; a churned customer who comes back is recalled', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const c = lifecycleOf(taskQueue, policyWith({ inactivity: '14d', winBackWait: '7d' }));
    await c.send('signup');
    await c.applied(1);
    await suite.env.sleep(14 * DAY + HOUR);
    expect((await c.view()).stage).toBe('at_risk');
    await suite.env.sleep(6 * DAY);
    expect((await c.view()).stage).toBe('at_risk');
    await suite.env.sleep(DAY);
    let v = await c.view();
    expect(v.stage).toBe('churned');
    expect(v.history.at(-1)).toMatchObject({ from: 'at_risk', to: 'churned', cause: 'win_back_expired' });
    expect(v.counters).toMatchObject({ churns: 1, recalls: 0 });
    expect(v.nextStep).toBeNull(); // nothing is due until the customer shows up again

    await suite.env.sleep(30 * DAY);
    await c.send('purchase');
    v = await c.applied(2);
    // Back as recalled, then on to monetized by the first purchase.
    expect(stages(v).slice(-3)).toEqual(['churned', 'recalled', 'monetized']);
    expect(v.counters).toMatchObject({ recalls: 1, purchases: 1, gmv: 42.5 });
    await recordHistory(suite.env.client, c.workflowId, 'lifecycle-churned-then-recalled');
    await c.handle().terminate('test done');
  });
});

test('reaching the nurture goal ends the sequence at once, not when the current wait runs out', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const c = lifecycleOf(taskQueue); // default goal: monetized
    await c.send('signup');
    await c.applied(1);
    await suite.env.sleep(2 * DAY);
    await c.send('purchase');
    const v = await c.applied(2);
    expect(v.nurture.status).toBe('goal_reached');
    expect(Date.parse(v.nurture.endedAt!)).toBeLessThan((await suite.env.currentTimeMs()) + 1000);
    expect(v.nextStep?.kind).toBe('inactivity');
    await suite.env.sleep(8 * DAY);
    expect(fake.sent.map((s) => s.template)).toEqual(['welcome', 'tips']);
    await c.handle().terminate('test done');
  });
});

test('quiet hours defer a marketing send to the end of the quiet hours in the customer timezone, not drop it', async () => {
  // Quiet hours around the server's current time of day, in Asia/Tokyo (UTC+9, no DST).
  const now = await suite.env.currentTimeMs();
  const local = new Date(now + 9 * HOUR);
  const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const start = hhmm(new Date(local.getTime() - HOUR));
  const end = hhmm(new Date(local.getTime() + 3 * HOUR));
  const fake = fakeActivities({ messaging: { quietHours: { start, end } }, timezone: 'Asia/Tokyo' });
  await withWorker(fake.activities, async (taskQueue) => {
    const c = lifecycleOf(
      taskQueue,
      policyWith({
        nurture: {
          ...DEFAULT_LIFECYCLE_POLICY.nurture,
          steps: [
            { name: 'welcome', after: '0s', template: 'welcome', category: 'transactional' },
            { name: 'tips', after: '0s', template: 'tips', category: 'marketing' },
          ],
        },
      }),
    );
    await c.send('signup');
    await c.applied(1);
    await suite.env.sleep(60_000);
    let v = await c.view();
    // Transactional mail is exempt; the marketing step waits for the morning.
    expect(fake.sent.map((s) => s.template)).toEqual(['welcome']);
    const deferred = v.messages.find((m) => m.step === 'nurture:tips' && m.status === 'deferred')!;
    expect(deferred).toBeDefined();
    const until = Date.parse(deferred.until!);
    expect(until).toBeGreaterThan(now + 2.9 * HOUR);
    expect(until).toBeLessThanOrEqual(now + 3 * HOUR);
    expect(v.pendingSends).toHaveLength(1);
    expect(v.nextStep).toMatchObject({ kind: 'send:nurture:tips', at: deferred.until });

    await suite.env.sleep(3 * HOUR);
    v = await c.view();
    expect(fake.sent.map((s) => s.template)).toEqual(['welcome', 'tips']);
    expect(fake.sent[1]!.at).toBeGreaterThanOrEqual(until);
    expect(v.counters).toMatchObject({ sent: 2, deferred: 1, skipped: 0 });
    expect(v.pendingSends).toHaveLength(0);
    await recordHistory(suite.env.client, c.workflowId, 'lifecycle-quiet-hours');
    await c.handle().terminate('test done');
  });
});

test('the frequency cap counts marketing mail across the nurture and the win-back sequences', async () => {
  const fake = fakeActivities({ messaging: { frequencyCap: { max: 3, window: '7d' } } });
  await withWorker(fake.activities, async (taskQueue) => {
    // tips (day 1) and nudge (day 3) from the nurture, the win-back at day 4, then the summary at day 7 is capped.
    const c = lifecycleOf(taskQueue, policyWith({ inactivity: '4d' }));
    await c.send('signup');
    await c.applied(1);
    await suite.env.sleep(7 * DAY + HOUR);
    const v = await c.view();
    expect(fake.sent.map((s) => s.template)).toEqual(['welcome', 'tips', 'nudge', 'winBack']);
    expect(v.messages.find((m) => m.step === 'nurture:summary')).toMatchObject({ status: 'skipped', reason: 'frequency_cap' });
    expect(v.counters).toMatchObject({ sent: 4, skipped: 1 });
    await c.handle().terminate('test done');
  });
});

test('continue-as-new carries the whole state over and loses no event sent across it', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const c = lifecycleOf(taskQueue, policyWith(), { maxEventsPerRun: 3 });
    await c.send('signup');
    await c.applied(1);
    const firstRun = (await c.handle().describe()).runId;
    await suite.env.sleep(DAY + HOUR); // tips sent in the first run
    // Ten events in quick succession, some arriving while a run is continuing as new.
    for (let i = 0; i < 10; i++) await c.send(i === 4 ? 'key_action' : i === 7 ? 'purchase' : 'login');
    await c.send('login', 'login'); // two in one signal
    let v = await c.applied(13);
    // The run that applied the last events continues as new right after; the query may still reach it first.
    for (let i = 0; i < 100 && v.runs < 2; i++) v = await new Promise((r) => setTimeout(r, 25)).then(() => c.view());
    expect(v.counters.events).toBe(13);
    expect(v.runs).toBeGreaterThanOrEqual(2);
    expect(stages(v)).toEqual(['acquired', 'activated', 'monetized']);
    expect(v.counters).toMatchObject({ purchases: 1, gmv: 42.5, sent: 2 });
    expect(v.nurture.status).toBe('goal_reached');
    expect((await c.handle().describe()).runId).not.toBe(firstRun);

    // A redelivered event (same key) is ignored after the continue-as-new too.
    const at = new Date(await suite.env.currentTimeMs()).toISOString();
    await c.handle().signal(recordEvents, { events: [{ key: `${c.customerId}-1`, type: 'signup', at }] });
    for (let i = 0; i < 100 && (await c.view()).counters.duplicates < 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await c.view()).counters).toMatchObject({ events: 13, duplicates: 1 });
    await recordHistory(suite.env.client, c.workflowId, 'lifecycle-continued-as-new', firstRun);
    await recordHistory(suite.env.client, c.workflowId, 'lifecycle-after-continue-as-new'); // a run that began with carried-over state
    await c.handle().terminate('test done');
  });
});

test('a run continues as new once its history is long, so a lifecycle that is not cached replays a short run', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const c = lifecycleOf(taskQueue, policyWith(), { maxHistoryPerRun: 40 });
    await c.send('signup');
    await c.applied(1);
    const firstRun = (await c.handle().describe()).runId;
    for (let i = 0; i < 12; i++) await c.send('login');
    let v = await c.applied(13);
    for (let i = 0; i < 100 && v.runs < 2; i++) v = await new Promise((r) => setTimeout(r, 25)).then(() => c.view());
    expect(v.runs).toBeGreaterThanOrEqual(2);
    expect(v.counters.events).toBe(13);
    expect((await c.handle().describe()).runId).not.toBe(firstRun);
    const first = await suite.env.client.workflow.getHandle(c.workflowId, firstRun).fetchHistory();
    expect(first.events!.length).toBeLessThan(80); // continued soon after 40, not at the server's 4,096
    await recordHistory(suite.env.client, c.workflowId, 'lifecycle-short-run', firstRun);
    await c.handle().terminate('test done');
  });
});

test('events move the inactivity deadline without cancelling a timer: at_risk exactly when the last one is 14 days old', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const c = lifecycleOf(taskQueue, policyWith({ inactivity: '14d' }));
    await c.send('signup');
    await c.applied(1);
    // A login every day for ten days: each moves the deadline a day later.
    for (let day = 1; day <= 10; day++) {
      await suite.env.sleep(DAY);
      await c.send('login');
      await c.applied(day + 1);
    }
    const lastActive = Date.parse((await c.view()).lastActiveAt!);
    await suite.env.sleep(14 * DAY - HOUR);
    expect((await c.view()).stage).not.toBe('at_risk');
    await suite.env.sleep(2 * HOUR);
    const v = await c.view();
    expect(v.stage).toBe('at_risk');
    expect(Date.parse(v.stageSince!)).toBe(lastActive + 14 * DAY);

    // The timers in the history: none cancelled, and fewer started than the events that moved the deadline.
    const events = (await c.handle().fetchHistory()).events ?? [];
    expect(events.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.timerStartedEventAttributes).length).toBeLessThan(11);
    await recordHistory(suite.env.client, c.workflowId, 'lifecycle-deadline-moved');
    await c.handle().terminate('test done');
  });
});
