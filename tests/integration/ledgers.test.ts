// The send ledgers against real PostgreSQL, a real SMTP sink and a real webhook receiver: a repeated step never
// sends twice, a failed one is not lost.
import { ApplicationFailure } from '@temporalio/common';
import { createHmac, randomUUID } from 'node:crypto';
import { createContractActivities } from '../../activities/contract.ts';
import { createEmailActivities, deliverOnce, messageIdFor } from '../../activities/email.ts';
import { saveContentRow } from '../../db/content.ts';
import { writePoints } from '../../db/metrics.ts';
import { deliverWebhook } from '../../activities/webhooks.ts';
import { Operator } from '../../db/entities/index.ts';
import { startMailCatcher, type MailCatcher } from '../../start/mail-catcher.ts';
import { createMailer } from '../../runtime/mailer.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

let db: TestDb;
let mail: MailCatcher;
let hooks: WebhookReceiver;
const FROM = 'opsflow <opsflow@test.local>';

beforeAll(async () => {
  db = await createTestDb();
  mail = await startMailCatcher({ smtpPort: 0 });
  hooks = await startWebhookReceiver();
  const em = db.orm.em.fork();
  for (const [name, roles, disabled] of [
    ['ana', ['reviewer'], false],
    ['ben', ['reviewer', 'ops_manager'], false],
    ['cid', ['reviewer'], true],
  ] as const) {
    em.create(Operator, { id: randomUUID(), name, email: `${name}@example.com`, roles: [...roles], tokenHash: randomUUID(), disabled });
  }
  await em.flush();
});

afterAll(async () => {
  await mail?.close();
  await hooks?.close();
  await db?.drop();
});

/** The local receiver is on 127.0.0.1: WEBHOOK_ALLOWED_HOSTS names it, as for a receiver on a private network. */
const receiverAllowed = () => ({ allowedHosts: [new URL(hooks.url('/')).host] });
const emails = () => createEmailActivities({ orm: db.orm, mailer: createMailer(mail.smtpUrl), from: FROM, publicUrl: 'http://x' });
const request = (key: string) => ({
  idempotencyKey: key,
  to: [{ role: 'reviewer' as const }],
  template: 'taskEscalated' as const,
  data: { taskId: 't1', taskTitle: 'Review "Sale"', candidateRole: 'reviewer', dueAt: '2026-01-01T00:00:00.000Z' },
});

test("one email per idempotency key, to the role's active operators, with a Message-ID derived from the key", async () => {
  const key = `content-review:${randomUUID()}:task-escalated:t1`;
  const first = await emails().sendEmail(request(key));
  const again = await emails().sendEmail(request(key));
  expect(first).toMatchObject({ status: 'sent', recipients: ['ana@example.com', 'ben@example.com'] });
  expect(again.status).toBe('duplicate');
  const caught = await mail.waitFor((m) => m.headers['x-opsflow-idempotency-key'] === key);
  expect(caught.messageId).toBe(messageIdFor(key, FROM));
  expect(caught.subject).toBe('[opsflow] Overdue task: Review "Sale"');
  expect(caught.html).toContain('Review &quot;Sale&quot;');
  expect(mail.messages().filter((m) => m.headers['x-opsflow-idempotency-key'] === key)).toHaveLength(1);
});

test('concurrent attempts of the same step send once', async () => {
  const key = `content-review:${randomUUID()}:published`;
  const results = await Promise.allSettled([1, 2, 3, 4].map(() => emails().sendEmail(request(key))));
  await mail.waitFor((m) => m.headers['x-opsflow-idempotency-key'] === key);
  await new Promise((r) => setTimeout(r, 300));
  expect(mail.messages().filter((m) => m.headers['x-opsflow-idempotency-key'] === key)).toHaveLength(1);
  expect(results.filter((r) => r.status === 'fulfilled' && r.value.status === 'sent')).toHaveLength(1);
});

test('a send that fails is retried later and then goes out once', async () => {
  const key = `content-review:${randomUUID()}:retry`;
  const broken = createEmailActivities({ orm: db.orm, mailer: createMailer('smtp://127.0.0.1:1'), from: FROM, publicUrl: 'http://x' });
  await expect(broken.sendEmail(request(key))).rejects.toThrow();
  const [row] = await db.orm.em
    .fork()
    .getConnection()
    .execute('select status, attempts from email_outbox where idempotency_key = ?', [key]);
  expect(row).toMatchObject({ status: 'pending', attempts: 1 });
  expect((await emails().sendEmail(request(key))).status).toBe('sent');
  await mail.waitFor((m) => m.headers['x-opsflow-idempotency-key'] === key);
});

