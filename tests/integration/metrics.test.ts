// Pushed metrics over HTTP: batches in, series out, a retried push counted once, bad input named and not stored.
import { randomUUID } from 'node:crypto';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';
import { recordHistory } from '../support/histories.ts';
import { delivered } from '../support/events.ts';

let stack: Stack;
let ingest: TestOperator;
let analyst: TestOperator;
const metric = `signups_${randomUUID().slice(0, 8)}`;
const minute = 60_000;
const base = Date.now() - 60 * minute;
const at = (m: number) => new Date(base + m * minute).toISOString();
const stored = async () =>
  (
    await stack.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from metric_points where name = ?', [metric])
  )[0]!.n;

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'collector');
  analyst = await stack.operator(['analyst'], 'Ana');
});

afterAll(async () => {
  await stack?.close();
});

test('points go in as a batch and come back per metric, by time range and labels; a retried push counts once', async () => {
  const points = [0, 1, 2, 3].flatMap((m) => [
    { name: metric, value: 10 + m, at: at(m), labels: { region: 'eu', app: 'web' } },
    { name: metric, value: 100 + m, at: at(m), labels: { app: 'ios', region: 'us' } },
  ]);
  const pushed = await stack.api('POST', '/metrics', { token: ingest.token, body: { points } });
  expect(pushed).toMatchObject({ status: 200, body: { accepted: 8, created: 8, updated: 0 } });

  // The same push again (a retry) and a corrected value: nothing is added, values are replaced.
  const again = await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: {
      points: [
        ...points.slice(0, 2),
        { name: metric, value: 99, at: at(3), labels: { app: 'web', region: 'eu' } }, // labels in another order: the same series
        { name: metric, value: 98, at: at(3), labels: { region: 'eu', app: 'web' } }, // later in the batch: it wins
      ],
    },
  });
  expect(again).toMatchObject({ status: 200, body: { accepted: 4, created: 0, updated: 4 } });
  expect(await stored()).toBe(8);

  const eu = await stack.api(
    'GET',
    `/metrics/${metric}?labels=region:eu&from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(10))}`,
    { token: analyst.token },
  );
  expect(eu.status).toBe(200);
  expect(eu.body.points.map((p: { at: string; value: number }) => [p.at, p.value])).toEqual([
    [at(0), 10],
    [at(1), 11],
    [at(2), 12],
    [at(3), 98],
  ]);
  expect(eu.body.points[0].labels).toEqual({ app: 'web', region: 'eu' });
  expect(eu.body.truncated).toBe(false);

  const window = await stack.api('GET', `/metrics/${metric}?from=${encodeURIComponent(at(1))}&to=${encodeURIComponent(at(3))}&limit=3`, {
    token: analyst.token,
  });
  // Oldest first; points of one instant come series by series.
  expect(window.body.points.map((p: { at: string }) => p.at)).toEqual([at(1), at(1), at(2)]);
  expect(
    window.body.points
      .slice(0, 2)
      .map((p: { value: number }) => p.value)
      .sort((a: number, b: number) => a - b),
  ).toEqual([11, 101]);
  expect(window.body.truncated).toBe(true);
  const none = await stack.api('GET', `/metrics/${metric}?labels=region:eu,app:ios`, { token: analyst.token });
  expect(none.body.points).toEqual([]);
  const audit = await stack.api('GET', `/audit?entityType=metric&entityId=${metric}`);
  expect(audit.body.items.length).toBeGreaterThanOrEqual(2);
});

test('bad points are named, and nothing of the batch is stored; roles are checked', async () => {
  const good = { name: metric, value: 1, at: at(30), labels: {} };
  const cases: [unknown, string][] = [
    [[good, { value: 1, at: at(30) }], 'points[1].name'],
    [[good, { name: '1bad name', value: 1, at: at(30) }], 'points[1].name'],
    [[{ ...good, value: 'high' }], 'points[0].value'],
    [[{ ...good, at: new Date(Date.now() + 3_600_000).toISOString() }], 'points[0].at'],
    [[{ ...good, labels: { 'bad-key': 'x' } }], 'points[0].labels.bad-key'],
    [[], 'points'],
  ];
  const before = await stored();
  for (const [points, field] of cases) {
    const res = await stack.api('POST', '/metrics', { token: ingest.token, body: { points } });
    expect({ field, status: res.status }).toEqual({ field, status: 400 });
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
  }
  expect(await stored()).toBe(before);

  const reversed = await stack.api('GET', `/metrics/${metric}?from=${encodeURIComponent(at(5))}&to=${encodeURIComponent(at(1))}`, {
    token: analyst.token,
  });
  expect(reversed.status).toBe(400);
  expect(reversed.body.error.fields[0].field).toBe('query.from');
  const badLabels = await stack.api('GET', `/metrics/${metric}?labels=region`, { token: analyst.token });
  expect(badLabels.status).toBe(400);
  expect(badLabels.body.error.fields[0].field).toBe('query.labels');
  expect((await stack.api('POST', '/metrics', { token: analyst.token, body: { points: [good] } })).status).toBe(403);
  expect((await stack.api('GET', `/metrics/${metric}`, { token: ingest.token })).status).toBe(403);
});

