// Customers, events and the lifecycle end to end over HTTP: dev server, PostgreSQL, SMTP sink.
import { randomUUID } from 'node:crypto';
import { customerLifecycleId } from '../../domain/ids.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';
import { recordHistory } from '../support/histories.ts';
import { delivered } from '../support/events.ts';
import { EVENT_SHARDS, eventShardOf } from '../../domain/event-shards.ts';
import { eventDispatcherId } from '../../workflows/event-dispatch.messages.ts';

let stack: Stack;
let ingest: TestOperator;
let manager: TestOperator;
let analyst: TestOperator;
const run = randomUUID().slice(0, 8);
const ext = (name: string) => `${name}-${run}`;

const countRows = async (table: string) =>
  (await stack.db.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`))[0]!.n;

const now = () => new Date().toISOString();
const event = (externalId: string, type: string, key: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  type,
  at: now(),
  idempotencyKey: key,
  ...extra,
});
const lifecycle = (id: string) => stack.api('GET', `/customers/${id}/lifecycle`, { token: analyst.token });

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'backend');
  manager = await stack.operator(['ops_manager'], 'Mia');
  analyst = await stack.operator(['analyst'], 'Ana');
  // Nurture in seconds, no quiet hours (the time of day of a test run must not matter).
  const policy = await stack.api('PUT', '/policies/lifecycle', {
    token: manager.token,
    body: {
      activationWindow: '7d',
      retentionPeriod: '30d',
      inactivity: '14d',
      winBackWait: '7d',
      couponValidity: '30d',
      nurture: {
        goal: 'monetized',
        staleAfter: '1d',
        steps: [
          { name: 'welcome', after: '0s', template: 'welcome', category: 'transactional' },
          { name: 'tips', after: '2s', template: 'tips', category: 'marketing' },
        ],
      },
    },
  });
  expect(policy.status).toBe(200);
  expect(policy.body.version).toBe(1);
  const messaging = await stack.api('PUT', '/policies/messaging', {
    token: manager.token,
    body: {
      frequencyCap: { max: 3, window: '7d' },
      quietHours: null,
    },
  });
  expect(messaging.status).toBe(200);
});

afterAll(async () => {
  await stack?.close();
});

test('batch import upserts by externalId; a bad item stores nothing and is named', async () => {
  const customers = ['ada', 'bob', 'cyd'].map((n) => ({
    externalId: ext(n),
    email: `${n}-${run}@example.com`,
    name: n.toUpperCase(),
    timezone: 'Europe/Berlin',
    tags: ['beta'],
    marketingConsent: true,
  }));
  const first = await stack.api('POST', '/customers', { token: ingest.token, body: { customers } });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ created: 3, updated: 0 });
  expect(first.body.items.map((i: { externalId: string }) => i.externalId)).toEqual(customers.map((c) => c.externalId));

  // One customer alone, as an update: omitted fields keep their values.
  const single = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: { externalId: ext('bob'), email: `bob2-${run}@example.com` },
  });
  expect(single.status).toBe(200);
  expect(single.body).toMatchObject({ created: 0, updated: 1 });
  const bob = await stack.api('GET', `/customers/${single.body.items[0].id}`, { token: analyst.token });
  expect(bob.body).toMatchObject({
    email: `bob2-${run}@example.com`,
    name: 'BOB',
    timezone: 'Europe/Berlin',
    tags: ['beta'],
    marketingConsent: true,
    stage: null,
  });

  const before = await countRows('customers');
  const bad = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: [
        { externalId: ext('dan'), email: `dan-${run}@example.com` },
        { externalId: ext('eve'), email: 'not-an-email' },
        { externalId: ext('fay'), email: `fay-${run}@example.com`, timezone: 'Mars/Olympus' },
      ],
    },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['customers[1].email', 'customers[2].timezone']);
  const twice = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: [
        { externalId: ext('dan'), email: `dan-${run}@example.com` },
        { externalId: ext('dan'), email: `dan-${run}@example.com` },
      ],
    },
  });
  expect(twice.status).toBe(422);
  expect(twice.body.error.fields).toEqual([{ field: 'customers[1].externalId', message: expect.stringContaining('customers[0]') }]);
  const tooMany = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: Array.from({ length: 10_001 }, (_, i) => ({ externalId: `x-${i}`, email: `x${i}@example.com` })),
    },
  });
  expect(tooMany.status).toBe(400);
  expect(tooMany.body.error.fields[0].field).toBe('customers');
  expect(await countRows('customers')).toBe(before);

  // The backend's ingest role writes but does not read customer data.
  expect((await stack.api('GET', '/customers', { token: ingest.token })).status).toBe(403);
  const list = await stack.api('GET', '/customers?tag=beta&limit=2', { token: analyst.token });
  expect(list.status).toBe(200);
  expect(list.body.total).toBe(3);
  expect(list.body.items).toHaveLength(2);
});

test('events reach the lifecycle; repeated keys are ignored; an unknown customer or type stores nothing', async () => {
  const ada = (await stack.api('GET', `/customers?email=ada-${run}@example.com`, { token: analyst.token })).body.items[0];
  const sent = await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: [
        event(ext('ada'), 'signup', `${run}-ada-signup`),
        { customerId: ada.id, type: 'login', at: now(), idempotencyKey: `${run}-ada-login-1` },
      ],
    },
  });
  expect(sent.status).toBe(202);
  expect(sent.body).toEqual({ accepted: 2, duplicates: 0, customers: 1, cursor: expect.stringMatching(/^\d+$/) });
  // The batch's audit event, written by the statement that stored it.
  const recorded = await stack.api('GET', `/audit?action=events.recorded&actorId=${ingest.id}`);
  expect(recorded.body.items).toEqual([
    expect.objectContaining({
      actorType: 'operator',
      entityType: 'customer_event',
      entityId: 'batch',
      details: { accepted: 2, received: 2, cursor: sent.body.cursor },
    }),
  ]);

  const again = await stack.api('POST', '/events', {
    token: ingest.token,
    body: { events: [event(ext('ada'), 'signup', `${run}-ada-signup`)] },
  });
  expect(again.status).toBe(202);
  expect(again.body).toMatchObject({ accepted: 0, duplicates: 1, customers: 1 });
  // A repeated key's cursor is its first delivery's: waiting for it waits for the stored event.
  expect(BigInt(again.body.cursor)).toBeLessThanOrEqual(BigInt(sent.body.cursor));
  const status = await delivered(stack.api, sent.body.cursor, { token: ingest.token });
  expect(status).toMatchObject({ cursor: { cursor: sent.body.cursor, delivered: true } });
  expect(status.shards).toHaveLength(EVENT_SHARDS);
  expect((await stack.api('GET', '/events/ingest-status?cursor=12ab', { token: analyst.token })).body.error.fields[0].field).toBe(
    'query.cursor',
  );
  expect((await stack.api('GET', '/events/ingest-status', { token: (await stack.operator(['reviewer'])).token })).status).toBe(403);

  const eventsBefore = await countRows('customer_events');
  const unknown = await stack.api('POST', '/events', {
    token: ingest.token,
    body: { events: [event(ext('bob'), 'signup', `${run}-bob-signup`), event('nobody', 'login', `${run}-nobody`)] },
  });
  expect(unknown.status).toBe(422);
  expect(unknown.body.error.fields).toEqual([{ field: 'events[1].externalId', message: 'no customer with externalId "nobody"' }]);
  const wrongType = await stack.api('POST', '/events', {
    token: ingest.token,
    body: { events: [event(ext('bob'), 'pageview', `${run}-bob-pv`)] },
  });
  expect(wrongType.status).toBe(400);
  expect(wrongType.body.error.fields[0].field).toBe('events[0].type');
  const both = await stack.api('POST', '/events', {
    token: ingest.token,
    body: { events: [{ ...event(ext('bob'), 'login', 'k'), customerId: ada.id }] },
  });
  expect(both.status).toBe(400);
  expect(both.body.error.fields[0]).toEqual({ field: 'events[0].customerId', message: 'give exactly one of customerId or externalId' });
  const ahead = await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: [
        event(ext('bob'), 'login', `${run}-bob-now`),
        event(ext('bob'), 'login', `${run}-bob-ahead`, { at: new Date(Date.now() + 3_600_000).toISOString() }),
      ],
    },
  });
  expect(ahead.status).toBe(422);
  expect(ahead.body.error.fields).toEqual([{ field: 'events[1].at', message: 'is in the future' }]);
  // A string PostgreSQL cannot store (a NUL, a lone surrogate) is named by its place in the batch.
  for (const bad of ['a\u0000b', '\ud800x']) {
    const unstorable = await stack.api('POST', '/events', {
      token: ingest.token,
      body: { events: [event(ext('bob'), 'login', `${run}-bob-ok`), event(ext('bob'), 'login', bad)] },
    });
    expect(unstorable.status).toBe(400);
    expect(unstorable.body.error.fields).toEqual([
      { field: 'events[1].idempotencyKey', message: 'must not contain NUL characters or unpaired surrogates' },
    ]);
  }
  const overLimit = await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: Array.from({ length: 10_001 }, (_, i) => event(ext('bob'), 'login', `${run}-many-${i}`)),
    },
  });
  expect(overLimit.status).toBe(400);
  expect(overLimit.body.error.fields[0]).toMatchObject({ field: 'events', message: expect.stringMatching(/10000/) });
  expect(await countRows('customer_events')).toBe(eventsBefore);

  const view = await eventually(async () => {
    const res = await lifecycle(ada.id);
    return res.status === 200 && res.body.messages.some((m: { step: string }) => m.step === 'nurture:tips') ? res.body : undefined;
  }, 'the tips step');
  expect(view).toMatchObject({ stage: 'acquired', counters: { events: 2, duplicates: 0 }, policyVersion: 1 });
  expect(view.history).toEqual([expect.objectContaining({ from: null, to: 'acquired', cause: 'event:signup' })]);
  expect(view.nextStep).toMatchObject({ kind: 'inactivity' });
  const welcome = await stack.mail.waitFor((m) => m.to.includes(`ada-${run}@example.com`) && m.subject === 'Welcome to opsflow');
  expect(welcome.headers['list-unsubscribe']).toBeUndefined(); // transactional
  const tips = await stack.mail.waitFor((m) => m.to.includes(`ada-${run}@example.com`) && m.subject.startsWith('Three tips'));
  expect(tips.headers['list-unsubscribe']).toMatch(/^<http:\/\/opsflow\.test\/unsubscribe\/[0-9a-f]{64}>$/);
  expect(tips.text).toContain('Hi ADA,');

  // The read model and its stage history.
  const row = await stack.api('GET', `/customers/${ada.id}`, { token: analyst.token });
  expect(row.body).toMatchObject({ stage: 'acquired', lastActiveAt: expect.any(String) });
  const changes = await stack.db.orm.em
    .getConnection()
    .execute('select to_stage, cause from customer_stage_changes where customer_id = ?', [ada.id]);
  expect(changes).toEqual([{ to_stage: 'acquired', cause: 'event:signup' }]);
  await recordHistory(stack.env.client, customerLifecycleId(ada.id), 'lifecycle-http-nurture');
});

test('unsubscribed customers get no marketing mail: by staff, and by the link in the email', async () => {
  const find = async (n: string) =>
    (await stack.api('GET', `/customers?email=${n}-${run}@example.com`, { token: analyst.token })).body.items[0];
  const bob = await find('bob2');
  const unsub = await stack.api('POST', `/customers/${bob.id}/unsubscribe`, { token: manager.token, body: {} });
  expect(unsub.status).toBe(200);
  expect(unsub.body.unsubscribedAt).toEqual(expect.any(String));
  await stack.api('POST', '/events', { token: ingest.token, body: { events: [event(ext('bob'), 'signup', `${run}-bob-signup`)] } });
  const view = await eventually(async () => {
    const res = await lifecycle(bob.id);
    return res.body?.messages?.some((m: { step: string }) => m.step === 'nurture:tips') ? res.body : undefined;
  }, "bob's tips step");
  expect(view.messages).toEqual([
    expect.objectContaining({ step: 'nurture:welcome', status: 'sent' }),
    expect.objectContaining({ step: 'nurture:tips', status: 'skipped', reason: 'unsubscribed' }),
  ]);
  await stack.mail.waitFor((m) => m.to.includes(`bob2-${run}@example.com`) && m.subject === 'Welcome to opsflow');
  // The welcome, and the confirmation of the unsubscription (transactional both); no tips.
  await stack.mail.waitFor(
    (m) => m.to.includes(`bob2-${run}@example.com`) && m.subject === 'You are unsubscribed from opsflow marketing emails',
  );
  expect(
    stack.mail
      .messages()
      .filter((m) => m.to.includes(`bob2-${run}@example.com`))
      .map((m) => m.subject)
      .sort(),
  ).toEqual(['Welcome to opsflow', 'You are unsubscribed from opsflow marketing emails']);

  // Ada follows the link in her tips email: a page first (scanners must not unsubscribe), then the button.
  const ada = await find('ada');
  const tips = await stack.mail.waitFor((m) => m.to.includes(`ada-${run}@example.com`) && m.subject.startsWith('Three tips'));
  const link = /<http:\/\/opsflow\.test(\/unsubscribe\/[0-9a-f]{64})>/.exec(tips.headers['list-unsubscribe']!)![1]!;
  const pageRes = await fetch(`${stack.baseUrl}${link}`);
  expect(pageRes.status).toBe(200);
  expect(await pageRes.text()).toContain('<form method="post">');
  expect((await stack.api('GET', `/customers/${ada.id}`, { token: analyst.token })).body.unsubscribedAt).toBeNull();
  const oneClick = await fetch(`${stack.baseUrl}${link}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(oneClick.status).toBe(200);
  expect((await stack.api('GET', `/customers/${ada.id}`, { token: analyst.token })).body.unsubscribedAt).toEqual(expect.any(String));
  const audit = await stack.api('GET', `/audit?entityType=customer&entityId=${ada.id}&action=customer.unsubscribed`);
  expect(audit.body.items).toEqual([expect.objectContaining({ actorType: 'customer' })]);
  expect((await fetch(`${stack.baseUrl}/unsubscribe/${'0'.repeat(64)}`, { method: 'POST' })).status).toBe(404);
});

