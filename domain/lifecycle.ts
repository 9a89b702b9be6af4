// Pure: the customer lifecycle as a state machine over plain data. The workflow feeds it events and the clock and
// carries out what it asks for (read-model writes, sends); tests drive it directly.
import {
  FUNNEL_STAGES,
  type CustomerEvent,
  type FunnelStage,
  type LifecycleCounters,
  type LifecyclePolicy,
  type LifecycleStage,
  type LifecycleState,
  type LifecycleView,
  type MessageLog,
  type MessageStatus,
  type NurtureStep,
  type PendingSend,
  type StageChange,
  type WinBackRequest,
} from './lifecycle.types.ts';
import { durationToMs } from './durations.ts';

const HISTORY_KEPT = 50;
const MESSAGES_KEPT = 50;
const KEYS_KEPT = 1000;

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (d: string) => durationToMs(d as never);
const funnelIndex = (s: FunnelStage | null) => (s === null ? -1 : FUNNEL_STAGES.indexOf(s));

export function initialState(customerId: string, policy: LifecyclePolicy): LifecycleState {
  const counters: LifecycleCounters = {
    events: 0,
    duplicates: 0,
    purchases: 0,
    gmv: 0,
    referrals: 0,
    winBacks: 0,
    recalls: 0,
    churns: 0,
    sent: 0,
    deferred: 0,
    skipped: 0,
  };
  return {
    customerId,
    stage: null,
    stageSince: null,
    funnel: null,
    milestones: {},
    signupAt: null,
    lastActiveAt: null,
    history: [],
    changes: 0,
    counters,
    nurture: { status: 'not_started', done: [], anchor: null, endedAt: null },
    winBack: null,
    outbox: [],
    messages: [],
    recentKeys: [],
    version: 0,
    policy,
    runs: 1,
    policyCheckedAt: null,
  };
}

/** What a send came to, as the messaging policy decided it. */
export type SendOutcome =
  { status: 'sent' | 'duplicate' } | { status: 'deferred'; until: string; reason: string } | { status: 'skipped'; reason: string };

export class Lifecycle {
  readonly state: LifecycleState;
  /** Stage changes not yet written to the read model. */
  private unsaved: StageChange[] = [];

  constructor(state: LifecycleState) {
    this.state = state;
  }

  /** Applies a batch of events; a key seen before is counted as a duplicate and changes nothing. */
  apply(events: CustomerEvent[], now: number): void {
    const s = this.state;
    const seen = new Set(s.recentKeys);
    const fresh: CustomerEvent[] = [];
    for (const e of events) {
      if (seen.has(e.key)) {
        s.counters.duplicates += 1;
        continue;
      }
      seen.add(e.key);
      fresh.push(e);
    }
    s.recentKeys = [...s.recentKeys, ...fresh.map((e) => e.key)].slice(-KEYS_KEPT);
    fresh.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    for (const e of fresh) this.applyOne(e, now);
  }

  /**
   * Moves the clocks to `now`: nurture steps, inactivity, the win-back deadline. Stage changes carry the deadline's
   * own time, so a late wake (an outage, a batch of old events) still records when things happened.
   */
  advance(now: number): void {
    this.advanceNurture(now);
    const s = this.state;
    if (s.stage === 'at_risk' && s.winBack && Date.parse(s.winBack.deadline) <= now) {
      this.change('churned', 'win_back_expired', Date.parse(s.winBack.deadline));
      s.counters.churns += 1;
      this.cancelSends((x) => x.purpose === 'winback', 'the win-back window ended', now);
      s.winBack = null;
    }
    const inactiveAt = this.inactivityDue();
    if (inactiveAt !== null && inactiveAt <= now) {
      this.beginWinBack('inactivity', inactiveAt, now);
      // The window may have closed already (a late wake): settle it now too.
      if (Date.parse(s.winBack!.deadline) <= now) this.advance(now);
    }
  }

  /**
   * A win-back asked for from outside (a rule for the customer's segment): the customer is at risk from now, with a
   * win-back round of its own. Once per key; a customer never active, or already in a win-back, stays as they are.
   */
  requestWinBack(r: WinBackRequest, now: number): boolean {
    const s = this.state;
    if (s.recentKeys.includes(r.key)) return false;
    s.recentKeys = [...s.recentKeys, r.key].slice(-KEYS_KEPT);
    this.advance(now);
    if (s.stage === null || s.stage === 'at_risk') return false;
    this.beginWinBack(r.cause, now, now);
    return true;
  }

  /** The earliest moment something is due, or null when only an event can move this customer. */
  nextDue(): number | null {
    return this.agenda()[0]?.at ?? null;
  }

  dueSends(now: number): PendingSend[] {
    return this.state.outbox.filter((x) => Date.parse(x.dueAt) <= now).sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
  }

