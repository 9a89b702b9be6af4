// Campaigns end to end over HTTP: the dev server, PostgreSQL, the SMTP sink.
import { randomUUID } from 'node:crypto';
import { reportOut, specOut } from '../../api/routes/campaigns.ts';
import type { CaughtMessage } from '../../start/mail-catcher.ts';
import { recordHistory } from '../support/histories.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let ingest: TestOperator;
let owner: TestOperator;
let approver: TestOperator;
let admin2: TestOperator;
let analyst: TestOperator;
const run = randomUUID().slice(0, 8);

const hour = 3_600_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const sql = <T>(query: string, params: unknown[] = []) =>
  stack.db.orm.em.getConnection().execute<T[]>(query, params) as Promise<[T, ...T[]]>;

interface Person {
  id: string;
  externalId: string;
  email: string;
}

/** Imports `n` customers tagged `tag` (consenting unless listed in `noConsent`). */
async function customers(tag: string, n: number, opts: { noConsent?: number[]; names?: boolean } = {}): Promise<Person[]> {
  const list = Array.from({ length: n }, (_, i) => ({
    externalId: `${tag}-${i}`,
    email: `${tag}-${i}@example.com`,
    tags: [tag],
    timezone: 'UTC',
    marketingConsent: !(opts.noConsent ?? []).includes(i),
    ...(opts.names ? { name: `Name${i} Last` } : {}),
  }));
  const res = await stack.api('POST', '/customers', { token: ingest.token, body: { customers: list } });
  expect(res.status).toBe(200);
  return res.body.items.map((c: Person, i: number) => ({ id: c.id, externalId: list[i]!.externalId, email: list[i]!.email }));
}

const spec = (tag: string, extra: Record<string, unknown> = {}) => ({
  name: `Spring sale ${tag}`,
  budget: { total: 100, currency: 'USD', costPerSend: 0.5 },
  audience: { filters: { tags: [tag] } },
  message: { subject: 'Hello {{firstName|friend}}', body: 'Spring sale for {{email}}.\n\nSee you soon.' },
  schedule: { startAt: iso(-60_000), endAt: iso(2 * hour) },
  sendRate: 200,
  ...extra,
});

async function create(body: Record<string, unknown>, token = owner.token): Promise<string> {
  const res = await stack.api('POST', '/campaigns', { token, body });
  expect(res).toMatchObject({ status: 202 });
  return res.body.id;
}

const get = async (id: string) => (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body;
const stageIs = (id: string, stage: string) => eventually(async () => (await get(id)).stage === stage, `campaign ${stage}`, 30_000);

async function openTask(id: string, role: string) {
  return eventually(async () => {
    const res = await stack.api('GET', `/tasks?entityType=campaign&entityId=${id}&status=open&role=${role}`);
    return res.body.items[0] as { id: string; payload: Record<string, unknown> } | undefined;
  }, `an open ${role} task`);
}

async function decide(id: string, role: string, who: TestOperator, decision = 'approve', comment?: string) {
  const task = await openTask(id, role);
  return stack.api('POST', `/tasks/${task.id}/complete`, { token: who.token, body: { decision, ...(comment ? { comment } : {}) } });
}

const mailTo = (people: Person[]) => {
  const wanted = new Set(people.map((p) => p.email));
  // The campaign's emails (an unsubscribed recipient's confirmation of it is not one).
  return stack.mail
    .messages()
    .filter((m) => m.to.some((t) => wanted.has(t)) && !m.headers['x-opsflow-idempotency-key']?.startsWith('unsubscribe-confirmation:'));
};

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'backend');
  owner = await stack.operator(['ops_manager'], 'Olga');
  approver = await stack.operator(['ops_manager'], 'Pete');
  admin2 = await stack.operator(['admin'], 'Ada');
  analyst = await stack.operator(['analyst'], 'Ana');
  // No quiet hours and no cap unless a test sets them: the time of day of a run must not matter.
  const messaging = await stack.api('PUT', '/policies/messaging', { token: owner.token, body: { frequencyCap: null, quietHours: null } });
  expect(messaging.status).toBe(200);
});