test('a claimed mail that waited past its lease for a slot does not go out when another attempt took it meanwhile', async () => {
  const deps = { orm: db.orm, mailer: createMailer(mail.smtpUrl), from: FROM };
  const sql = (q: string, params: unknown[]) => db.orm.em.fork().getConnection().execute(q, params);
  const send = (key: string, around: <T>(run: () => Promise<T>) => Promise<T>) =>
    deliverOnce(deps, {
      idempotencyKey: key,
      workflowId: 'wf',
      template: 'campaign',
      recipients: ['kim@example.com'],
      mail: { subject: 'Sale', text: 'Hello', html: '<p>Hello</p>' },
      leaseSeconds: 1,
      around,
    });
  const waitThen =
    (before: () => Promise<unknown>) =>
    async <T>(run: () => Promise<T>): Promise<T> => {
      await new Promise((r) => setTimeout(r, 5_500)); // queued behind busy slots for longer than its 1 s lease
      await before();
      return run();
    };
  const lost = `campaign:${randomUUID()}:lost`;
  // Meanwhile the lease ran out and another attempt claimed the key (and is sending it).
  const result = send(
    lost,
    waitThen(() => sql(`update email_outbox set attempts = attempts + 1 where idempotency_key = ?`, [lost])),
  );
  await expect(result).rejects.toMatchObject({ type: 'LeaseHeld' });
  // Nobody else claimed it: the lease is renewed and the mail goes out, once.
  const kept = `campaign:${randomUUID()}:kept`;
  await expect(
    send(
      kept,
      waitThen(async () => {}),
    ),
  ).resolves.toMatchObject({ status: 'sent' });
  await mail.waitFor((m) => m.headers['x-opsflow-idempotency-key'] === kept);
  expect(mail.messages().filter((m) => m.headers['x-opsflow-idempotency-key'] === lost)).toHaveLength(0);
  const [row] = await sql('select status, attempts from email_outbox where idempotency_key = ?', [lost]);
  expect(row).toMatchObject({ status: 'sending', attempts: 2 }); // the other attempt's claim, untouched
}, 30_000);

test('a webhook attempt that holds the lease keeps a concurrent retry from posting', async () => {
  const slow = { name: 'blog', url: hooks.url('/blog'), secret: 's3cret-s3cret-s3cret' };
  const key = `wf:${randomUUID()}`;
  const args = {
    idempotencyKey: key,
    workflowId: 'wf',
    event: 'content.published',
    data: { id: 2 },
    timeoutMs: 5000,
    guard: receiverAllowed(),
  };
  const results = await Promise.allSettled([1, 2, 3].map(() => deliverWebhook(db.orm, slow, args)));
  expect(results.filter((r) => r.status === 'fulfilled' && r.value.status === 'delivered')).toHaveLength(1);
  expect(hooks.received('/blog').filter((h) => h.json.idempotencyKey === key)).toHaveLength(1);
});

test('webhooks: signed, delivered once per key; 5xx retried, 4xx refused for good', async () => {
  const target = { name: 'blog', url: hooks.url('/blog'), secret: 's3cret-s3cret-s3cret' };
  const args = (key: string) => ({
    idempotencyKey: key,
    workflowId: 'wf',
    event: 'content.published',
    data: { id: 1 },
    timeoutMs: 5000,
    guard: receiverAllowed(),
  });
  const key = `wf:${randomUUID()}`;
  expect((await deliverWebhook(db.orm, target, args(key))).status).toBe('delivered');
  expect((await deliverWebhook(db.orm, target, args(key))).status).toBe('duplicate');
  const hook = hooks.received('/blog').find((h) => h.json.idempotencyKey === key)!;
  const [, t, v1] = /^t=(\d+),v1=(\w+)$/.exec(String(hook.headers['x-opsflow-signature']))!;
  expect(v1).toBe(createHmac('sha256', target.secret).update(`${t}.${hook.body}`).digest('hex'));
  expect(hooks.received('/blog').filter((h) => h.json.idempotencyKey === key)).toHaveLength(1);

  const flaky = { ...target, url: hooks.url('/flaky') };
  hooks.failNext('/flaky', 1, 503);
  const k2 = `wf:${randomUUID()}`;
  await expect(deliverWebhook(db.orm, flaky, args(k2))).rejects.not.toBeInstanceOf(ApplicationFailure);
  expect((await deliverWebhook(db.orm, flaky, args(k2))).status).toBe('delivered');

  const refusing = { ...target, url: hooks.url('/gone') };
  hooks.failNext('/gone', 1, 410);
  const k3 = `wf:${randomUUID()}`;
  await expect(deliverWebhook(db.orm, refusing, args(k3))).rejects.toMatchObject({ type: 'WebhookRefused', nonRetryable: true });
  expect(hooks.received('/gone')).toHaveLength(0);
  // Once the receiver accepts again (an admin fixed the channel), a later attempt delivers, once.
  expect((await deliverWebhook(db.orm, refusing, args(k3))).status).toBe('delivered');
  expect((await deliverWebhook(db.orm, refusing, args(k3))).status).toBe('duplicate');
  expect(hooks.received('/gone')).toHaveLength(1);
});

