// Pure: what a metric-threshold rule decides from the points of its windows, and the monitor's state machine
// (normal, pending, firing, resolved) with `for` and keep-firing (hysteresis). Shared by the monitor workflow, its
// activities and the API's dry run.

export const AGGREGATIONS = ['avg', 'sum', 'min', 'max', 'last', 'rate'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
/** above/below compare the window's value with the threshold; change_* compare its percent change against the previous window. */
export const COMPARISONS = ['above', 'below', 'change_above', 'change_below'] as const;
export type Comparison = (typeof COMPARISONS)[number];
/** What a window without points means: ok (the condition does not hold), alert (it holds), keep (as before). */
export const NO_DATA_POLICIES = ['ok', 'alert', 'keep'] as const;
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];
export const MONITOR_STATES = ['normal', 'pending', 'firing', 'resolved'] as const;
export type MonitorState = (typeof MONITOR_STATES)[number];

export interface Point {
  /** Epoch ms. */
  at: number;
  value: number;
  /** The series (name and labels) the point belongs to; rate follows each series on its own. */
  series?: string;
}

export interface Condition {
  aggregation: Aggregation;
  comparison: Comparison;
  /** A value, or for change_* a percentage (25 = 25%). */
  threshold: number;
  noData: NoDataPolicy;
}

/**
 * The window's value. rate: the increase per second of a counter over the window, from consecutive points (a drop
 * is a counter reset: the new value counts as the increase); null with fewer than two points.
 */
export function aggregate(points: Point[], aggregation: Aggregation, windowMs: number): number | null {
  if (points.length === 0) return null;
  const sorted = [...points].sort((a, b) => a.at - b.at);
  const values = sorted.map((p) => p.value);
  switch (aggregation) {
    case 'avg':
      return values.reduce((s, v) => s + v, 0) / values.length;
    case 'sum':
      return values.reduce((s, v) => s + v, 0);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'last':
      return values.at(-1)!;
    case 'rate': {
      const bySeries = new Map<string, number[]>();
      for (const p of sorted) {
        const key = p.series ?? '';
        const own = bySeries.get(key);
        if (own) own.push(p.value);
        else bySeries.set(key, [p.value]);
      }
      let increase = 0;
      let paired = false;
      for (const own of bySeries.values()) {
        for (let i = 1; i < own.length; i++) {
          const delta = own[i]! - own[i - 1]!;
          increase += delta >= 0 ? delta : own[i]!;
          paired = true;
        }
      }
      return paired ? increase / (windowMs / 1000) : null;
    }
  }
}

export interface Verdict {
  /** Whether the condition holds; null: no data, and the policy says keep the state as it is. */
  holds: boolean | null;
  value: number | null;
  previous: number | null;
  /** For change_*: the percent change from the previous window (null when it cannot be computed). */
  change: number | null;
  reason: string;
}

/** Judges a rule's condition on the current window (and the previous one, for change_*). */
export function judge(c: Condition, current: Point[], previous: Point[], windowMs: number): Verdict {
  return judgeValues(
    c,
    aggregate(current, c.aggregation, windowMs),
    c.comparison.startsWith('change_') ? aggregate(previous, c.aggregation, windowMs) : null,
  );
}

/** Judges a rule's condition on its window's aggregate (and the previous window's, for change_*). */
export function judgeValues(c: Condition, value: number | null, previousValue: number | null): Verdict {
  const prior = c.comparison.startsWith('change_') ? previousValue : null;
  const noData = (what: string): Verdict => ({
    holds: c.noData === 'keep' ? null : c.noData === 'alert',
    value,
    previous: prior,
    change: null,
    reason: `${what}: no-data policy ${c.noData}`,
  });
  if (value === null) return noData('no data in the window');
  if (c.comparison === 'above' || c.comparison === 'below') {
    const holds = c.comparison === 'above' ? value > c.threshold : value < c.threshold;
    return {
      holds,
      value,
      previous: null,
      change: null,
      reason: `${c.aggregation} ${value} is ${holds ? '' : 'not '}${c.comparison} ${c.threshold}`,
    };
  }
  if (prior === null) return noData('no data in the previous window');
  if (prior === 0) return noData('the previous window is 0, so there is no percent change');
  const change = ((value - prior) / Math.abs(prior)) * 100;
  const holds = c.comparison === 'change_above' ? change > c.threshold : change < -Math.abs(c.threshold);
  const direction = c.comparison === 'change_above' ? `rose more than ${c.threshold}%` : `fell more than ${Math.abs(c.threshold)}%`;
  return {
    holds,
    value,
    previous: prior,
    change,
    reason: `${c.aggregation} went from ${prior} to ${value} (${change.toFixed(2)}%): ${holds ? '' : 'not '}${direction}`,
  };
}