afterAll(async () => {
  await stack?.close();
});

test('bad input answers 4xx naming the field and starts nothing', async () => {
  const tag = `bad-${run}`;
  // Each with the code a client says in its own words (the console in Chinese).
  const cases: [Record<string, unknown>, number, string, string][] = [
    [spec(tag, { audience: { segment: 'whales' } }), 400, 'audience.segment', 'invalid_value'],
    [spec(tag, { schedule: { startAt: iso(hour), endAt: iso(-hour) } }), 400, 'schedule.endAt', 'not_after'],
    [spec(tag, { budget: { total: -5, currency: 'USD', costPerSend: 0.1 } }), 400, 'budget.total', 'too_small'],
    [spec(tag, { message: { subject: 'Hi {{nickname}}', body: 'x' } }), 400, 'message.subject', 'unknown_template_field'],
    [spec(tag, { schedule: { startAt: iso(-2 * hour), endAt: iso(-hour) } }), 422, 'schedule.endAt', 'in_past'],
    [spec(tag, { audience: {} }), 400, 'audience', 'no_audience'],
    [spec(tag, { budget: { total: 1, currency: 'USD', costPerSend: 2 } }), 422, 'budget.costPerSend', 'over_budget'],
    [
      {
        ...spec(tag),
        abTest: { variants: [{ name: 'a', subject: 's', body: 'b' }], testShare: 0.2, testDuration: '1h', winningMetric: 'clicks' },
      },
      400,
      'message',
      'message_or_ab',
    ],
  ];
  for (const [body, status, field, code] of cases) {
    const res = await stack.api('POST', '/campaigns', { token: owner.token, body });
    expect({ field, status: res.status }).toEqual({ field, status });
    expect(res.body.error.fields.map((f: { field: string; code?: string }) => [f.field, f.code])).toContainEqual([field, code]);
  }
  const [{ n }] = await sql<{ n: number }>('select count(*)::int as n from campaigns');
  expect(n).toBe(0);
  expect((await stack.api('POST', '/campaigns', { token: analyst.token, body: spec(tag) })).status).toBe(403);
});

test('approval: no self-approval, edits clear approvals, an admin approves above the threshold', async () => {
  const tag = `appr-${run}`;
  await customers(tag, 2);
  // 20,000 USD is above the default 10,000: ops_manager and admin.
  const id = await create({ ...spec(tag, { budget: { total: 20_000, currency: 'USD', costPerSend: 1 } }), draft: true });
  expect((await get(id)).stage).toBe('draft');
  expect((await stack.api('POST', `/campaigns/${id}/submit`, { token: approver.token, body: {} })).status).toBe(403);
  const submitted = await stack.api('POST', `/campaigns/${id}/submit`, { token: owner.token, body: {} });
  expect(submitted).toMatchObject({ status: 200, body: { stage: 'pending_approval' } });

  const self = await decide(id, 'ops_manager', owner);
  expect(self.status).toBe(403);
  expect(self.body.error.message).toMatch(/own campaign/);
  expect((await decide(id, 'ops_manager', approver)).status).toBe(200);
  const live = await get(id);
  expect(live.requiredRoles).toEqual(['ops_manager', 'admin']);
  expect(live.approvals).toEqual([expect.objectContaining({ role: 'ops_manager', operatorId: approver.id })]);

  // An edit while pending clears the approval given, and a new round opens.
  const edited = await stack.api('PATCH', `/campaigns/${id}`, {
    token: owner.token,
    body: { budget: { total: 5_000, currency: 'USD', costPerSend: 1 } },
  });
  expect(edited.status).toBe(200);
  expect(edited.body.approvals).toEqual([]);
  await eventually(async () => (await get(id)).requiredRoles.length === 1, 'a new round with one approval');
  expect((await get(id)).approvals).toEqual([]);
  const stale = await stack.api('PATCH', `/campaigns/${id}`, { token: owner.token, body: { name: 'Renamed', revision: 1 } });
  expect(stale.status).toBe(409);
  expect((await stack.api('PATCH', `/campaigns/${id}`, { token: owner.token, body: {} })).status).toBe(400);
  const badEdit = await stack.api('PATCH', `/campaigns/${id}`, {
    token: owner.token,
    body: { message: { subject: '{{bogus}}', body: 'x' } },
  });
  expect(badEdit.status).toBe(400);
  expect(badEdit.body.error.fields[0].field).toBe('message.subject');

  // Back above the threshold: both approve, the admin second; the same person may not give both.
  await stack.api('PATCH', `/campaigns/${id}`, {
    token: owner.token,
    body: { budget: { total: 15_000, currency: 'USD', costPerSend: 1 } },
  });
  await eventually(async () => (await get(id)).requiredRoles.length === 2, 'a round with two approvals');
  const both = await stack.operator(['ops_manager', 'admin'], 'Bo');
  expect((await decide(id, 'ops_manager', both)).status).toBe(200);
  const twice = await decide(id, 'admin', both);
  expect(twice.status).toBe(403);
  expect((await decide(id, 'admin', admin2)).status).toBe(200);
  await stageIs(id, 'running');
  await stageIs(id, 'running');
  const end = await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} });
  expect(end.status).toBe(200);
  await stageIs(id, 'reported');
  const illegal = await stack.api('POST', `/campaigns/${id}/pause`, { token: owner.token, body: {} });
  expect(illegal.status).toBe(409);
});