describe('rules', () => {
  let manager: TestOperator;
  const errors = `checkout_errors_${randomUUID().slice(0, 8)}`;
  const rule = (extra: Record<string, unknown> = {}) => ({
    name: 'Checkout errors',
    metric: errors,
    labels: { region: 'eu' },
    aggregation: 'avg',
    window: '5m',
    comparison: 'above',
    threshold: 10,
    severity: 'P2',
    action: { type: 'notify_role', role: 'oncall' },
    ...extra,
  });
  const countRules = async () =>
    (await stack.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from rules'))[0]!.n;

  beforeAll(async () => {
    manager = await stack.operator(['ops_manager'], 'Mia');
  });

  test('bad rules are named and nothing is stored', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [rule({ aggregation: 'median' }), 400, 'aggregation'],
      [rule({ window: '-5m' }), 400, 'window'],
      [rule({ threshold: 'ten' }), 400, 'threshold'],
      [rule({ metric: '' }), 400, 'metric'],
      [rule({ metric: 'kpi.nope' }), 400, 'metric'],
      [rule({ action: { type: 'pause_campaign', campaignId: randomUUID() } }), 422, 'action.campaignId'],
      [rule({ action: { type: 'start_winback', segment: 'whales' } }), 400, 'action.segment'],
      [rule({ action: { type: 'open_incident', service: '' } }), 400, 'action.service'],
    ];
    for (const [body, status, field] of cases) {
      const res = await stack.api('POST', '/rules', { token: manager.token, body });
      expect({ field, status: res.status }).toEqual({ field, status });
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect(await countRules()).toBe(0);
    expect((await stack.api('POST', '/rules', { token: analyst.token, body: rule() })).status).toBe(403);
  });

  test('create, change part of a rule, dry-run it against stored points, delete it', async () => {
    const created = await stack.api('POST', '/rules', { token: manager.token, body: rule() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ for: '0s', keepFiring: '0s', noData: 'ok', every: '30s', enabled: true, version: 1 });
    const id = created.body.id as string;

    const changed = await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { threshold: 5, for: '2m' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ threshold: 5, for: '2m', window: '5m', labels: { region: 'eu' }, version: 2 });
    expect((await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { window: '0s' } })).status).toBe(400);

    const dry = () => stack.api('POST', `/rules/${id}/evaluate?dryRun=true`, { token: analyst.token });
    const empty = await dry();
    expect(empty.body).toMatchObject({ holds: false, value: null, reason: expect.stringMatching(/no data/), window: { points: 0 } });

    // eu: 4, 8, 9 in the last five minutes (avg 7 > 5); us and an older eu point do not count.
    const ago = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    await stack.api('POST', '/metrics', {
      token: ingest.token,
      body: {
        points: [
          { name: errors, value: 4, at: ago(4), labels: { region: 'eu' } },
          { name: errors, value: 8, at: ago(3), labels: { region: 'eu' } },
          { name: errors, value: 9, at: ago(1), labels: { region: 'eu', host: 'a' } },
          { name: errors, value: 90, at: ago(2), labels: { region: 'us' } },
          { name: errors, value: 100, at: ago(9), labels: { region: 'eu' } },
        ],
      },
    });
    const breach = await dry();
    expect(breach.body).toMatchObject({ holds: true, value: 7, reason: 'avg 7 is above 5', window: { points: 3 } });
    expect((await stack.api('POST', `/rules/${id}/evaluate?dryRun=false`, { token: analyst.token })).status).toBe(400);

    const list = await stack.api('GET', `/rules?metric=${errors}`, { token: analyst.token });
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await stack.api('DELETE', `/rules/${id}`, { token: manager.token })).status).toBe(204);
    expect((await stack.api('GET', `/rules/${id}`, { token: analyst.token })).status).toBe(404);
    const trail = await stack.api('GET', `/audit?entityType=rule&entityId=${id}`);
    expect(trail.body.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['rule.created', 'rule.deleted', 'rule.updated']),
    );
    // Deleting the rule stopped its monitor.
    const result = await stack.env.client.workflow.getHandle(`rule-monitor:${id}`).result();
    expect(result.stopped).toMatch(/stopped|deleted/);
  });
});

