// The customer lifecycle: one long-lived workflow per customer. Events arrive as signals; the state machine in
// lifecycle.rules.ts decides stages, nurture steps and win-backs; this file carries out its decisions durably.
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createCustomerEmailActivities } from '../activities/customer-email.ts';
import type { createLifecycleActivities } from '../activities/lifecycle.ts';
import { getLifecycle, recordEvents, startWinBack } from './lifecycle.messages.ts';
import { initialState, Lifecycle } from '../domain/lifecycle.ts';
import {
  DEFAULT_LIFECYCLE_POLICY,
  type CustomerEvent,
  type LifecycleInput,
  type PendingSend,
  type WinBackRequest,
} from '../domain/lifecycle.types.ts';
import { profiles } from './lib/activity-profiles.ts';
import { Alarm } from './lib/timer.ts';

type LifecycleActivities = ReturnType<typeof createLifecycleActivities>;
const { saveLifecycle: saveLifecycleTask, loadLifecyclePolicy, issueCoupon } = proxyActivities<LifecycleActivities>(profiles.db);
/**
 * The read-model write as a local activity: it runs inside the workflow task that decided it, so a stage change costs
 * no activity task (two fewer trips through the task queue and one workflow task less); a new lifecycle goes from
 * its signup to idle in one workflow task. Idempotent (versioned), so a task that is retried writes it again harmlessly.
 */
const { saveLifecycle: saveLifecycleLocally } = proxyLocalActivities<LifecycleActivities>(profiles.db);
/** How often an idle lifecycle looks up the policy when a timer wakes it. */
const POLICY_REFRESH_MS = 3_600_000;
/**
 * History events after which a run continues as new. With a million lifecycles nearly every event reaches one that
 * is not cached, whose task replays its whole run first (about 1 ms of worker CPU per history event, bench:actions):
 * short runs keep that replay short, at one action per continue-as-new. The server's own suggestion comes at 4,096.
 */
const HISTORY_PER_RUN = 500;

const { sendCustomerEmail } = proxyActivities<ReturnType<typeof createCustomerEmailActivities>>(profiles.send);

