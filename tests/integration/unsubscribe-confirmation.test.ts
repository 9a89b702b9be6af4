// The unsubscribe confirmation: one email per unsubscription, in the customer's language, with the link to subscribe
// again; started by the API, or by the redelivery sweep when the API could not; subscribing again works from it.
import { randomUUID } from 'node:crypto';
import { unsubscribeConfirmationId } from '../../domain/ids.ts';
import { recordHistory } from '../support/histories.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let ingest: TestOperator;
let manager: TestOperator;
const run = randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'backend');
  manager = await stack.operator(['ops_manager'], 'Mia');
});

afterAll(async () => {
  await stack?.close();
});

async function customer(name: string, locale: string): Promise<{ id: string; email: string; token: string }> {
  const email = `${name}-${run}@example.com`;
  const res = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: { externalId: `${name}-${run}`, email, name, locale, marketingConsent: true },
  });
  expect(res.status).toBe(200);
  const id = res.body.items[0].id as string;
  const [row] = await stack.db.orm.em
    .getConnection()
    .execute<{ unsubscribe_token: string }[]>('select unsubscribe_token from customers where id = ?', [id]);
  return { id, email, token: row!.unsubscribe_token };
}

const confirmations = (email: string) => stack.mail.messages().filter((m) => m.to.includes(email));

test("unsubscribing by the link sends one confirmation in the customer's language; repeating it sends none; it leads to subscribing again", async () => {
  const li = await customer('lilei', 'zh-CN');
  const post = () =>
    fetch(`${stack.baseUrl}/unsubscribe/${li.token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
  expect((await post()).status).toBe(200);
  const mail = await stack.mail.waitFor((m) => m.to.includes(li.email), 20_000);
  expect(mail.subject).toBe('您已退订opsflow的营销邮件');
  expect(mail.html).toContain(`href="http://opsflow.test/unsubscribe/${li.token}"`);
  expect(mail.headers['list-unsubscribe']).toBeUndefined(); // transactional
  expect((await post()).status).toBe(200);
  await sleep(1500);
  expect(confirmations(li.email)).toHaveLength(1);
  await eventually(async () => {
    const [row] = await stack.db.orm.em
      .getConnection()
      .execute<{ confirmed: boolean }[]>('select unsubscribe_confirmed_at is not null as confirmed from customers where id = ?', [li.id]);
    return row!.confirmed;
  }, 'the unsubscription marked confirmed');

  // The link in the email: the page offers to subscribe again; doing so turns marketing mail back on.
  const pageHtml = await (await fetch(`${stack.baseUrl}/unsubscribe/${li.token}`)).text();
  expect(pageHtml).toContain(`action="/unsubscribe/${li.token}/resubscribe"`);
  // In the customer's language.
  expect(pageHtml).toContain('<html lang="zh-CN">');
  expect(pageHtml).toContain('您已退订');
  expect(pageHtml).toContain('重新订阅');
  const again = await fetch(`${stack.baseUrl}/unsubscribe/${li.token}/resubscribe`, { method: 'POST' });
  expect(again.status).toBe(200);
  expect(await again.text()).toContain('您已重新订阅');
  expect((await stack.api('GET', `/customers/${li.id}`, { token: manager.token })).body.unsubscribedAt).toBeNull();
  // A new unsubscription is confirmed again.
  expect((await post()).status).toBe(200);
  await eventually(async () => confirmations(li.email).length === 2, 'a second confirmation for the second unsubscription');
  expect((await fetch(`${stack.baseUrl}/unsubscribe/${'0'.repeat(64)}/resubscribe`, { method: 'POST' })).status).toBe(404);
});

test('an unsubscription by staff is confirmed in English to an English customer', async () => {
  const ada = await customer('ada', 'en');
  expect((await stack.api('POST', `/customers/${ada.id}/unsubscribe`, { token: manager.token })).status).toBe(200);
  const mail = await stack.mail.waitFor((m) => m.to.includes(ada.email), 20_000);
  expect(mail.subject).toBe('You are unsubscribed from opsflow marketing emails');
  expect(mail.text).toContain('Hi ada,');
});

test('an unsubscription whose confirmation the API could not start gets it from the redelivery sweep, once', async () => {
  const bo = await customer('bo', 'en');
  // As if the API had stored it and then lost Temporal: unsubscribed two minutes ago, no confirmation started.
  await stack.db.orm.em
    .getConnection()
    .execute(`update customers set unsubscribed_at = now() - interval '2 minutes' where id = ?`, [bo.id]);
  const sweepId = `sweep-${randomUUID()}`;
  const sweep = (workflowId = `sweep-${randomUUID()}`) =>
    stack.env.client.workflow.execute('redeliverEvents', { taskQueue: stack.taskQueue, workflowId });
  await sweep(sweepId);
  await stack.mail.waitFor((m) => m.to.includes(bo.email), 20_000);
  await eventually(async () => {
    const [row] = await stack.db.orm.em
      .getConnection()
      .execute<{ confirmed: boolean }[]>('select unsubscribe_confirmed_at is not null as confirmed from customers where id = ?', [bo.id]);
    return row!.confirmed;
  }, 'confirmed');
  await sweep();
  await sleep(1000);
  expect(confirmations(bo.email)).toHaveLength(1);
  await recordHistory(stack.env.client, sweepId, 'redelivery-sweep-unsubscribe-confirmations');
  const [row] = await stack.db.orm.em
    .getConnection()
    .execute<{ at: Date }[]>('select unsubscribed_at as at from customers where id = ?', [bo.id]);
  await recordHistory(stack.env.client, unsubscribeConfirmationId(bo.id, new Date(row!.at).toISOString()), 'unsubscribe-confirmation-sent');
});