test('maker-checker: whoever edited the revision under approval does not approve it, nor does the creator; a third operator does', async () => {
  const tag = `maker-${run}`;
  await customers(tag, 1);
  const id = await create(spec(tag, { schedule: { startAt: iso(hour), endAt: iso(2 * hour) } }));
  // Only the owner or an admin changes a campaign; an admin who does becomes the maker of that revision.
  expect((await stack.api('PATCH', `/campaigns/${id}`, { token: approver.token, body: { name: 'Not mine' } })).status).toBe(403);
  const editor = await stack.operator(['admin', 'ops_manager'], 'Ed');
  const edited = await stack.api('PATCH', `/campaigns/${id}`, {
    token: editor.token,
    body: { budget: { total: 90, currency: 'USD', costPerSend: 0.5 } },
  });
  expect(edited).toMatchObject({ status: 200, body: { revision: 2, edits: [{ version: 2, operatorId: editor.id }] } });
  const task = await eventually(async () => {
    const res = await stack.api('GET', `/tasks?entityType=campaign&entityId=${id}&status=open&role=ops_manager`);
    return res.body.items.find((t: { payload: { revision: number } }) => t.payload.revision === 2) as { id: string } | undefined;
  }, 'the task of revision 2');
  const complete = (who: TestOperator) =>
    stack.api('POST', `/tasks/${task.id}/complete`, { token: who.token, body: { decision: 'approve' } });
  const byEditor = await complete(editor);
  expect(byEditor.status).toBe(403);
  expect(byEditor.body.error.message).toBe('you edited revision 2 of this campaign; someone else must approve it');
  expect((await stack.api('POST', `/tasks/${task.id}/claim`, { token: editor.token })).status).toBe(403);
  const byCreator = await complete(owner);
  expect(byCreator.status).toBe(403);
  expect(byCreator.body.error.message).toMatch(/own campaign/);
  expect((await complete(approver)).status).toBe(200);
  await stageIs(id, 'scheduled');
  expect((await stack.api('POST', `/campaigns/${id}/cancel`, { token: approver.token, body: {} })).status).toBe(403);
  expect((await stack.api('POST', `/campaigns/${id}/cancel`, { token: owner.token, body: {} })).status).toBe(200);
  await stack.env.client.workflow.getHandle(`campaign:${id}`).result();
  await recordHistory(stack.env.client, `campaign:${id}`, 'campaign-edited-by-admin-cancelled');
});