export async function customerLifecycle(input: LifecycleInput): Promise<void> {
  const { workflowId } = workflowInfo();
  const state = input.state ?? initialState(input.customerId, input.policy ?? DEFAULT_LIFECYCLE_POLICY);
  const machine = new Lifecycle(state);
  const inbox: CustomerEvent[] = [...(input.pending ?? [])];
  const winBacks: WinBackRequest[] = [...(input.pendingWinBacks ?? [])];
  let wantedPolicy = state.policy.version;
  let eventsThisRun = 0;

  setHandler(recordEvents, ({ events, policyVersion }) => {
    inbox.push(...events);
    if (policyVersion !== undefined && policyVersion > wantedPolicy) wantedPolicy = policyVersion;
  });
  setHandler(startWinBack, (r) => {
    winBacks.push(r);
  });
  setHandler(getLifecycle, () => machine.view(Date.now()));

  // Runs started before the `lifecycle-short-runs` patch continue only when the server suggests it, as their histories say.
  const historyPerRun = patched('lifecycle-short-runs') ? (input.maxHistoryPerRun ?? HISTORY_PER_RUN) : Infinity;
  // Runs started before `lifecycle-alarm` waited with a timer cancelled by every event, as their histories say.
  const alarm = patched('lifecycle-alarm') ? new Alarm() : null;
  const timeToContinue = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength >= historyPerRun ||
    (input.maxEventsPerRun !== undefined && eventsThisRun >= input.maxEventsPerRun);

  async function persist(): Promise<void> {
    const changes = machine.takeUnsaved();
    if (changes.length === 0) return;
    state.version += 1;
    // Runs that recorded the write as an activity task before `lifecycle-local-save` replay it as one.
    const saveLifecycle = patched('lifecycle-local-save') ? saveLifecycleLocally : saveLifecycleTask;
    await saveLifecycle({
      customerId: state.customerId,
      workflowId,
      stage: state.stage,
      stageSince: state.stageSince,
      version: state.version,
      changes,
    });
  }

  async function send(item: PendingSend): Promise<void> {
    const data: Record<string, string> = {};
    if (item.purpose === 'winback') {
      const winBack = state.winBack;
      if (!winBack) return machine.failSend(item, 'no win-back is running', Date.now());
      // Issued once per round: the coupon ledger returns the same code to a retried or replayed call.
      winBack.coupon ??= await issueCoupon({
        idempotencyKey: `${workflowId}:${item.step}:coupon`,
        customerId: state.customerId,
        workflowId,
        purpose: 'win_back',
        validFor: state.policy.couponValidity,
      });
      data.coupon = winBack.coupon.code;
      if (winBack.coupon.expiresAt) data.validUntil = winBack.coupon.expiresAt;
    }
    try {
      const outcome = await sendCustomerEmail({
        idempotencyKey: `${workflowId}:${item.step}`,
        workflowId,
        customerId: state.customerId,
        template: item.template,
        category: item.category,
        data,
      });
      machine.settleSend(item, outcome, Date.now());
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const reason = err.cause?.message ?? err.message;
      log.warn('customer email not sent', { step: item.step, reason });
      machine.failSend(item, reason, Date.now());
    }
  }

  // A policy changed through the API reaches this run with the next event (its version travels with the signal);
  // an idle customer's timers look it up now and then, as the inactivity windows matter most to them.
  state.policyCheckedAt ??= new Date(Date.now()).toISOString();
  let timerWoke = false;
  for (;;) {
    const policyStale = Date.now() - Date.parse(state.policyCheckedAt) >= POLICY_REFRESH_MS;
    if (wantedPolicy > state.policy.version || (timerWoke && policyStale)) {
      const loaded = await loadLifecyclePolicy();
      if (loaded.version > state.policy.version) state.policy = loaded;
      state.policyCheckedAt = new Date(Date.now()).toISOString();
      wantedPolicy = state.policy.version; // never reload in a loop, even if the database lags the signal
    }
    if (inbox.length > 0) {
      const batch = inbox.splice(0);
      eventsThisRun += batch.length;
      machine.apply(batch, Date.now());
    }
    for (const r of winBacks.splice(0)) machine.requestWinBack(r, Date.now());
    machine.advance(Date.now());
    await persist();
    for (const item of machine.dueSends(Date.now())) {
      await send(item);
      if (inbox.length > 0) break; // an event may make the rest moot (a win-back to a customer who came back)
    }
    await persist();
    if (inbox.length > 0) continue;

    if (timeToContinue()) {
      await condition(allHandlersFinished);
      if (inbox.length === 0) {
        await continueAsNew<typeof customerLifecycle>({
          customerId: state.customerId,
          state: { ...state, runs: state.runs + 1 },
          pending: inbox,
          ...(winBacks.length ? { pendingWinBacks: winBacks } : {}),
          ...(input.maxEventsPerRun !== undefined ? { maxEventsPerRun: input.maxEventsPerRun } : {}),
          ...(input.maxHistoryPerRun !== undefined ? { maxHistoryPerRun: input.maxHistoryPerRun } : {}),
        });
      }
      continue;
    }
    const wake = () => inbox.length > 0 || winBacks.length > 0 || wantedPolicy > state.policy.version || timeToContinue();
    const next = machine.nextDue();
    timerWoke = false;
    if (alarm) {
      const due = next !== null && next <= Date.now();
      if (!due) await alarm.wait(next, wake);
      timerWoke = alarm.takeRing() || due;
    } else if (next === null) await condition(wake);
    else if (next > Date.now()) timerWoke = !(await condition(wake, next - Date.now()));
    else timerWoke = true;
  }
}