test('a period evaluated again (a retried activity) pays once: the ledger keeps the first row; a sign link is emailed once', async () => {
  const contracts = createContractActivities({ orm: db.orm, mailer: createMailer(mail.smtpUrl), from: FROM, publicUrl: 'http://x' });
  const contractId = randomUUID();
  const partnerId = randomUUID();
  const period = { index: 0, from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
  const terms = {
    scope: 's',
    deliverables: [],
    currency: 'USD',
    fee: 100,
    revenueShare: { mode: 'whole' as const, tiers: [{ from: 0, to: null, rate: 10 }], cap: null },
    milestones: [{ name: 'kick-off', due: '2026-01-15T00:00:00.000Z', amount: 50 }],
    start: period.from,
    end: '2027-01-01T00:00:00.000Z',
    cadence: 'monthly' as const,
    targets: {},
    renewalNotice: [30],
  };
  await writePoints(db.orm, [{ name: 'partner.gmv', value: 1000, at: '2026-01-10T00:00:00.000Z', labels: { partner: partnerId } }]);
  const args = { contractId, partnerId, term: 1, period, fraction: 1, terms };
  const first = await contracts.evaluateContractPeriod(args);
  expect(first).toMatchObject({ fee: 100, share: 100, milestones: 50, total: 250 });
  // More GMV arrives and the activity runs again: the period stays paid as first recorded.
  await writePoints(db.orm, [{ name: 'partner.gmv', value: 5000, at: '2026-01-20T00:00:00.000Z', labels: { partner: partnerId } }]);
  expect(await contracts.evaluateContractPeriod(args)).toEqual(first);
  const rows = await db.orm.em
    .getConnection()
    .execute<{ n: number }[]>('select count(*)::int as n from contract_payouts where contract_id = ?', [contractId]);
  expect(rows[0]!.n).toBe(1);

  const link = {
    contractId,
    key: `contract:${contractId}:t1:v1:link:1`,
    partner: { name: 'Lin', email: `lin-${contractId.slice(0, 6)}@example.com` },
    validFor: '7d',
    reminder: false,
    expiresAt: '2099-01-01T00:00:00.000Z',
  };
  const a = await contracts.issueSignLink(link);
  const b = await contracts.issueSignLink(link);
  expect(b).toEqual(a);
  expect(mail.messages().filter((m) => m.to.includes(link.partner.email))).toHaveLength(1);
  const [stored] = await db.orm.em
    .getConnection()
    .execute<{ token: string | null }[]>('select token from contract_sign_links where idempotency_key = ?', [link.key]);
  expect(stored!.token).toBeNull(); // once emailed, only the hash is kept
});

test('a read-model row keeps its newest version: an older write changes nothing, insert-only columns keep the first value', async () => {
  const id = randomUUID();
  const row = (version: number, title: string, tier: 'A' | 'S') => ({
    id,
    workflowId: `content-review:${id}`,
    authorId: randomUUID(),
    title,
    tier,
    channels: ['blog'],
    stage: 'in_review' as const,
    revision: version + 1,
    checkOutcome: null,
    publishAt: null,
    publishedAt: null,
    version,
  });
  type Row = { title: string; tier: string; author_id: string; version: number; created_at: string; updated_at: string };
  const read = async () =>
    (
      await db.orm.em
        .getConnection()
        .execute<Row[]>('select title, tier, author_id, version, created_at, updated_at from content where id = ?', [id])
    )[0]!;
  const first = row(0, 'first', 'A');
  await saveContentRow(db.orm, first);
  const created = await read();
  expect(created).toMatchObject({ title: 'first', version: 0, author_id: first.authorId });
  expect(created.updated_at).toEqual(created.created_at);

  await saveContentRow(db.orm, row(2, 'second', 'S'));
  const updated = await read();
  expect(updated).toMatchObject({
    title: 'second',
    version: 2,
    tier: 'A',
    author_id: first.authorId,
    created_at: created.created_at,
  });
  expect(new Date(updated.updated_at).getTime()).toBeGreaterThan(new Date(created.updated_at).getTime());

  // A late retry of version 1 (and the API's version-0 row again) lose to version 2.
  await saveContentRow(db.orm, row(1, 'late', 'A'));
  await saveContentRow(db.orm, first);
  expect(await read()).toEqual(updated);
});