test('cancel before launch sends nothing', async () => {
  const tag = `cancel-${run}`;
  const people = await customers(tag, 3);
  const id = await create(spec(tag, { schedule: { startAt: iso(hour), endAt: iso(2 * hour) } }));
  await decide(id, 'ops_manager', approver);
  await stageIs(id, 'scheduled');
  const moved = await stack.api('PATCH', `/campaigns/${id}`, {
    token: owner.token,
    body: { schedule: { startAt: iso(30 * 60_000), endAt: iso(3 * hour) } },
  });
  expect(moved.status).toBe(200);
  const changeMore = await stack.api('PATCH', `/campaigns/${id}`, { token: owner.token, body: { name: 'Renamed' } });
  expect(changeMore.status).toBe(409);
  const cancelled = await stack.api('POST', `/campaigns/${id}/cancel`, { token: owner.token, body: { reason: 'plans changed' } });
  expect(cancelled).toMatchObject({ status: 200, body: { stage: 'cancelled' } });
  await new Promise((r) => setTimeout(r, 500));
  expect(mailTo(people)).toEqual([]);
  const [{ n }] = await sql<{ n: number }>('select count(*)::int as n from campaign_recipients where campaign_id = ?', [id]);
  expect(n).toBe(0);
  expect((await stack.api('GET', `/campaigns/${id}/report`, { token: analyst.token })).status).toBe(404);
  expect((await stack.api('POST', `/campaigns/${id}/resume`, { token: owner.token, body: {} })).status).toBe(409);
});

