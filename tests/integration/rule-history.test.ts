// A rule against the past: the dry run of an unsaved rule over stored points (what it would have fired), and the
// firing episodes a rule's monitor recorded, read back for the metric's chart.
import { randomUUID } from 'node:crypto';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let ingest: TestOperator;
let oncall: TestOperator;
let manager: TestOperator;
const minute = 60_000;

beforeAll(async () => {
  stack = await startStack();
  [ingest, oncall, manager] = await Promise.all([
    stack.operator(['ingest'], 'collector'),
    stack.operator(['oncall'], 'Ona'),
    stack.operator(['ops_manager'], 'Max'),
  ]);
});

afterAll(async () => {
  await stack?.close();
});

test('a dry run tries an unsaved rule on past points: now, each evaluation, and the episodes it would have fired', async () => {
  const metric = `queue_depth_${randomUUID().slice(0, 8)}`;
  const base = Math.floor((Date.now() - 2 * 60 * minute) / minute) * minute;
  const at = (m: number) => new Date(base + m * minute).toISOString();
  // One point a minute for an hour: 10, with two breaches at 100 (minutes 20-29 and 45-49).
  const value = (m: number) => ((m >= 20 && m <= 29) || (m >= 45 && m <= 49) ? 100 : 10);
  const points = Array.from({ length: 60 }, (_, m) => ({ name: metric, value: value(m), at: at(m), labels: { queue: 'mail' } }));
  expect((await stack.api('POST', '/metrics', { token: ingest.token, body: { points } })).status).toBe(200);
  const rule = {
    metric,
    labels: { queue: 'mail' },
    aggregation: 'max',
    window: '1m',
    comparison: 'above',
    threshold: 50,
    severity: 'P3',
    every: '1m',
    action: { type: 'notify_role', role: 'oncall' },
    from: at(0),
    to: at(60),
  };

  const dry = await stack.api('POST', '/rules/dry-run', { token: oncall.token, body: rule });
  expect(dry.status).toBe(200);
  expect(dry.body).toMatchObject({ from: at(0), to: at(60), stepMs: minute, truncated: false });
  // Evaluated each minute; the window is the minute before each instant.
  expect(dry.body.evaluations).toHaveLength(60);
  expect(dry.body.evaluations[0]).toEqual({ at: at(1), value: 10, holds: false });
  expect(dry.body.evaluations[20]).toEqual({ at: at(21), value: 100, holds: true });
  expect(dry.body.episodes).toEqual([
    { since: at(21), firedAt: at(21), resolvedAt: at(31) },
    { since: at(46), firedAt: at(46), resolvedAt: at(51) },
  ]);
  // Now (the end of the range): the last minute's point, 10.
  expect(dry.body.now).toMatchObject({ at: at(60), holds: false, value: 10, reason: 'max 10 is not above 50', window: { points: 1 } });

  // `for` and keep-firing change what it would have fired: the condition must hold 2 minutes, and stay clear 5.
  const held = await stack.api('POST', '/rules/dry-run', { token: oncall.token, body: { ...rule, for: '2m', keepFiring: '5m' } });
  expect(held.body.episodes).toEqual([
    { since: at(21), firedAt: at(23), resolvedAt: at(36) },
    { since: at(46), firedAt: at(48), resolvedAt: at(56) },
  ]);
  // Other labels match no points: nothing would have fired, and the no-data policy is applied.
  const other = await stack.api('POST', '/rules/dry-run', {
    token: oncall.token,
    body: { ...rule, labels: { queue: 'sms' }, noData: 'ok' },
  });
  expect(other.body.episodes).toEqual([]);
  expect(other.body.now.reason).toBe('no data in the window: no-data policy ok');

  // Bad fields are named as the create form names them; nothing was stored.
  const bad = await stack.api('POST', '/rules/dry-run', { token: oncall.token, body: { ...rule, threshold: 'high', window: '1s' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['threshold', 'window']);
  const backwards = await stack.api('POST', '/rules/dry-run', { token: oncall.token, body: { ...rule, from: at(60), to: at(0) } });
  expect(backwards).toMatchObject({ status: 400, body: { error: { fields: [{ field: 'from' }] } } });
  expect((await stack.api('POST', '/rules/dry-run', { token: ingest.token, body: rule })).status).toBe(403);
  const [count] = await stack.db.orm.em
    .getConnection()
    .execute<{ n: number }[]>('select count(*)::int as n from rules where metric = ?', [metric]);
  expect(count!.n).toBe(0);
});

test("a rule's firing episodes read back from its monitor: fired, resolved, newest first, by range", async () => {
  const metric = `error_rate_${randomUUID().slice(0, 8)}`;
  const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
  await stack.api('POST', '/metrics', { token: ingest.token, body: { points: [{ name: metric, value: 0.4, at: ago(5), labels: {} }] } });
  const created = await stack.api('POST', '/rules', {
    token: manager.token,
    body: {
      name: 'Errors up',
      metric,
      aggregation: 'max',
      window: '5m',
      comparison: 'above',
      threshold: 0.2,
      severity: 'P2',
      every: '10s',
      action: { type: 'notify_role', role: 'oncall' },
    },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const episodes = (query = '') => stack.api('GET', `/rules/${id}/episodes${query}`, { token: oncall.token });

  const firing = await eventually(async () => {
    const res = await episodes();
    return res.body.items?.length === 1 && res.body;
  }, 'the first episode');
  expect(firing).toMatchObject({ total: 1, items: [{ episode: 1, resolvedAt: null, value: 0.4, reason: 'max 0.4 is above 0.2' }] });
  const firedAt = Date.parse(firing.items[0].firedAt);
  // The role's email opens the rule in the console.
  const mail = await stack.mail.waitFor((m) => m.subject.includes('P2 rule fired: Errors up'));
  expect(mail.to).toEqual([oncall.email]);
  expect(mail.text).toContain(`http://opsflow.test/console/metrics/rules/${id}`);
  expect(Math.abs(firedAt - Date.now())).toBeLessThan(30_000);

  // Threshold raised: the monitor recovers (keep-firing 0s); lowered again: a second episode.
  expect((await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { threshold: 1 } })).status).toBe(200);
  await eventually(async () => (await episodes()).body.items[0]?.resolvedAt !== null, 'the recovery');
  expect((await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { threshold: 0.1 } })).status).toBe(200);
  const both = await eventually(async () => {
    const res = await episodes();
    return res.body.total === 2 && res.body;
  }, 'the second episode');
  expect(both.items.map((e: { episode: number; resolvedAt: string | null }) => [e.episode, e.resolvedAt === null])).toEqual([
    [2, true],
    [1, false],
  ]);
  expect(Date.parse(both.items[1].resolvedAt)).toBeGreaterThanOrEqual(firedAt);

  // Paged, and limited to the range asked for: a range that ended before the first firing holds none.
  expect((await episodes('?limit=1&offset=1')).body).toMatchObject({ total: 2, items: [{ episode: 1 }] });
  const before = await episodes(`?from=${encodeURIComponent(ago(3600))}&to=${encodeURIComponent(new Date(firedAt - 1000).toISOString())}`);
  expect(before.body).toEqual({ items: [], total: 0 });
  expect((await episodes(`?from=${encodeURIComponent(ago(0))}&to=${encodeURIComponent(ago(60))}`)).status).toBe(400);
  expect((await stack.api('GET', `/rules/${id}/episodes`, { token: ingest.token })).status).toBe(403);
  expect((await stack.api('GET', `/rules/${randomUUID()}/episodes`, { token: oncall.token })).status).toBe(404);
  await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { enabled: false } });
});