test("a rule's monitor fires once per episode and mails the role; disabling it stops the monitor", async () => {
  const manager = await stack.operator(['ops_manager'], 'Max');
  const oncall = await stack.operator(['oncall'], 'Ona');
  const latency = `latency_ms_${randomUUID().slice(0, 8)}`;
  const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: {
      points: [
        { name: latency, value: 900, at: ago(20), labels: {} },
        { name: latency, value: 1100, at: ago(10), labels: {} },
      ],
    },
  });
  const created = await stack.api('POST', '/rules', {
    token: manager.token,
    body: {
      name: 'Slow checkout',
      metric: latency,
      aggregation: 'max',
      window: '5m',
      comparison: 'above',
      threshold: 800,
      severity: 'P1',
      every: '10s',
      action: { type: 'notify_role', role: 'oncall' },
    },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const mail = await stack.mail.waitFor((m) => m.subject.includes('P1 rule fired: Slow checkout'), 20_000);
  expect(mail.to).toEqual([oncall.email]);
  expect(mail.text).toContain('max 1100 is above 800');
  // The monitor's view is written right after the action.
  const live = await eventually(async () => {
    const body = (await stack.api('GET', `/rules/${id}`, { token: analyst.token })).body;
    return body.monitor.state === 'firing' && body;
  }, 'the monitor view');
  expect(live.monitor).toMatchObject({ state: 'firing', episodes: 1, lastValue: 1100, since: expect.any(String) });

  const disabled = await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { enabled: false } });
  expect(disabled.status).toBe(200);
  const result = await stack.env.client.workflow.getHandle(`rule-monitor:${id}`).result();
  expect(result).toMatchObject({ stopped: 'stopped', status: { state: 'firing', episodes: 1 } });
  await recordHistory(stack.env.client, `rule-monitor:${id}`, 'monitor-http-fired-disabled');
  expect(stack.mail.messages().filter((m) => m.subject.includes('Slow checkout'))).toHaveLength(1);

  // Enabled again while still breaching: a new monitor counts on from the stored episodes, so this is episode 2 and
  // its email is a new one (not taken for episode 1's).
  expect((await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { enabled: true } })).status).toBe(200);
  await eventually(
    async () => stack.mail.messages().filter((m) => m.subject.includes('Slow checkout')).length === 2,
    'the episode 2 email',
  );
  const again = await eventually(async () => {
    const body = (await stack.api('GET', `/rules/${id}`, { token: analyst.token })).body;
    return body.monitor.episodes === 2 && body;
  }, 'episode 2');
  expect(again.monitor.state).toBe('firing');
  await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { enabled: false } });
});

test('the KPIs computed from customer events read as metrics (kpi.*), and rules can use them', async () => {
  const manager = await stack.operator(['ops_manager'], 'Kim');
  const tag = randomUUID().slice(0, 8);
  const people = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: [
        { externalId: `kpi-a-${tag}`, email: `kpi-a-${tag}@example.com` },
        { externalId: `kpi-b-${tag}`, email: `kpi-b-${tag}@example.com` },
      ],
    },
  });
  expect(people.status).toBe(200);
  const now = new Date().toISOString();
  const events = await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: [
        { externalId: `kpi-a-${tag}`, type: 'signup', at: now, idempotencyKey: `kpi-${tag}-1` },
        { externalId: `kpi-b-${tag}`, type: 'signup', at: now, idempotencyKey: `kpi-${tag}-2` },
        { externalId: `kpi-b-${tag}`, type: 'purchase', at: now, amount: 12.5, idempotencyKey: `kpi-${tag}-3` },
      ],
    },
  });
  expect(events.status).toBe(202);
  const today = `${now.slice(0, 10)}T00:00:00.000Z`;
  const read = async (name: string, extra = '') =>
    (await stack.api('GET', `/metrics/${name}?from=${encodeURIComponent(today)}${extra}`, { token: analyst.token })).body.points;
  expect(await read('kpi.signups')).toEqual([{ at: today, value: 2, labels: {} }]);
  expect(await read('kpi.gmv')).toEqual([{ at: today, value: 12.5, labels: {} }]);
  expect(await read('kpi.dau')).toEqual([{ at: today, value: 2, labels: {} }]);
  expect(await read('kpi.retention_d1')).toEqual([]); // the day has not ended
  expect(await read('kpi.signups', '&labels=region:eu')).toEqual([]);

  const pushed = await stack.api('POST', '/metrics', { token: ingest.token, body: { points: [{ name: 'kpi.dau', value: 1, at: now }] } });
  expect(pushed.status).toBe(400);
  expect(pushed.body.error.fields[0].field).toBe('points[0].name');

  const rule = await stack.api('POST', '/rules', {
    token: manager.token,
    body: {
      name: 'Signups today',
      metric: 'kpi.signups',
      aggregation: 'last',
      window: '1d',
      comparison: 'above',
      threshold: 1,
      severity: 'P4',
      enabled: false,
      action: { type: 'notify_role', role: 'analyst' },
    },
  });
  expect(rule.status).toBe(201);
  const dry = await stack.api('POST', `/rules/${rule.body.id}/evaluate?dryRun=true`, { token: analyst.token });
  expect(dry.body).toMatchObject({ holds: true, value: 2, reason: 'last 2 is above 1' });
});