test('sends once to each recipient, pause stops at once, resume continues, the retrospective adds up', async () => {
  const tag = `run-${run}`;
  const people = await customers(tag, 40, { noConsent: [3], names: true });
  // One customer unsubscribed before the launch is skipped and counted.
  await stack.api('POST', `/customers/${people[5]!.id}/unsubscribe`, { token: owner.token, body: {} });
  const id = await create(
    spec(tag, {
      sendRate: 10,
      budget: { total: 100, currency: 'USD', costPerSend: 0.5 },
      goals: [
        { metric: 'gmv', target: 50, deadline: iso(hour) },
        { metric: 'conversion_rate', target: 0.05, deadline: iso(hour) },
        { metric: 'new_users', target: 5, deadline: iso(hour) },
      ],
    }),
  );
  await decide(id, 'ops_manager', approver);
  await stageIs(id, 'running');
  await eventually(async () => mailTo(people).length >= 8 && true, 'the first sends');
  const paused = await stack.api('POST', `/campaigns/${id}/pause`, { token: approver.token, body: { reason: 'typo spotted' } });
  expect(paused).toMatchObject({ status: 200, body: { stage: 'paused', pause: { reason: 'manual', detail: 'typo spotted' } } });
  const atPause = mailTo(people).length;
  await new Promise((r) => setTimeout(r, 1500));
  expect(mailTo(people).length).toBe(atPause);
  expect(atPause).toBeLessThan(38);

  const resumed = await stack.api('POST', `/campaigns/${id}/resume`, { token: owner.token, body: {} });
  expect(resumed).toMatchObject({ status: 200, body: { stage: 'running' } });
  await eventually(async () => (await get(id)).counts.sent === 38 && true, 'every consenting, subscribed recipient', 30_000);

  // Exactly one email each, to the 38 who may receive marketing, with their fields filled in.
  const mails = mailTo(people);
  expect(mails).toHaveLength(38);
  expect(new Set(mails.map((m) => m.to[0])).size).toBe(38);
  const first = mails.find((m) => m.to[0] === people[0]!.email) as CaughtMessage;
  expect(first.subject).toBe('Hello Name0');
  expect(first.text).toContain(`Spring sale for ${people[0]!.email}.`);
  expect(first.headers['list-unsubscribe']).toMatch(/unsubscribe/);

  // Attributed events: 3 purchasers (one buys twice), 2 signups, 1 click; one event without the campaign id.
  const ev = (p: Person, type: string, key: string, extra: Record<string, unknown> = {}) => ({
    customerId: p.id,
    type,
    at: iso(-1000),
    idempotencyKey: `${tag}-${key}`,
    campaignId: id,
    ...extra,
  });
  const events = await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: [
        ev(people[0]!, 'purchase', 'p1', { amount: 30 }),
        ev(people[0]!, 'purchase', 'p2', { amount: 12.5 }),
        ev(people[1]!, 'purchase', 'p3', { amount: 20 }),
        ev(people[2]!, 'purchase', 'p4', { amount: 7.25 }),
        ev(people[6]!, 'signup', 's1'),
        ev(people[7]!, 'signup', 's2'),
        ev(people[8]!, 'click', 'c1'),
        { customerId: people[9]!.id, type: 'purchase', at: iso(-1000), amount: 999, idempotencyKey: `${tag}-other` },
      ],
    },
  });
  expect(events.status).toBe(202);

  const ended = await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: { reason: 'done' } });
  expect(ended.status).toBe(200);
  await stageIs(id, 'reported');
  const report = (await stack.api('GET', `/campaigns/${id}/report`, { token: analyst.token })).body;
  // Exactly what its OpenAPI schema says: nothing missing, nothing retyped, nothing undocumented (parse drops it).
  expect(reportOut.parse(report)).toEqual(report);
  const { spec: stored } = await get(id);
  expect(specOut.parse(stored)).toEqual(stored);
  // Hand-computed: 38 sent at 0.50 = 19.00 spend; GMV 30 + 12.5 + 20 + 7.25 = 69.75; 3 converters of 38 sent.
  expect(report.sends).toEqual({
    audience: 40,
    sent: 38,
    skipped: { capped: 0, quiet: 0, no_consent: 1, unsubscribed: 1 },
    deferredForQuietHours: 0,
    failed: 0,
    notSent: 0,
  });
  expect(report.attribution).toEqual({ conversions: 3, purchases: 4, gmv: 69.75, uv: 6, newUsers: 2, clicks: 1, conversionRate: 3 / 38 });
  expect(report.money).toEqual({ currency: 'USD', budget: 100, spend: 19, costPerSend: 0.5, gmv: 69.75, roi: (69.75 - 19) / 19 });
  expect(report.goals.map((g: { metric: string; actual: number; achieved: boolean }) => [g.metric, g.actual, g.achieved])).toEqual([
    ['gmv', 69.75, true],
    ['conversion_rate', 3 / 38, true],
    ['new_users', 2, false],
  ]);
  expect(report.timeline.map((t: { to: string; actorId: string | null }) => [t.to, t.actorId])).toEqual([
    ['pending_approval', owner.id],
    ['scheduled', approver.id],
    ['running', null],
    ['paused', approver.id],
    ['running', owner.id],
    ['ended', owner.id],
  ]);
  const reportMail = await stack.mail.waitFor((m) => m.subject.includes('Retrospective') && m.subject.includes(tag));
  expect(reportMail.to).toEqual([owner.email]);
  expect(reportMail.text).toContain('GMV 69.75 USD, spend 19 of 100');
  const list = await stack.api('GET', `/campaigns?stage=reported&q=${tag}`, { token: analyst.token });
  expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
  await recordHistory(stack.env.client, `campaign:${id}`, 'campaign-paused-resumed-reported');
});