test('segments after an on-demand RFM run show on the customers', async () => {
  const find = async (n: string) =>
    (await stack.api('GET', `/customers?email=${n}-${run}@example.com`, { token: analyst.token })).body.items[0];
  const cyd = await find('cyd');
  await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: [
        event(ext('cyd'), 'signup', `${run}-cyd-signup`),
        event(ext('cyd'), 'purchase', `${run}-cyd-p1`, { amount: 120 }),
        event(ext('cyd'), 'purchase', `${run}-cyd-p2`, { amount: 80 }),
        event(ext('cyd'), 'key_action', `${run}-cyd-k`),
      ],
    },
  });
  const started = await stack.api('POST', '/segments/rfm-runs', { token: manager.token, body: {} });
  expect(started.status).toBe(202);
  await eventually(async () => {
    const res = await stack.api('GET', `/segments/rfm-runs/${encodeURIComponent(started.body.runId)}`, { token: analyst.token });
    return res.body.status === 'finished';
  }, 'the RFM run');
  const scored = await stack.api('GET', `/customers/${cyd.id}`, { token: analyst.token });
  expect(scored.body.rfm).toEqual({ recency: expect.any(Number), frequency: expect.any(Number), monetary: 5 });
  expect(scored.body.segment).toEqual(expect.any(String));
  const inSegment = await stack.api('GET', `/customers?segment=${scored.body.segment}`, { token: analyst.token });
  expect(inSegment.body.items.map((c: { id: string }) => c.id)).toContain(cyd.id);
  const lc = await eventually(async () => {
    const res = await lifecycle(cyd.id);
    return res.body?.stage === 'monetized' ? res.body : undefined;
  }, 'cyd monetized');
  // The purchases came before the key action: the funnel jumped to monetized, activation is a milestone only.
  expect(lc.history.map((h: { to: string }) => h.to)).toEqual(['acquired', 'monetized']);
  expect(Object.keys(lc.milestones).sort()).toEqual(['acquired', 'activated', 'monetized']);
  expect(lc.nurture.status).toBe('goal_reached');
});

