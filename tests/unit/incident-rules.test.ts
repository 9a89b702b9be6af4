// The pure incident rules: which escalation policy an incident gets, and the paging schedule a policy gives.
import { BUILT_IN_POLICY, choosePolicy, isActive, isOpen, pageSchedule, type StoredEscalationPolicy } from '../../domain/incident.ts';
import { durationToMs } from '../../domain/durations.ts';

const toMs = (d: string) => durationToMs(d as never);
const policy = (over: Partial<StoredEscalationPolicy>): StoredEscalationPolicy => ({
  id: over.name ?? 'p',
  name: 'p',
  service: null,
  labels: {},
  levels: [{ targets: [{ role: 'oncall' }] }],
  repeat: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('choosePolicy', () => {
  const any = policy({ name: 'any', createdAt: '2026-01-01T00:00:00.000Z' });
  const eu = policy({ name: 'eu', labels: { region: 'eu' } });
  const euWeb = policy({ name: 'eu-web', labels: { region: 'eu', app: 'web' } });
  const checkout = policy({ name: 'checkout', service: 'checkout' });
  const all = [any, eu, euWeb, checkout];

  test('a service match beats any number of labels; more labels beat fewer; a catch-all comes last', () => {
    expect(choosePolicy(all, { service: 'checkout', labels: { region: 'eu', app: 'web' } }).name).toBe('checkout');
    expect(choosePolicy(all, { service: 'search', labels: { region: 'eu', app: 'web' } }).name).toBe('eu-web');
    expect(choosePolicy(all, { service: null, labels: { region: 'eu', app: 'ios' } }).name).toBe('eu');
    expect(choosePolicy(all, { service: null, labels: { region: 'us' } }).name).toBe('any');
  });

  test('a policy for another service or with a label the incident lacks never applies; with none left, the built-in', () => {
    const picked = choosePolicy([checkout, eu], { service: 'search', labels: { region: 'us' } });
    expect(picked).toEqual({ ...BUILT_IN_POLICY, id: null });
  });

  test('among equally specific policies the oldest wins', () => {
    const older = policy({ name: 'older', labels: { region: 'eu' }, createdAt: '2025-06-01T00:00:00.000Z' });
    expect(choosePolicy([eu, older], { service: null, labels: { region: 'eu' } }).name).toBe('older');
  });
});

describe('pageSchedule', () => {
  test('each level waits its own time or the SLA; the whole sequence repeats', () => {
    const steps = pageSchedule(
      [{ targets: [{ role: 'oncall' }] }, { targets: [{ role: 'ops_manager' }], wait: '10m' }],
      1,
      toMs('5m'),
      toMs,
    );
    expect(steps.map((s) => [s.pass, s.level, s.waitMs! / 60_000])).toEqual([
      [0, 1, 5],
      [0, 2, 10],
      [1, 1, 5],
      [1, 2, 10],
    ]);
  });

  test('with no SLA a level without its own wait is paged once and ends the schedule', () => {
    const steps = pageSchedule(
      [{ targets: [{ role: 'oncall' }], wait: '2m' }, { targets: [{ role: 'ops_manager' }] }, { targets: [{ role: 'admin' }] }],
      3,
      null,
      toMs,
    );
    expect(steps.map((s) => [s.pass, s.level, s.waitMs])).toEqual([
      [0, 1, 120_000],
      [0, 2, null],
    ]);
  });
});

test('statuses: acknowledged to monitoring are active; resolved and closed are no longer open', () => {
  expect(
    ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'].map((s) => [
      isActive(s as never),
      isOpen(s as never),
    ]),
  ).toEqual([
    [false, true],
    [true, true],
    [true, true],
    [true, true],
    [true, true],
    [false, false],
    [false, false],
  ]);
});
