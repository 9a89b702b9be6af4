// The dry run's backtest slides its windows instead of aggregating each one afresh: it must decide exactly what the
// monitor's own judge decides on each window, for every aggregation and comparison, including counters that reset.
import {
  AGGREGATIONS,
  backtest,
  INITIAL_STATUS,
  judge,
  step,
  type Aggregation,
  type BacktestRule,
  type Comparison,
  type Point,
} from '../../domain/monitor.ts';

const MIN = 60_000;

/** A seeded generator, so a failure can be run again. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** The monitor's way: each window's points judged afresh, stepped through the state machine. */
function bruteForce(rule: BacktestRule, points: Point[], times: number[]) {
  const within = (from: number, to: number) => points.filter((p) => p.at >= from && p.at < to);
  let status = INITIAL_STATUS;
  const steps = [];
  const episodes: { since: number; firedAt: number; resolvedAt: number | null }[] = [];
  for (const at of times) {
    const change = rule.comparison.startsWith('change_');
    const verdict = judge(
      rule,
      within(at - rule.windowMs, at),
      change ? within(at - 2 * rule.windowMs, at - rule.windowMs) : [],
      rule.windowMs,
    );
    const next = step(status, verdict.holds, at, rule.forMs, rule.keepFiringMs);
    if (next.transition === 'fire') episodes.push({ since: next.status.since!, firedAt: at, resolvedAt: null });
    if (next.transition === 'recover') episodes.at(-1)!.resolvedAt = at;
    status = next.status;
    steps.push({ at, value: verdict.value, holds: verdict.holds });
  }
  return { steps, episodes };
}

test.each(
  AGGREGATIONS.flatMap((aggregation) =>
    (['above', 'below', 'change_above', 'change_below'] as Comparison[]).map((comparison) => [aggregation, comparison] as const),
  ),
)('%s %s: the sliding backtest decides as each window judged afresh', (aggregation: Aggregation, comparison: Comparison) => {
  const next = random(aggregation.length * 31 + comparison.length);
  // Two counters (series a and b) with gaps, resets and points at the same instant.
  const points: Point[] = [];
  const counters = { a: 0, b: 0 };
  for (let at = 0; at < 600 * MIN; at += (Math.floor(next() * 3) * MIN) / 2) {
    for (const series of ['a', 'b'] as const) {
      if (next() < 0.3) continue;
      counters[series] = next() < 0.05 ? Math.floor(next() * 10) : counters[series] + Math.floor(next() * 20);
      points.push({ at, value: aggregation === 'rate' ? counters[series] : Math.floor(next() * 100), series });
    }
    if (next() < 0.02) at += 30 * MIN; // a gap: windows without points
  }
  points.sort((x, y) => x.at - y.at || (x.series! < y.series! ? -1 : 1));
  const threshold = comparison.startsWith('change_') ? 20 : aggregation === 'sum' ? 500 : aggregation === 'rate' ? 0.15 : 50;
  for (const [windowMs, forMs, keepFiringMs] of [
    [5 * MIN, 0, 0],
    [17 * MIN, 3 * MIN, 5 * MIN],
    [90 * MIN, 0, 10 * MIN],
  ]) {
    const rule: BacktestRule = {
      aggregation,
      comparison,
      threshold,
      noData: 'keep',
      windowMs: windowMs!,
      forMs: forMs!,
      keepFiringMs: keepFiringMs!,
    };
    const times = Array.from({ length: 400 }, (_, i) => 100 * MIN + i * 90_000);
    const fast = backtest(rule, points, times);
    const slow = bruteForce(rule, points, times);
    expect(fast.steps.map((s) => s.holds)).toEqual(slow.steps.map((s) => s.holds));
    fast.steps.forEach((s, i) =>
      s.value === null ? expect(slow.steps[i]!.value).toBeNull() : expect(s.value).toBeCloseTo(slow.steps[i]!.value!, 6),
    );
    expect(fast.episodes).toEqual(slow.episodes);
  }
});

test('a backtest fires after `for` and resolves after keep-firing, and an episode open at the end stays open', () => {
  const points = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => ({ at: m * MIN, value: m >= 3 && m <= 5 ? 10 : m === 9 ? 10 : 1 }));
  const rule: BacktestRule = {
    aggregation: 'max',
    comparison: 'above',
    threshold: 5,
    noData: 'ok',
    windowMs: MIN,
    forMs: MIN,
    keepFiringMs: 2 * MIN,
  };
  const { episodes } = backtest(
    rule,
    points,
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((m) => m * MIN),
  );
  // Holds at 4, 5, 6 (the window is the minute before): fires at 5, clear from 7, resolved at 9; holds again at 10.
  expect(episodes).toEqual([{ since: 4 * MIN, firedAt: 5 * MIN, resolvedAt: 9 * MIN }]);
  expect(
    backtest(
      { ...rule, forMs: 0 },
      points,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((m) => m * MIN),
    ).episodes,
  ).toEqual([
    { since: 4 * MIN, firedAt: 4 * MIN, resolvedAt: 9 * MIN },
    { since: 10 * MIN, firedAt: 10 * MIN, resolvedAt: null },
  ]);
});
