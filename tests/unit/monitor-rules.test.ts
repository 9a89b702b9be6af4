import { aggregate, INITIAL_STATUS, judge, step, type MonitorStatus, type Point, type Transition } from '../../domain/monitor.ts';

const MIN = 60_000;
const pts = (...values: number[]): Point[] => values.map((value, i) => ({ at: i * MIN, value }));

test('aggregations over a window', () => {
  const p = pts(4, 1, 7, 2);
  expect(aggregate(p, 'avg', 5 * MIN)).toBe(3.5);
  expect(aggregate(p, 'sum', 5 * MIN)).toBe(14);
  expect(aggregate(p, 'min', 5 * MIN)).toBe(1);
  expect(aggregate(p, 'max', 5 * MIN)).toBe(7);
  expect(aggregate([...p].reverse(), 'last', 5 * MIN)).toBe(2); // by time, not by arrival
  // A counter 100 -> 130 -> 10 (reset) -> 40 over 5 minutes: 30 + 10 + 30 = 70 per 300 s.
  expect(aggregate(pts(100, 130, 10, 40), 'rate', 5 * MIN)).toBeCloseTo(70 / 300, 12);
  expect(aggregate(pts(5), 'rate', 5 * MIN)).toBeNull();
  expect(aggregate([], 'avg', 5 * MIN)).toBeNull();
});

test('conditions: thresholds, percent change against the previous window, and the no-data policy', () => {
  const above = { aggregation: 'avg', comparison: 'above', threshold: 3, noData: 'ok' } as const;
  expect(judge(above, pts(4, 1, 7, 2), [], 5 * MIN)).toMatchObject({ holds: true, value: 3.5 });
  expect(judge({ ...above, comparison: 'below' }, pts(4, 1, 7, 2), [], 5 * MIN).holds).toBe(false);
  expect(judge(above, [], [], 5 * MIN)).toMatchObject({ holds: false, reason: expect.stringMatching(/no data/) });
  expect(judge({ ...above, noData: 'alert' }, [], [], 5 * MIN).holds).toBe(true);
  expect(judge({ ...above, noData: 'keep' }, [], [], 5 * MIN).holds).toBeNull();

  const drop = { aggregation: 'sum', comparison: 'change_below', threshold: 30, noData: 'ok' } as const;
  const fell = judge(drop, pts(30, 30), pts(50, 50), 5 * MIN); // 100 -> 60: -40%
  expect(fell).toMatchObject({ holds: true, value: 60, previous: 100, change: -40 });
  expect(judge(drop, pts(40, 40), pts(50, 50), 5 * MIN).holds).toBe(false); // -20%
  const rise = judge({ ...drop, comparison: 'change_above', threshold: 25 }, pts(70, 60), pts(50, 50), 5 * MIN); // +30%
  expect(rise).toMatchObject({ holds: true, change: 30 });
  expect(judge(drop, pts(1), [], 5 * MIN)).toMatchObject({ holds: false, reason: expect.stringMatching(/previous window/) });
  expect(judge(drop, pts(1), pts(0), 5 * MIN).reason).toMatch(/previous window is 0/);
});

/** Runs evaluations every minute over a series of verdicts; answers the transitions with their minute. */
function run(
  verdicts: (boolean | null)[],
  forMs: number,
  keepFiringMs: number,
): { transitions: [number, Transition][]; last: MonitorStatus } {
  let status = INITIAL_STATUS;
  const transitions: [number, Transition][] = [];
  verdicts.forEach((holds, minute) => {
    const next = step(status, holds, minute * MIN, forMs, keepFiringMs);
    status = next.status;
    if (next.transition) transitions.push([minute, next.transition]);
  });
  return { transitions, last: status };
}

test('`for`: the condition must hold that long before the rule fires; a shorter blip goes back to normal', () => {
  const { transitions, last } = run([false, true, true, false, true, true, true, true], 3 * MIN, 0);
  expect(transitions).toEqual([
    [1, 'pending'],
    [3, 'cancel_pending'],
    [4, 'pending'],
    [7, 'fire'],
  ]);
  expect(last).toMatchObject({ state: 'firing', since: 4 * MIN, episodes: 1 });
  expect(run([true], 0, 0).transitions).toEqual([[0, 'fire']]);
});

test('keep-firing: a flapping metric makes one episode, not ten; it resolves after staying clear long enough', () => {
  const flapping = [true, false, true, false, true, false, true, false, true, false, false, false, false];
  const { transitions, last } = run(flapping, 0, 3 * MIN);
  expect(transitions).toEqual([
    [0, 'fire'],
    [12, 'recover'],
  ]);
  expect(last).toMatchObject({ state: 'resolved', episodes: 1 });
  // Without hysteresis the same series would open and close an episode each time.
  expect(run(flapping, 0, 0).last.episodes).toBe(5);
  // After resolving, a new breach is a new episode.
  expect(run([...flapping, true], 0, 3 * MIN).transitions.at(-1)).toEqual([13, 'fire']);
  // No data under the keep policy changes nothing.
  expect(run([true, null, null, null, null], 0, MIN).last.state).toBe('firing');
});

test('rate follows each series on its own: two counters rising 1/s make 2/s, not the jumps between them', () => {
  const points = Array.from({ length: 60 }, (_, i) => [
    { at: i * 1000, value: 1000 + i, series: 'a' },
    { at: i * 1000, value: i, series: 'b' },
  ]).flat();
  expect(aggregate(points, 'rate', 60_000)).toBeCloseTo(118 / 60, 6);
  expect(
    aggregate(
      [
        { at: 0, value: 5, series: 'a' },
        { at: 1, value: 7, series: 'b' },
      ],
      'rate',
      60_000,
    ),
  ).toBeNull();
});