test('start_winback: a breach starts a win-back for every customer in the segment, once each, with the rule as cause', async () => {
  const manager = await stack.operator(['ops_manager'], 'Wen');
  const tag = randomUUID().slice(0, 8);
  const ids = ['w1', 'w2', 'w3'].map((n) => `${n}-${tag}`);
  // Whatever the hour the test runs at: no quiet hours, no cap.
  expect(
    (await stack.api('PUT', '/policies/messaging', { token: manager.token, body: { frequencyCap: null, quietHours: null } })).status,
  ).toBe(200);
  await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: ids.map((externalId) => ({
        externalId,
        email: `${externalId}@example.com`,
        marketingConsent: true,
      })),
    },
  });
  const now = new Date().toISOString();
  const signed = await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: ids.map((externalId, i) => ({
        externalId,
        type: 'purchase',
        at: now,
        amount: 10,
        idempotencyKey: `wb-${tag}-${i}`,
      })),
    },
  });
  expect(signed.status).toBe(202);
  // Delivered in the background: a win-back asks only customers whose lifecycle has seen them active.
  await delivered(stack.api, signed.body.cursor, { token: ingest.token });
  // Two of them in the segment (as the RFM run would put them; its scoring is tested on its own).
  await stack.db.orm.em
    .getConnection()
    .execute(
      `update customers set segment = case when external_id = any(?::text[]) then 'at_risk' else 'loyal' end where external_id = any(?::text[])`,
      [`{${ids.slice(0, 2).join(',')}}`, `{${ids.join(',')}}`],
    );
  const metric = `checkout_conversion_${tag}`;
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: { points: [{ name: metric, value: 0.5, at: new Date(Date.now() - 5000).toISOString() }] },
  });
  const created = await stack.api('POST', '/rules', {
    token: manager.token,
    body: {
      name: 'Conversion dropped',
      metric,
      aggregation: 'last',
      window: '5m',
      comparison: 'below',
      threshold: 1,
      severity: 'P3',
      every: '10s',
      action: { type: 'start_winback', segment: 'at_risk' },
    },
  });
  expect(created.status).toBe(201);
  const ruleId = created.body.id as string;
  const mails = await eventually(
    async () => {
      const got = stack.mail
        .messages()
        .filter((m) => m.subject === 'We miss you: a coupon to come back' && ids.some((x) => m.to.includes(`${x}@example.com`)));
      return got.length >= 2 && got;
    },
    'the win-back emails',
    20_000,
  );
  expect(mails.map((m) => m.to[0]).sort()).toEqual(
    ids
      .slice(0, 2)
      .map((x) => `${x}@example.com`)
      .sort(),
  );
  // The shipped English win-back: the code on a line of its own, then when it expires.
  expect(mails[0]!.text).toMatch(/^WB-[\w-]+$/m);
  expect(mails[0]!.text).toContain('it is valid until');
  const lifecycle = (await stack.api('GET', `/customers?segment=at_risk&limit=10`, { token: manager.token })).body;
  const one = lifecycle.items.find((c: { externalId: string }) => c.externalId === ids[0]);
  const view = (await stack.api('GET', `/customers/${one.id}/lifecycle`, { token: manager.token })).body;
  expect(view).toMatchObject({ stage: 'at_risk', counters: { winBacks: 1 } });
  expect(view.history.at(-1)).toMatchObject({ to: 'at_risk', cause: `rule:${ruleId}` });
  const trail = await stack.api('GET', `/audit?entityType=rule&entityId=${ruleId}`);
  expect(trail.body.items.find((e: { action: string }) => e.action === 'rule.action').details).toMatchObject({
    type: 'start_winback',
    customers: 2,
  });
  await stack.api('PATCH', `/rules/${ruleId}`, { token: manager.token, body: { enabled: false } });
  await stack.env.client.workflow.getHandle(`rule-monitor:${ruleId}`).result();
  await recordHistory(stack.env.client, `rule-monitor:${ruleId}`, 'monitor-http-start-winback');
  await recordHistory(stack.env.client, `customer-lifecycle:${one.id}`, 'lifecycle-rule-winback');
  expect(
    stack.mail.messages().filter((m) => m.subject.startsWith('We miss you') && ids.some((x) => m.to.includes(`${x}@example.com`))),
  ).toHaveLength(2);
});