export interface MonitorStatus {
  state: MonitorState;
  /** When the condition began to hold (pending and firing), epoch ms. */
  since: number | null;
  /** When the condition stopped holding while firing: keep-firing runs from here. */
  clearSince: number | null;
  /** Firing episodes so far: an action runs once per episode. */
  episodes: number;
}

export const INITIAL_STATUS: MonitorStatus = { state: 'normal', since: null, clearSince: null, episodes: 0 };

export type Transition = 'pending' | 'fire' | 'recover' | 'cancel_pending' | null;

/**
 * One evaluation: the condition must hold for `forMs` before the rule fires (a shorter blip goes back to normal), and
 * a firing rule resolves only after the condition has stayed clear for `keepFiringMs` (a flapping metric keeps one
 * episode open instead of opening ten). A resolved rule behaves as normal until it fires again.
 */
export function step(
  s: MonitorStatus,
  holds: boolean | null,
  now: number,
  forMs: number,
  keepFiringMs: number,
): { status: MonitorStatus; transition: Transition } {
  if (holds === null) return { status: s, transition: null };
  const firing = s.state === 'firing';
  if (holds) {
    if (firing) return { status: { ...s, clearSince: null }, transition: null };
    const since = s.state === 'pending' ? s.since! : now;
    if (now - since >= forMs) {
      return { status: { state: 'firing', since, clearSince: null, episodes: s.episodes + 1 }, transition: 'fire' };
    }
    return { status: { ...s, state: 'pending', since, clearSince: null }, transition: s.state === 'pending' ? null : 'pending' };
  }
  if (firing) {
    const clearSince = s.clearSince ?? now;
    if (now - clearSince >= keepFiringMs) {
      return { status: { state: 'resolved', since: null, clearSince: null, episodes: s.episodes }, transition: 'recover' };
    }
    return { status: { ...s, clearSince }, transition: null };
  }
  if (s.state === 'pending') return { status: { ...s, state: 'normal', since: null }, transition: 'cancel_pending' };
  return { status: s, transition: null };
}

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type RuleSeverity = (typeof SEVERITIES)[number];
export const ACTION_TYPES = ['open_incident', 'pause_campaign', 'start_winback', 'notify_role'] as const;
/** What a rule does once per firing episode. */
export type RuleAction =
  | { type: 'open_incident'; service?: string }
  | { type: 'pause_campaign'; campaignId: string }
  | { type: 'start_winback'; segment: string }
  | { type: 'notify_role'; role: string };

/** A rule as people write it: durations as '5m', '1h'. */
export interface RuleSpec extends Condition {
  name: string;
  metric: string;
  labels: Record<string, string>;
  window: string;
  for: string;
  keepFiring: string;
  severity: RuleSeverity;
  action: RuleAction;
  enabled: boolean;
}

export interface StoredRule extends RuleSpec {
  id: string;
  every: string;
  version: number;
  /** Firing episodes the rule's monitors have had so far (a monitor started again counts on from here). */
  episodes?: number;
}

/** What an evaluation found, as the monitor records it. */
export interface Evaluation extends Verdict {
  /** Epoch ms of the evaluation. */
  at: number;
  points: number;
}

export interface MonitorView {
  ruleId: string;
  status: MonitorStatus;
  last: Evaluation | null;
  evaluations: number;
}

export interface BacktestRule extends Condition {
  windowMs: number;
  forMs: number;
  keepFiringMs: number;
}

/** One evaluation of a backtest: the window's value at `at` and whether the condition held. */
export interface BacktestStep {
  at: number;
  value: number | null;
  holds: boolean | null;
}

/** A firing episode a backtest found: `since` the condition began to hold, fired at `firedAt`, resolved or still firing. */
export interface BacktestEpisode {
  since: number;
  firedAt: number;
  resolvedAt: number | null;
}

/**
 * A window sliding forward over points sorted by time: both its ends only move on, so each point enters and leaves
 * once and every aggregate is kept as it goes (a sum by prefix sums, min and max by monotonic queues, rate by the
 * increases of the pairs inside), in O(points + moves) however wide the window. The same values as `aggregate`.
 */
class SlidingWindow {
  private lo = 0;
  private hi = 0;
  /** Monotonic queues of point indexes, read from their heads (no shifting). */
  private readonly minQ: number[] = [];
  private minHead = 0;
  private readonly maxQ: number[] = [];
  private maxHead = 0;
  private increase = 0;
  private pairs = 0;
  private readonly s: Series;
  constructor(series: Series) {
    this.s = series;
  }

