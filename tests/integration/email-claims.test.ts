// The email ledger's claims taken many at once (a campaign send pass claims a chunk's keys in one statement): each key
// is claimed as claimMail claims it, a claimed mail goes out once, and claims never used are given back.
import { randomUUID } from 'node:crypto';
import { deliverOnce, outboxMail } from '../../activities/email.ts';
import { claimMails, releaseMails } from '../../db/email-outbox.ts';
import { startMailCatcher, type MailCatcher } from '../../start/mail-catcher.ts';
import { createMailer } from '../../runtime/mailer.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let db: TestDb;
let mail: MailCatcher;
const FROM = 'opsflow <opsflow@test.local>';

beforeAll(async () => {
  db = await createTestDb();
  mail = await startMailCatcher({ smtpPort: 0 });
});

afterAll(async () => {
  await mail?.close();
  await db?.drop();
});

const sql = <T = Record<string, unknown>[]>(q: string, params: unknown[] = []) =>
  db.orm.em.fork().getConnection().execute(q, params) as Promise<T>;
const ledgerMail = (key: string) => ({
  idempotencyKey: key,
  workflowId: 'wf',
  template: 'campaign',
  recipients: [`${key.slice(-8)}@example.com`],
  mail: { subject: 'Sale', text: 'Hello', html: '<p>Hello</p>' },
});
const state = async (key: string) =>
  (await sql<{ status: string; attempts: number }[]>(`select status, attempts from email_outbox where idempotency_key = ?`, [key]))[0];

test('a batch claims new, pending and lapsed keys with their attempt numbers, and leaves sent and held ones alone', async () => {
  const key = (name: string) => `campaign:${randomUUID()}:${name}`;
  const [fresh, pending, lapsed, held, sent] = ['fresh', 'pending', 'lapsed', 'held', 'sent'].map(key) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const seed = (k: string, status: string, attempts: number, lease: string | null) =>
    sql(
      `insert into email_outbox (idempotency_key, message_id, workflow_id, template, recipients, subject, status, lease_until,
         attempts, created_at) values (?, ?, 'wf', 'campaign', '{a@example.com}', 'Sale', ?, ${lease ?? 'null'}, ?, now())`,
      [k, `<${k}@x>`, status, attempts],
    );
  await seed(pending, 'pending', 1, null);
  await seed(lapsed, 'sending', 2, `now() - interval '1 second'`);
  await seed(held, 'sending', 1, `now() + interval '60 seconds'`);
  await seed(sent, 'sent', 1, null);
  const all = [fresh, pending, lapsed, held, sent, fresh];
  const claims = await claimMails(
    db.orm,
    all.map((k) => outboxMail(ledgerMail(k), FROM)),
    60,
  );
  expect(Object.fromEntries(claims)).toEqual({ [fresh]: 1, [pending]: 2, [lapsed]: 3 });
  expect(await state(held)).toEqual({ status: 'sending', attempts: 1 });
  expect(await state(sent)).toEqual({ status: 'sent', attempts: 1 });

  // Given back: only the claims still the named attempt's.
  await sql(`update email_outbox set attempts = attempts + 1, lease_until = now() + interval '60 seconds' where idempotency_key = ?`, [
    lapsed,
  ]);
  await releaseMails(
    db.orm,
    [...claims].map(([k, attempt]) => ({ key: k, attempt })),
    'not started',
  );
  expect(await state(fresh)).toEqual({ status: 'pending', attempts: 1 });
  expect(await state(pending)).toEqual({ status: 'pending', attempts: 2 });
  expect(await state(lapsed)).toEqual({ status: 'sending', attempts: 4 });
});

test('a mail claimed in a batch goes out once: its claim is used, not taken again; a key not claimed is a duplicate', async () => {
  const deps = { orm: db.orm, mailer: createMailer(mail.smtpUrl), from: FROM };
  const key = `campaign:${randomUUID()}:send`;
  const claims = await claimMails(db.orm, [outboxMail(ledgerMail(key), FROM)], 60);
  const claimed = { attempt: claims.get(key) ?? null, at: Date.now() };
  await expect(deliverOnce(deps, { ...ledgerMail(key), claimed })).resolves.toMatchObject({ status: 'sent' });
  expect(await state(key)).toEqual({ status: 'sent', attempts: 1 });
  // A second batch does not claim it; its send answers what the ledger says.
  const again = await claimMails(db.orm, [outboxMail(ledgerMail(key), FROM)], 60);
  expect(again.size).toBe(0);
  await expect(deliverOnce(deps, { ...ledgerMail(key), claimed: { attempt: null, at: Date.now() } })).resolves.toMatchObject({
    status: 'duplicate',
  });
  await mail.waitFor((m) => m.headers['x-opsflow-idempotency-key'] === key);
  await new Promise((r) => setTimeout(r, 200));
  expect(mail.messages().filter((m) => m.headers['x-opsflow-idempotency-key'] === key)).toHaveLength(1);
});
