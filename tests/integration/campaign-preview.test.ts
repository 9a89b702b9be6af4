// What the console's campaign form and detail read besides the campaign itself: the live audience count, the message
// rendered for a sample customer (the text the sender sends), and the sends over time from the send ledger.
import { randomUUID } from 'node:crypto';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let ingest: TestOperator;
let owner: TestOperator;
let approver: TestOperator;
let analyst: TestOperator;
const run = randomUUID().slice(0, 8);
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

async function customers(tag: string, n: number, noConsent: number[] = []): Promise<{ id: string; email: string }[]> {
  const list = Array.from({ length: n }, (_, i) => ({
    externalId: `${tag}-${i}`,
    email: `${tag}-${i}@example.com`,
    tags: [tag],
    timezone: 'UTC',
    name: `Name${i} Last`,
    marketingConsent: !noConsent.includes(i),
  }));
  const res = await stack.api('POST', '/customers', { token: ingest.token, body: { customers: list } });
  expect(res.status).toBe(200);
  return res.body.items.map((c: { id: string }, i: number) => ({ id: c.id, email: list[i]!.email }));
}

const message = { subject: 'Hello {{firstName|friend}}', body: 'Spring sale for {{email}} ({{externalId}}).\n\nSee you soon.' };

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'backend');
  owner = await stack.operator(['ops_manager'], 'Olga');
  approver = await stack.operator(['ops_manager'], 'Pete');
  analyst = await stack.operator(['analyst'], 'Ana');
  const { version: _version, ...policy } = (await stack.api('GET', '/policies/messaging')).body;
  expect((await stack.api('PUT', '/policies/messaging', { body: { ...policy, frequencyCap: null, quietHours: null } })).status).toBe(200);
});

afterAll(async () => {
  await stack?.close();
});

test('the audience count is the count a created campaign answers, and follows the customers', async () => {
  const tag = `count-${run}`;
  const audience = { filters: { tags: [tag] } };
  const count = () => stack.api('POST', '/campaigns/audience-count', { token: analyst.token, body: { audience } });
  expect((await count()).body).toEqual({ count: 0 });
  await customers(tag, 3);
  expect(await count()).toMatchObject({ status: 200, body: { count: 3 } });
  const created = await stack.api('POST', '/campaigns', {
    token: owner.token,
    body: {
      name: `Count ${tag}`,
      budget: { total: 10, currency: 'USD', costPerSend: 0.1 },
      audience,
      message,
      draft: true,
      schedule: { startAt: iso(3_600_000), endAt: iso(7_200_000) },
    },
  });
  expect(created.body.audienceNow).toBe(3);

  const empty = await stack.api('POST', '/campaigns/audience-count', { token: analyst.token, body: { audience: {} } });
  expect(empty.status).toBe(400);
  expect(empty.body.error.fields.map((f: { field: string }) => f.field)).toContain('audience');
  expect((await stack.api('POST', '/campaigns/audience-count', { token: ingest.token, body: { audience } })).status).toBe(403);
});

