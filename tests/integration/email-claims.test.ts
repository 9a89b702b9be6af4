// The email ledger's claims taken many at once (a campaign send pass claims a chunk's keys in one statement): each key
// is claimed as claimMail claims it, a claimed mail goes out once, and claims never used are given back. Marks asked for
// at once are committed as a group, and one whose own update fails does not take the others down with it.
import { randomUUID } from 'node:crypto';
import { deliverOnce, outboxMail } from '../../activities/email.ts';
import { claimMails, markMailSent, releaseMails } from '../../db/email-outbox.ts';
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

test('marks asked for at once are committed together with their updates; a mark whose update fails is refused alone', async () => {
  await sql(`create table if not exists mark_probe (key text primary key)`);
  const probe = (k: string) => ({ sql: `insert into mark_probe (key) values (?)`, params: [k] });
  const claimed = async (n: number) => {
    const keys = Array.from({ length: n }, (_, i) => `campaign:${randomUUID()}:mark-${i}`);
    const claims = await claimMails(
      db.orm,
      keys.map((k) => outboxMail(ledgerMail(k), FROM)),
      60,
    );
    expect(claims.size).toBe(n);
    return keys;
  };
  /** Each mail's status, whether its update was made, and the transaction that wrote its ledger row. */
  const rows = async (keys: string[]) =>
    sql<{ key: string; status: string; probed: boolean; tx: string }[]>(
      `select o.idempotency_key as key, o.status, exists (select 1 from mark_probe p where p.key = o.idempotency_key) as probed,
         o.xmin::text as tx
       from email_outbox o where o.idempotency_key = any(?::text[]) order by o.idempotency_key`,
      [`{${keys.join(',')}}`],
    );

  // The first mark runs at once, the 39 asked for meanwhile in one statement after it.
  const together = await claimed(40);
  await Promise.all(together.map((k) => markMailSent(db.orm, k, [probe(k)])));
  const marked = await rows(together);
  expect(marked.filter((r) => r.status === 'sent' && r.probed)).toHaveLength(40);
  expect(new Set(marked.map((r) => r.tx)).size).toBe(2);

  // The 8th mail's update breaks (its key is in the probe already): its group fails, and each mail is marked alone.
  const keys = await claimed(40);
  await sql(`insert into mark_probe (key) values (?)`, [keys[7]]);
  const results = await Promise.allSettled(keys.map((k) => markMailSent(db.orm, k, [probe(k)])));
  expect(results.map((r) => r.status)).toEqual(keys.map((_, i) => (i === 7 ? 'rejected' : 'fulfilled')));
  const after = new Map((await rows(keys)).map((r) => [r.key, r]));
  for (const [i, k] of keys.entries()) expect(after.get(k)).toMatchObject({ status: i === 7 ? 'sending' : 'sent', probed: true });
});