  /** Records what the messaging policy decided for a send. */
  settleSend(send: PendingSend, outcome: SendOutcome, now: number): void {
    const s = this.state;
    if (outcome.status === 'deferred') {
      send.dueAt = outcome.until;
      send.deferrals += 1;
      s.counters.deferred += 1;
      this.log(send, 'deferred', now, outcome.reason, outcome.until);
      return;
    }
    s.outbox = s.outbox.filter((x) => x !== send);
    if (outcome.status === 'skipped') {
      s.counters.skipped += 1;
      this.log(send, 'skipped', now, outcome.reason);
    } else {
      s.counters.sent += 1;
      this.log(send, 'sent', now);
    }
  }

  /** A send that could not go out after all retries: logged, not retried forever. */
  failSend(send: PendingSend, reason: string, now: number): void {
    this.state.outbox = this.state.outbox.filter((x) => x !== send);
    this.log(send, 'failed', now, reason);
  }

  takeUnsaved(): StageChange[] {
    const out = this.unsaved;
    this.unsaved = [];
    return out;
  }

  view(now: number): LifecycleView {
    const s = this.state;
    const next = this.agenda()[0];
    return {
      customerId: s.customerId,
      stage: s.stage,
      stageSince: s.stageSince,
      funnel: s.funnel,
      milestones: { ...s.milestones },
      lastActiveAt: s.lastActiveAt,
      history: [...s.history],
      counters: { ...s.counters },
      nurture: { ...s.nurture, steps: s.policy.nurture.steps.length },
      winBack: s.winBack ? { ...s.winBack } : null,
      messages: [...s.messages],
      pendingSends: s.outbox.map((x) => ({ ...x })),
      nextStep: next ? { kind: next.kind, at: iso(Math.max(next.at, now)) } : null,
      policyVersion: s.policy.version,
      runs: s.runs,
    };
  }

  private applyOne(e: CustomerEvent, now: number): void {
    const s = this.state;
    const p = s.policy;
    const at = Math.min(Date.parse(e.at), now);
    const cause = `event:${e.type}`;
    // The clocks first: what was due before this event happened (inactivity, a win-back's end) happened first.
    this.advance(at);
    s.counters.events += 1;
    if (e.type === 'purchase') {
      s.counters.purchases += 1;
      s.counters.gmv = Math.round((s.counters.gmv + (e.amount ?? 0)) * 100) / 100;
    }
    if (e.type === 'referral') s.counters.referrals += 1;
    if (s.lastActiveAt === null || at > Date.parse(s.lastActiveAt)) s.lastActiveAt = iso(at);

    // Only activity after the customer went quiet brings them back; a late-arriving old event does not.
    const wentQuiet = s.stage === 'at_risk' ? s.winBack?.startedAt : s.stage === 'churned' ? s.stageSince : undefined;
    if (wentQuiet !== undefined && wentQuiet !== null && at >= Date.parse(wentQuiet)) {
      this.change('recalled', cause, at);
      s.counters.recalls += 1;
      this.cancelSends((x) => x.purpose === 'winback', 'the customer came back', now);
      s.winBack = null;
    } else if (s.stage === 'recalled' && s.funnel && at - Date.parse(s.stageSince!) >= ms(p.retentionPeriod)) {
      // Active for a retention period since the recall: back to where they were in the funnel.
      this.change(s.funnel, 'retained_after_recall', at);
    }
    if (s.stage === null) this.reach('acquired', cause, at);
    if (e.type === 'signup' && s.signupAt === null) {
      s.signupAt = iso(at);
      if (s.nurture.status === 'not_started' && p.nurture.steps.length > 0) {
        s.nurture = { status: 'running', done: [], anchor: iso(at), endedAt: null };
      }
    }
    const joined = Date.parse(s.signupAt ?? s.milestones.acquired ?? iso(at));
    if (e.type === 'key_action' && !s.milestones.activated && at - joined <= ms(p.activationWindow)) {
      this.reach('activated', cause, at);
    }
    const activated = s.milestones.activated;
    if (activated && !s.milestones.retained && at - Date.parse(activated) >= ms(p.retentionPeriod)) {
      this.reach('retained', cause, at);
    }
    if (e.type === 'purchase' && !s.milestones.monetized) this.reach('monetized', cause, at);
    if (e.type === 'referral' && !s.milestones.referrer) this.reach('referrer', cause, at);

    const goal = p.nurture.goal;
    if (s.nurture.status === 'running' && goal && s.milestones[goal]) {
      s.nurture.status = 'goal_reached';
      s.nurture.endedAt = iso(at);
      // Marketing steps stop; a transactional one already owed (the welcome) still goes.
      this.cancelSends((x) => x.purpose === 'nurture' && x.category === 'marketing', `the nurture goal (${goal}) was reached`, now);
    }
  }