test('the preview renders what the sender sends, for the first customer of the audience or the one named; the series over time adds up; people are named', async () => {
  const tag = `prev-${run}`;
  const people = await customers(tag, 4, [2]);
  const audience = { filters: { tags: [tag] } };

  const sample = await stack.api('POST', '/campaigns/preview', { token: analyst.token, body: { message, audience } });
  expect(sample.status).toBe(200);
  expect(sample.body.customer).toMatchObject({ id: people[0]!.id, externalId: `${tag}-0`, name: 'Name0 Last' });
  expect(sample.body.subject).toBe('Hello Name0');
  expect(sample.body.text).toContain(`Spring sale for ${people[0]!.email} (${tag}-0).\n\nSee you soon.`);
  expect(sample.body.html).toMatch(/<p[^>]*>See you soon\.<\/p>/);
  // Nobody matches: the fallbacks show.
  const nobody = await stack.api('POST', '/campaigns/preview', {
    token: analyst.token,
    body: { message, audience: { filters: { tags: [`${tag}-none`] } } },
  });
  expect(nobody.body).toMatchObject({ customer: null, subject: 'Hello friend' });
  const unknownField = await stack.api('POST', '/campaigns/preview', {
    token: analyst.token,
    body: { message: { subject: 'Hi {{nickname}}', body: 'x' } },
  });
  expect(unknownField.status).toBe(400);
  expect(unknownField.body.error.fields[0].field).toBe('message.subject');
  expect(
    (await stack.api('POST', '/campaigns/preview', { token: analyst.token, body: { message, customerId: randomUUID() } })).status,
  ).toBe(404);

  const created = await stack.api('POST', '/campaigns', {
    token: owner.token,
    body: {
      name: `Preview ${tag}`,
      budget: { total: 10, currency: 'USD', costPerSend: 0.25 },
      audience,
      message,
      sendRate: 200,
      schedule: { startAt: iso(-60_000), endAt: iso(3_600_000) },
    },
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  const task = await eventually(
    async () => (await stack.api('GET', `/tasks?entityId=${id}&status=open`, { token: approver.token })).body.items[0],
    'the approval task',
  );
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: approver.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  await eventually(
    async () => (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body.counts?.sent === 3,
    'three sends',
    30_000,
  );

  // The sender's email to the fourth customer, and the preview for that customer: the same words (the unsubscribe
  // link aside, which the preview does not give away).
  const mail = await stack.mail.waitFor((m) => m.to.includes(people[3]!.email));
  const preview = await stack.api('POST', '/campaigns/preview', { token: analyst.token, body: { message, customerId: people[3]!.id } });
  const link = /\/unsubscribe\/[\w-]+/g;
  expect(preview.body.subject).toBe(mail.subject);
  const words = (text: string) => text.replace(/\r\n/g, '\n').replace(link, '/unsubscribe/…').trimEnd();
  expect(words(preview.body.text)).toBe(words(mail.text));
  expect(words(preview.body.text)).toContain(`Spring sale for ${people[3]!.email} (${tag}-3).`);

  const progress = await stack.api('GET', `/campaigns/${id}/progress`, { token: analyst.token });
  expect(progress.status).toBe(200);
  const points = progress.body.points as { at: string; sent: number; spend: number; skipped: number }[];
  expect(points.length).toBeGreaterThan(0);
  expect(points.reduce((s, p) => s + p.sent, 0)).toBe(3);
  expect(points.reduce((s, p) => s + p.spend, 0)).toBeCloseTo(0.75);
  // The customer without consent is skipped by the messaging policy.
  expect(points.reduce((s, p) => s + p.skipped, 0)).toBe(1);
  expect(new Date(points[0]!.at).getUTCSeconds()).toBe(0);
  const hourly = await stack.api('GET', `/campaigns/${id}/progress?step=3600`, { token: analyst.token });
  expect(hourly.body.points).toHaveLength(1);
  expect(hourly.body.points[0]).toMatchObject({ sent: 3, skipped: 1 });
  expect(new Date(hourly.body.points[0].at).getUTCMinutes()).toBe(0);
  const fine = await stack.api('GET', `/campaigns/${id}/progress?step=1`, { token: analyst.token });
  expect(fine.body.points.reduce((s: number, p: { sent: number }) => s + p.sent, 0)).toBe(3);
  expect(fine.body.points.map((p: { at: string }) => p.at)).toEqual([...fine.body.points.map((p: { at: string }) => p.at)].sort());
  expect((await stack.api('GET', `/campaigns/${id}/progress?step=0`, { token: analyst.token })).status).toBe(400);

  // Who is who, by name: the owner and the approver on the campaign, the owners on a list page.
  const named = (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body;
  expect(named.people).toEqual({ [owner.id]: 'Olga', [approver.id]: 'Pete' });
  const list = await stack.api('GET', `/campaigns?q=${tag}`, { token: analyst.token });
  expect(list.body).toMatchObject({ total: 1, people: { [owner.id]: 'Olga' } });
  expect((await stack.api('GET', `/campaigns/${randomUUID()}/progress`, { token: analyst.token })).status).toBe(404);
});