test('the budget cap pauses the campaign before it is exceeded and emails the owner', async () => {
  const tag = `budget-${run}`;
  const people = await customers(tag, 12);
  const id = await create(spec(tag, { budget: { total: 2.5, currency: 'USD', costPerSend: 0.5 } }));
  await decide(id, 'ops_manager', approver);
  await stageIs(id, 'paused');
  const live = await get(id);
  expect(live.pause).toMatchObject({ reason: 'budget' });
  expect(live.counts).toMatchObject({ sent: 5, spend: 2.5, pending: 7 });
  expect(mailTo(people)).toHaveLength(5);
  const notice = await stack.mail.waitFor((m) => m.subject.includes('paused itself') && m.subject.includes(tag));
  expect(notice.to).toEqual([owner.email]);
  const resume = await stack.api('POST', `/campaigns/${id}/resume`, { token: owner.token, body: {} });
  expect(resume.status).toBe(409);
  expect(resume.body.error.message).toMatch(/budget is spent/);
  await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} });
  await stageIs(id, 'reported');
  const report = (await stack.api('GET', `/campaigns/${id}/report`, { token: analyst.token })).body;
  expect(report.sends).toMatchObject({ sent: 5, notSent: 7 });
  expect(report.money.spend).toBe(2.5);
  const ledger = await stack.api('GET', `/campaigns/${id}/recipients?status=sent&limit=3`, { token: analyst.token });
  expect(ledger.body.total).toBe(5);
  expect(ledger.body.items).toHaveLength(3);
  expect(ledger.body.items[0]).toMatchObject({ status: 'sent', cost: 0.5, phase: 'main', variant: 'default', sentAt: expect.any(String) });
  expect(people.map((p) => p.email)).toContain(ledger.body.items[0].email);
  expect((await stack.api('GET', `/campaigns/${id}/recipients?status=pending`, { token: analyst.token })).body.total).toBe(7);
});

test('a budget that pays exactly for the audience sends to everyone and does not pause', async () => {
  const tag = `exact-${run}`;
  const people = await customers(tag, 4);
  const id = await create(spec(tag, { budget: { total: 2, currency: 'USD', costPerSend: 0.5 } }));
  await decide(id, 'ops_manager', approver);
  await eventually(async () => (await get(id)).counts.sent === 4 && true, 'all four sent');
  await new Promise((r) => setTimeout(r, 500));
  const live = await get(id);
  expect(live).toMatchObject({ stage: 'running', pause: null, counts: { sent: 4, pending: 0, spend: 2 } });
  expect(mailTo(people)).toHaveLength(4);
  expect(stack.mail.messages().filter((m) => m.subject.includes('paused itself') && m.subject.includes(tag))).toEqual([]);
  await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} });
  await stageIs(id, 'reported');
});