test('a rule judges every point of a busy window (12,001 points) and takes the rate of each series on its own', async () => {
  const manager = await stack.operator(['ops_manager'], 'Bea');
  const busy = `busy_${randomUUID().slice(0, 8)}`;
  const now = Date.now();
  // 40 series scraped every 0.8 s for 4 minutes at 1, and one spike of 1000 a second ago.
  const points = Array.from({ length: 12_000 }, (_, i) => ({
    name: busy,
    value: 1,
    at: new Date(now - 241_000 + Math.floor(i / 40) * 800).toISOString(),
    labels: { host: `h${i % 40}` },
  }));
  for (let i = 0; i < points.length; i += 6000) {
    expect((await stack.api('POST', '/metrics', { token: ingest.token, body: { points: points.slice(i, i + 6000) } })).status).toBe(200);
  }
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: { points: [{ name: busy, value: 1000, at: new Date(now - 1000).toISOString(), labels: { host: 'h0' } }] },
  });
  const dry = async (body: Record<string, unknown>) => {
    const created = await stack.api('POST', '/rules', {
      token: manager.token,
      body: {
        name: 'dry',
        aggregation: 'max',
        window: '5m',
        comparison: 'above',
        threshold: 100,
        severity: 'P4',
        enabled: false,
        action: { type: 'notify_role', role: 'analyst' },
        ...body,
      },
    });
    expect(created.status).toBe(201);
    return (await stack.api('POST', `/rules/${created.body.id}/evaluate?dryRun=true`, { token: analyst.token })).body;
  };
  expect(await dry({ metric: busy })).toMatchObject({ holds: true, value: 1000, window: { points: 12_001 } });

  // Two counters rising 1/s, one from 1000 and one from 0: together 2/s (mixed into one series they made ~200/s).
  const counter = `requests_total_${randomUUID().slice(0, 8)}`;
  const start = now - 59_000;
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: {
      points: Array.from({ length: 59 }, (_, s) => [
        { name: counter, value: 1000 + s, at: new Date(start + s * 1000).toISOString(), labels: { host: 'a' } },
        { name: counter, value: s, at: new Date(start + s * 1000).toISOString(), labels: { host: 'b' } },
      ]).flat(),
    },
  });
  const rate = await dry({ metric: counter, aggregation: 'rate', window: '5m', threshold: 1 });
  expect(rate.holds).toBe(false);
  expect(rate.value).toBeCloseTo((2 * 58) / 300, 6); // 58 increases of 1 per counter, over the 5 minutes
});

test('a pushed point wakes the monitors of its metric: a rule that ticks hourly fires within seconds', async () => {
  const manager = await stack.operator(['ops_manager'], 'Hal');
  const queue = `queue_depth_${randomUUID().slice(0, 8)}`;
  const created = await stack.api('POST', '/rules', {
    token: manager.token,
    body: {
      name: 'Queue backed up',
      metric: queue,
      aggregation: 'last',
      window: '5m',
      comparison: 'above',
      threshold: 500,
      severity: 'P3',
      every: '1h',
      action: { type: 'notify_role', role: 'ops_manager' },
    },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await eventually(
    async () => (await stack.api('GET', `/rules/${id}`, { token: analyst.token })).body.monitor.lastEvaluatedAt !== null,
    'the first evaluation',
  );
  // A harmless point wakes the monitor; the breaching one right after it falls in the same second: its wake-up is sent
  // when the second is up, not dropped (the rule's own tick is an hour away).
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: { points: [{ name: queue, value: 100, at: new Date(Date.now() - 1000).toISOString() }] },
  });
  await new Promise((r) => setTimeout(r, 300));
  const pushedAt = Date.now();
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: { points: [{ name: queue, value: 900, at: new Date().toISOString() }] },
  });
  const mail = await stack.mail.waitFor((m) => m.subject === '[opsflow] P3 rule fired: Queue backed up', 10_000);
  expect(mail.to).toContain(manager.email);
  expect(Date.now() - pushedAt).toBeLessThan(10_000);
  await stack.api('PATCH', `/rules/${id}`, { token: manager.token, body: { enabled: false } });
});