  private beginWinBack(cause: string, startedAt: number, now: number): void {
    const s = this.state;
    this.change('at_risk', cause, startedAt);
    s.counters.winBacks += 1;
    const round = s.counters.winBacks;
    s.winBack = { round, startedAt: iso(startedAt), deadline: iso(startedAt + ms(s.policy.winBackWait)), coupon: null };
    s.outbox.push({
      step: `winback:${round}`,
      purpose: 'winback',
      template: 'winBack',
      category: 'marketing',
      dueAt: iso(now),
      deferrals: 0,
    });
  }

  /** The next step not yet taken, in the policy's order, with its due time. */
  private nextNurtureStep(): { step: NurtureStep; due: number } | null {
    const s = this.state;
    if (s.nurture.status !== 'running') return null;
    const step = s.policy.nurture.steps.find((x) => !s.nurture.done.includes(x.name));
    return step ? { step, due: Date.parse(s.nurture.anchor as string) + ms(step.after) } : null;
  }

  private advanceNurture(now: number): void {
    const s = this.state;
    while (s.nurture.status === 'running') {
      const next = this.nextNurtureStep();
      if (!next) {
        s.nurture.status = 'completed';
        s.nurture.endedAt = iso(now);
        break;
      }
      const { step, due } = next;
      if (due > now) break;
      s.nurture.done = [...s.nurture.done, step.name];
      const send: PendingSend = {
        step: `nurture:${step.name}`,
        purpose: 'nurture',
        template: step.template,
        category: step.category,
        dueAt: iso(now),
        deferrals: 0,
      };
      if (step.skipWhenReached && s.milestones[step.skipWhenReached]) {
        this.skip(send, `already ${step.skipWhenReached}`, now);
      } else if (now - due > ms(s.policy.nurture.staleAfter)) {
        this.skip(send, `stale: due ${iso(due)}`, now);
      } else {
        s.outbox.push(send);
      }
    }
  }

  private inactivityDue(): number | null {
    const s = this.state;
    if (s.stage === null || s.stage === 'at_risk' || s.stage === 'churned' || s.lastActiveAt === null) return null;
    return Date.parse(s.lastActiveAt) + ms(s.policy.inactivity);
  }

  private agenda(): { kind: string; at: number }[] {
    const s = this.state;
    const items: { kind: string; at: number }[] = [];
    const next = this.nextNurtureStep();
    if (next) items.push({ kind: `nurture:${next.step.name}`, at: next.due });
    else if (s.nurture.status === 'running') items.push({ kind: 'nurture:end', at: 0 });
    const inactive = this.inactivityDue();
    if (inactive !== null) items.push({ kind: 'inactivity', at: inactive });
    if (s.stage === 'at_risk' && s.winBack) items.push({ kind: 'win_back_deadline', at: Date.parse(s.winBack.deadline) });
    for (const x of s.outbox) items.push({ kind: `send:${x.step}`, at: Date.parse(x.dueAt) });
    return items.sort((a, b) => a.at - b.at);
  }

  /** Records a funnel milestone; the stage moves only when the funnel moves forward. */
  private reach(stage: FunnelStage, cause: string, at: number): void {
    const s = this.state;
    s.milestones[stage] ??= iso(at);
    if (funnelIndex(stage) <= funnelIndex(s.funnel)) return;
    s.funnel = stage;
    this.change(stage, cause, at);
  }

  private change(to: LifecycleStage, cause: string, at: number): void {
    const s = this.state;
    if (s.stage === to) return;
    s.changes += 1;
    const change: StageChange = { seq: s.changes, from: s.stage, to, at: iso(at), cause };
    s.stage = to;
    s.stageSince = change.at;
    s.history = [...s.history, change].slice(-HISTORY_KEPT);
    this.unsaved.push(change);
  }

  private cancelSends(match: (x: PendingSend) => boolean, reason: string, now: number): void {
    const s = this.state;
    for (const x of s.outbox.filter(match)) this.log(x, 'cancelled', now, reason);
    s.outbox = s.outbox.filter((x) => !match(x));
  }

  private skip(send: PendingSend, reason: string, now: number): void {
    this.state.counters.skipped += 1;
    this.log(send, 'skipped', now, reason);
  }

  private log(send: PendingSend, status: MessageStatus, now: number, reason?: string, until?: string): void {
    const entry: MessageLog = {
      step: send.step,
      template: send.template,
      status,
      at: iso(now),
      ...(reason ? { reason } : {}),
      ...(until ? { until } : {}),
    };
    this.state.messages = [...this.state.messages, entry].slice(-MESSAGES_KEPT);
  }
}