test('a guard rule pauses the campaign when unsubscribes run high, and after a resume watches what comes after', async () => {
  const tag = `guard-${run}`;
  const people = await customers(tag, 40);
  const id = await create(spec(tag, { sendRate: 5, guards: [{ metric: 'unsubscribe_rate', above: 0.1, minSends: 5 }] }));
  await decide(id, 'ops_manager', approver);
  /** Recipients unsubscribe through the one-click link in their email. */
  const unsubscribe = async (mails: CaughtMessage[]) => {
    for (const mail of mails) {
      const token = /<([^>]+)>/.exec(mail.headers['list-unsubscribe']!)![1]!.split('/').at(-1)!;
      const res = await fetch(`${stack.baseUrl}/unsubscribe/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(res.status).toBeLessThan(300);
    }
  };
  await eventually(async () => mailTo(people).length >= 6 && true, 'six sends');
  await unsubscribe(mailTo(people).slice(0, 2));
  await stageIs(id, 'paused');
  const live = await get(id);
  expect(live.pause.reason).toBe('guard');
  expect(live.pause.detail).toMatch(/^unsubscribe_rate .* after \d+ sends$/);
  expect(live.counts.sent).toBeLessThan(40);
  await stack.mail.waitFor((m) => m.subject.includes('paused itself') && m.subject.includes(tag));

  // Resumed, the guard counts only what comes after it fired: the two earlier unsubscribes no longer trip it...
  const atResume = mailTo(people).length;
  expect((await stack.api('POST', `/campaigns/${id}/resume`, { token: owner.token, body: {} })).status).toBe(200);
  await eventually(async () => mailTo(people).length >= atResume + 6 && true, 'six more sends');
  expect((await get(id)).stage).toBe('running');
  // ...but two new ones among the sends since do.
  await unsubscribe(mailTo(people).slice(atResume, atResume + 2));
  await stageIs(id, 'paused');
  expect((await get(id)).pause.detail).toMatch(/since it last fired$/);
  expect((await stack.api('POST', `/campaigns/${id}/resume`, { token: owner.token, body: {} })).status).toBe(200);
  await eventually(async () => (await get(id)).counts.sent === 40 && true, 'the rest sent', 30_000);
  expect(new Set(mailTo(people).map((m) => m.to[0])).size).toBe(40);
  await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} });
  await stageIs(id, 'reported');
});

test('A/B test: the variant with more attributed conversions wins and goes to the rest of the audience', async () => {
  const tag = `ab-${run}`;
  const people = await customers(tag, 20);
  const id = await create({
    ...spec(tag),
    message: undefined,
    abTest: {
      variants: [
        { name: 'calm', subject: `Calm ${tag}`, body: 'A quiet offer.' },
        { name: 'bold', subject: `Bold ${tag}`, body: 'A LOUD offer!' },
      ],
      testShare: 0.5,
      testDuration: '10s',
      winningMetric: 'conversions',
    },
  });
  await decide(id, 'ops_manager', approver);
  const testing = await eventually(async () => {
    const c = await get(id);
    return c.counts.sent === 10 && c.abTest?.testEndsAt ? c : undefined;
  }, 'the test group sent');
  expect(testing.abTest.testRecipients).toBe(10);
  expect(mailTo(people)).toHaveLength(10);
  const ledger = await sql<{ customer_id: string; variant: string }>(
    `select customer_id, variant from campaign_recipients where campaign_id = ? and phase = 'test' order by seq`,
    [id],
  );
  const calm = ledger.filter((r) => r.variant === 'calm').map((r) => r.customer_id);
  const bold = ledger.filter((r) => r.variant === 'bold').map((r) => r.customer_id);
  expect([calm.length, bold.length]).toEqual([5, 5]);
  // bold: 2 of 5 bought (0.4); calm: 1 of 5 (0.2); a click does not count towards conversions.
  const buy = (customerId: string, key: string) => ({
    customerId,
    type: 'purchase',
    at: iso(-1000),
    amount: 10,
    idempotencyKey: `${tag}-${key}`,
    campaignId: id,
  });
  const events = await stack.api('POST', '/events', {
    token: ingest.token,
    body: {
      events: [
        buy(bold[0]!, 'b0'),
        buy(bold[1]!, 'b1'),
        buy(calm[0]!, 'c0'),
        { customerId: calm[1]!, type: 'click', at: iso(-1000), idempotencyKey: `${tag}-k1`, campaignId: id },
      ],
    },
  });
  expect(events.status).toBe(202);

  const decided = await eventually(
    async () => {
      const c = await get(id);
      return c.counts.sent === 20 && c.abTest.choice ? c : undefined;
    },
    'the winner sent to the rest',
    40_000,
  );
  expect(decided.abTest.choice).toEqual({ winner: 'bold', runnerUp: 'calm', margin: expect.closeTo(0.2, 10), lift: expect.closeTo(1, 10) });
  expect(decided.abTest.results).toEqual([
    { name: 'calm', sent: 5, conversions: 1, clicks: 1, rate: 0.2 },
    { name: 'bold', sent: 5, conversions: 2, clicks: 0, rate: 0.4 },
  ]);
  const subjects = mailTo(people).map((m) => m.subject);
  expect(subjects.filter((s) => s === `Bold ${tag}`)).toHaveLength(15);
  expect(subjects.filter((s) => s === `Calm ${tag}`)).toHaveLength(5);

  await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} });
  await stageIs(id, 'reported');
  const report = (await stack.api('GET', `/campaigns/${id}/report`, { token: analyst.token })).body;
  expect(reportOut.parse(report)).toEqual(report);
  // The campaign's spec as its OpenAPI schema says (the A/B test's splits filled in, the defaults given).
  expect(specOut.parse(decided.spec)).toEqual(decided.spec);
  expect(decided.spec.abTest.variants.map((v: { split: number }) => v.split)).toEqual([50, 50]);
  expect(report.abTest).toMatchObject({ winningMetric: 'conversions', winner: 'bold', runnerUp: 'calm' });
  expect(report.attribution).toMatchObject({ conversions: 3, gmv: 30, clicks: 1, conversionRate: 3 / 20 });
  await recordHistory(stack.env.client, `campaign:${id}`, 'campaign-ab-test');
});

test('quiet hours defer a send (not drop it) and the ledger says so', async () => {
  const tag = `quiet-${run}`;
  const [sleeper] = await customers(tag, 1);
  // Quiet hours around the current hour in UTC: the one recipient is deferred to their end.
  const hourNow = new Date().getUTCHours();
  const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  await stack.api('PUT', '/policies/messaging', {
    token: owner.token,
    body: { frequencyCap: null, quietHours: { start: hh(hourNow - 1), end: hh(hourNow + 1) } },
  });
  try {
    const id = await create(spec(tag));
    await decide(id, 'ops_manager', approver);
    const live = await eventually(async () => {
      const c = await get(id);
      return c.counts.deferred === 1 && c;
    }, 'the deferral');
    expect(live.counts).toMatchObject({ sent: 0, deferred: 1, everDeferred: 1 });
    const [row] = await sql<{ status: string; reason: string; deferred_until: Date }>(
      'select status, reason, deferred_until from campaign_recipients where campaign_id = ?',
      [id],
    );
    expect(row).toMatchObject({ status: 'deferred', reason: 'quiet_hours' });
    expect(new Date(row.deferred_until).getUTCHours()).toBe((hourNow + 1) % 24);
    expect(mailTo([sleeper!])).toEqual([]);
    await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} });
    await stageIs(id, 'reported');
    const report = (await stack.api('GET', `/campaigns/${id}/report`, { token: analyst.token })).body;
    expect(report.sends).toEqual({
      audience: 1,
      sent: 0,
      skipped: { capped: 0, quiet: 1, unsubscribed: 0, no_consent: 0 },
      deferredForQuietHours: 1,
      failed: 0,
      notSent: 0,
    });
  } finally {
    await stack.api('PUT', '/policies/messaging', { token: owner.token, body: { frequencyCap: null, quietHours: null } });
  }
});

test('a metric rule whose action is pause_campaign pauses a running campaign, once per firing episode', async () => {
  const tag = `rule-${run}`;
  const people = await customers(tag, 30);
  const id = await create(spec(tag, { sendRate: 2 }));
  await decide(id, 'ops_manager', approver);
  await eventually(async () => mailTo(people).length >= 2 && true, 'the first sends');
  const metric = `refund_rate_${run.replace(/-/g, '_')}`;
  const pushed = await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: { points: [{ name: metric, value: 0.9, at: iso(-5000), labels: { campaign: tag } }] },
  });
  expect(pushed.status).toBe(200);
  const rule = await stack.api('POST', '/rules', {
    token: owner.token,
    body: {
      name: `Refunds ${tag}`,
      metric,
      labels: { campaign: tag },
      aggregation: 'max',
      window: '5m',
      comparison: 'above',
      threshold: 0.5,
      severity: 'P2',
      every: '10s',
      action: { type: 'pause_campaign', campaignId: id },
    },
  });
  expect(rule.status).toBe(201);
  await stageIs(id, 'paused');
  const live = await get(id);
  expect(live.pause).toMatchObject({
    reason: 'manual',
    detail: expect.stringContaining(`rule "Refunds ${tag}" fired: max 0.9 is above 0.5`),
  });
  expect(live.history.at(-1)).toMatchObject({ to: 'paused', actorId: `rule:${rule.body.id}` });
  const atPause = mailTo(people).length;
  expect(atPause).toBeLessThan(30);
  // The next evaluation (10 s later) is the same episode: nothing more happens.
  await new Promise((r) => setTimeout(r, 1000));
  expect(mailTo(people).length).toBe(atPause);
  expect((await stack.api('DELETE', `/rules/${rule.body.id}`, { token: owner.token })).status).toBe(204);
  await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} });
  await stageIs(id, 'reported');
});