  /** Moves to [from, to) and answers its aggregate; `from` and `to` never go back. */
  value(from: number, to: number, aggregation: Aggregation, windowMs: number): number | null {
    const { points, prefix } = this.s;
    while (this.hi < points.length && points[this.hi]!.at < to) this.push(this.hi++);
    while (this.lo < this.hi && points[this.lo]!.at < from) this.drop(this.lo++);
    const n = this.hi - this.lo;
    if (n === 0) return null;
    switch (aggregation) {
      case 'sum':
        return prefix[this.hi]! - prefix[this.lo]!;
      case 'avg':
        return (prefix[this.hi]! - prefix[this.lo]!) / n;
      case 'min':
        return points[this.minQ[this.minHead]!]!.value;
      case 'max':
        return points[this.maxQ[this.maxHead]!]!.value;
      case 'last':
        return points[this.hi - 1]!.value;
      case 'rate':
        return this.pairs === 0 ? null : this.increase / (windowMs / 1000);
    }
  }

  private push(i: number) {
    const { points, prev, inc } = this.s;
    const v = points[i]!.value;
    while (this.minQ.length > this.minHead && points[this.minQ.at(-1)!]!.value >= v) this.minQ.pop();
    this.minQ.push(i);
    while (this.maxQ.length > this.maxHead && points[this.maxQ.at(-1)!]!.value <= v) this.maxQ.pop();
    this.maxQ.push(i);
    if (prev[i]! >= this.lo) {
      this.increase += inc[i]!;
      this.pairs += 1;
    }
  }

  private drop(i: number) {
    if (this.minQ[this.minHead] === i) this.minHead += 1;
    if (this.maxQ[this.maxHead] === i) this.maxHead += 1;
    const after = this.s.next[i]!;
    if (after !== -1 && after < this.hi) {
      this.increase -= this.s.inc[after]!;
      this.pairs -= 1;
    }
  }
}

/** Points sorted by time with what the sliding windows share: prefix sums and each point's place in its series. */
interface Series {
  points: Point[];
  prefix: number[];
  /** The index of the series' point before (-1 for none), and after. */
  prev: number[];
  next: number[];
  /** The increase over the series' point before (a drop is a counter reset: the new value counts). */
  inc: number[];
}

function seriesOf(points: Point[]): Series {
  const prefix = [0];
  const prev: number[] = [];
  const next: number[] = points.map(() => -1);
  const inc: number[] = [];
  const lastOf = new Map<string, number>();
  points.forEach((p, i) => {
    prefix.push(prefix[i]! + p.value);
    const before = lastOf.get(p.series ?? '') ?? -1;
    prev.push(before);
    if (before !== -1) next[before] = i;
    const delta = before === -1 ? 0 : p.value - points[before]!.value;
    inc.push(delta >= 0 ? delta : p.value);
    lastOf.set(p.series ?? '', i);
  });
  return { points, prefix, prev, next, inc };
}

/**
 * What the rule would have done over past points: evaluated at each of `times` (ascending, epoch ms) the way its
 * monitor evaluates (the window before each instant, `for` and keep-firing through `step`), from a normal start.
 * `points` must hold every point from the earliest window on (two windows back for change_*), oldest first.
 */
export function backtest(rule: BacktestRule, points: Point[], times: number[]): { steps: BacktestStep[]; episodes: BacktestEpisode[] } {
  const series = seriesOf(points);
  const current = new SlidingWindow(series);
  const earlier = new SlidingWindow(series);
  const change = rule.comparison.startsWith('change_');
  let status = INITIAL_STATUS;
  const steps: BacktestStep[] = [];
  const episodes: BacktestEpisode[] = [];
  for (const at of times) {
    const value = current.value(at - rule.windowMs, at, rule.aggregation, rule.windowMs);
    const previous = change ? earlier.value(at - 2 * rule.windowMs, at - rule.windowMs, rule.aggregation, rule.windowMs) : null;
    const verdict = judgeValues(rule, value, previous);
    const next = step(status, verdict.holds, at, rule.forMs, rule.keepFiringMs);
    if (next.transition === 'fire') episodes.push({ since: next.status.since!, firedAt: at, resolvedAt: null });
    if (next.transition === 'recover') episodes.at(-1)!.resolvedAt = at;
    status = next.status;
    steps.push({ at, value: verdict.value, holds: verdict.holds });
  }
  return { steps, episodes };
}
