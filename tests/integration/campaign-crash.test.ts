// A real crash: the worker process is killed (SIGKILL) in the middle of a campaign's sends, a new one takes over, and
// the SMTP sink shows every recipient got their email once.
// The other faults (SIGTERM, a Temporal restart, the database refusing connections, the API killed) are in
// faults.test.ts.
import { randomUUID } from 'node:crypto';
import { SEND_CONCURRENCY } from '../../activities/campaign-sender.ts';
import { killStarted, spawnWorker as spawnProcess, tally } from '../support/processes.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
const spawnWorker = () =>
  spawnProcess({
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: stack.env.address,
    SMTP_URL: stack.mail.smtpUrl,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
  });

beforeAll(async () => {
  stack = await startStack();
  await stack.stopWorker(); // only the child processes work this test's queue
});

afterAll(async () => {
  killStarted();
  await stack?.close();
});

test('SIGKILL mid-send: a new worker finishes the campaign and every recipient gets exactly one email', async () => {
  const tag = `crash-${randomUUID().slice(0, 8)}`;
  const ingest: TestOperator = await stack.operator(['ingest']);
  const owner = await stack.operator(['ops_manager']);
  const approver = await stack.operator(['ops_manager']);
  expect(
    (await stack.api('PUT', '/policies/messaging', { token: owner.token, body: { frequencyCap: null, quietHours: null } })).status,
  ).toBe(200);
  const people = Array.from({ length: 300 }, (_, i) => ({
    externalId: `${tag}-${i}`,
    email: `${tag}-${i}@example.com`,
    tags: [tag],
    marketingConsent: true,
  }));
  expect((await stack.api('POST', '/customers', { token: ingest.token, body: { customers: people } })).status).toBe(200);

  const first = await spawnWorker();
  const created = await stack.api('POST', '/campaigns', {
    token: owner.token,
    body: {
      name: `Crash ${tag}`,
      budget: { total: 1000, currency: 'USD', costPerSend: 0.01 },
      audience: { filters: { tags: [tag] } },
      message: { subject: `Crash test ${tag}`, body: 'Hello {{email}}' },
      schedule: { startAt: new Date(Date.now() - 60_000).toISOString(), endAt: new Date(Date.now() + 3_600_000).toISOString() },
      sendRate: 60,
    },
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  const task = await eventually(
    async () => (await stack.api('GET', `/tasks?entityType=campaign&entityId=${id}&status=open`)).body.items[0],
    'the approval task',
  );
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: approver.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );

  const ours = () => stack.mail.messages().filter((m) => m.subject === `Crash test ${tag}`);
  await eventually(async () => ours().length >= 80 && true, 'a third of the sends', 60_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const atKill = ours().length;
  expect(atKill).toBeLessThan(300);

  await spawnWorker();
  // The heartbeat timeout hands the send pass to the new worker; a send the dead one had claimed waits out its lease.
  await eventually(async () => new Set(ours().flatMap((m) => m.to)).size === 300 && true, 'every recipient', 150_000);
  const live = await eventually(
    async () => {
      const body = (await stack.api('GET', `/campaigns/${id}`)).body;
      return body.counts.sent === 300 && body.counts.pending === 0 && body;
    },
    'the ledger complete',
    120_000,
  ); // a send the dead worker had claimed waits out its one-minute lease
  expect(live.stage).toBe('running');
  await new Promise((r) => setTimeout(r, 1000));

  const byRecipient = tally(ours());
  expect(byRecipient.size).toBe(300);
  const lost = people.filter((p) => !byRecipient.has(p.email));
  expect(lost).toEqual([]);
  // One email per recipient. SMTP cannot make a transfer and a database write atomic: a message the server accepted
  // in the instant before the kill, not yet marked sent, goes out again after its lease with the same Message-ID,
  // which mailbox providers treat as the same email. So: one Message-ID each, at most one copy each, and copies only
  // of the transfers in flight at the kill (the sender keeps SEND_CONCURRENCY of them; a loaded CI machine saw 4).
  expect([...byRecipient.values()].filter((e) => e.ids.size !== 1)).toEqual([]);
  expect([...byRecipient.values()].filter((e) => e.messages > 2)).toEqual([]);
  const copies = [...byRecipient.values()].filter((e) => e.messages > 1).length;
  expect(copies).toBeLessThanOrEqual(SEND_CONCURRENCY);
  expect(ours().length).toBe(300 + copies);
}, 240_000);