test('the lifecycle of a customer without events is a clear 404; policies refuse bad values by field', async () => {
  const dan = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: { externalId: ext('dan'), email: `dan-${run}@example.com` },
  });
  const res = await lifecycle(dan.body.items[0].id);
  expect(res.status).toBe(404);
  expect(res.body.error.message).toMatch(/first event/);
  expect((await lifecycle(randomUUID())).status).toBe(404);

  const bad = await stack.api('PUT', '/policies/messaging', {
    token: manager.token,
    body: {
      frequencyCap: { max: 0, window: '7d' },
      quietHours: { start: '25:00', end: '09:00' },
    },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['frequencyCap.max', 'quietHours.start']);
  const analystPut = await stack.api('PUT', '/policies/messaging', {
    token: analyst.token,
    body: { frequencyCap: null, quietHours: null },
  });
  expect(analystPut.status).toBe(403);
  expect((await stack.api('GET', '/policies/messaging', { token: analyst.token })).body).toMatchObject({ version: 1, quietHours: null });
});

test('the redelivery sweep delivers events a failed call left stored but undelivered', async () => {
  // No dispatcher runs (as if each had been terminated): the sweep alone delivers, then starts them again. The API
  // wakes a shard at most once per 500 ms and defers the rest (a failed wake retries after 2 s): after 2.5 s no wake
  // from the tests before is pending (one firing after the terminations started a dispatcher, which delivered the
  // event before the sweep: CI saw delivered 0).
  await new Promise((r) => setTimeout(r, 2500));
  for (let shard = 0; shard < EVENT_SHARDS; shard++) {
    await stack.env.client.workflow
      .getHandle(eventDispatcherId(stack.taskQueue, shard))
      .terminate('the sweep test')
      .catch(() => undefined);
  }
  const created = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: { externalId: ext('gus'), email: `gus-${run}@example.com` },
  });
  const gus = created.body.items[0].id as string;
  // As if the API had died between storing the event and signalling the workflow.
  await stack.db.orm.em
    .getConnection()
    .execute(
      `insert into customer_events (customer_id, type, at, idempotency_key, received_at) values (?, 'signup', now(), ?, now() - interval '2 minutes')`,
      [gus, `${run}-gus-signup`],
    );
  expect((await lifecycle(gus)).status).toBe(404);
  const result = await stack.env.client.workflow.execute('redeliverEvents', {
    taskQueue: stack.taskQueue,
    workflowId: `sweep-${run}`,
    args: [],
  });
  expect(result).toMatchObject({ delivered: 1, customers: 1 });
  const view = await eventually(async () => {
    const res = await lifecycle(gus);
    return res.status === 200 && res.body.counters.events === 1 ? res.body : undefined;
  }, "gus's lifecycle");
  expect(view.stage).toBe('acquired');
  const [row] = await stack.db.orm.em
    .getConnection()
    .execute<{ delivered_at: Date | null }[]>('select delivered_at from customer_events where idempotency_key = ?', [`${run}-gus-signup`]);
  expect(row!.delivered_at).not.toBeNull();
  expect((await stack.env.client.workflow.getHandle(eventDispatcherId(stack.taskQueue, eventShardOf(gus))).describe()).status.name).toBe(
    'RUNNING',
  );
});
