// The campaign counters (campaign_counts, kept by triggers) against a scan of the send ledger: a real campaign with
// skips for every reason, a rejected send, a deferral and unsubscriptions after the send, over HTTP with the dev
// server, PostgreSQL and the SMTP sink; and the races a counter can lose (a retried or concurrent update of one
// row, an unsubscription while its send is being recorded), played with two PostgreSQL sessions.
import pg from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { guardCounts, ledgerCounts, scanCampaignCounts, scanGuardFigures } from '../../db/campaign-counts.ts';
import { openOrm } from '../../db/orm.ts';
import { campaignWorkflowId } from '../../domain/ids.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let ingest: TestOperator;
let owner: TestOperator;
let approver: TestOperator;
const run = randomUUID().slice(0, 8);
const hour = 3_600_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const sql = <T>(query: string, params: unknown[] = []) =>
  stack.db.orm.em.getConnection().execute<T[]>(query, params) as Promise<[T, ...T[]]>;

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'backend');
  owner = await stack.operator(['ops_manager'], 'Olga');
  approver = await stack.operator(['ops_manager'], 'Pete');
});

afterAll(async () => {
  await stack?.api('PUT', '/policies/messaging', { token: owner?.token, body: { frequencyCap: null, quietHours: null } });
  await stack?.close();
});

/** The counters equal the scans they replace: the ledger's figures and the guard's. */
async function expectCountersMatch(campaignId: string) {
  expect(await ledgerCounts(stack.db.orm, campaignId)).toEqual(await scanCampaignCounts(stack.db.orm, campaignId));
  expect(await guardCounts(stack.db.orm, campaignId)).toEqual(await scanGuardFigures(stack.db.orm, campaignId));
}

const unsubscribeLink = async (token: string, again = false) => {
  const res = await fetch(`${stack.baseUrl}/unsubscribe/${token}${again ? '/resubscribe' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: again ? '' : 'List-Unsubscribe=One-Click',
  });
  expect(res.status).toBe(200);
};

test('a campaign with skips, a rejection, a deferral and unsubscriptions after the send: the counters equal the ledger scan', async () => {
  const tag = `counts-${run}`;
  // 0 gave no consent, 1 unsubscribed before the launch, 2 is at the frequency cap, 3 is in quiet hours (UTC), the
  // mail server refused 4 before; the others are in Tokyo, outside the quiet hours.
  const list = Array.from({ length: 12 }, (_, i) => ({
    externalId: `${tag}-${i}`,
    email: `${tag}-${i}@example.com`,
    tags: [tag],
    marketingConsent: i !== 0,
    timezone: i === 3 ? 'UTC' : 'Asia/Tokyo',
  }));
  const imported = await stack.api('POST', '/customers', { token: ingest.token, body: { customers: list } });
  expect(imported.status).toBe(200);
  const people = (imported.body.items as { id: string }[]).map((c, i) => ({ id: c.id, email: list[i]!.email }));
  expect((await stack.api('POST', `/customers/${people[1]!.id}/unsubscribe`, { token: owner.token, body: {} })).status).toBe(200);
  // Another marketing email within the cap's window (one a week).
  await sql(
    `insert into customer_messages (idempotency_key, customer_id, workflow_id, campaign_id, category, template, status, decided_at, sent_at)
    values (?, ?, 'other', null, 'marketing', 'campaign', 'sent', now(), now())`,
    [`other:${tag}`, people[2]!.id],
  );
  const hourNow = new Date().getUTCHours();
  const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  const policy = await stack.api('PUT', '/policies/messaging', {
    token: owner.token,
    body: {
      frequencyCap: { max: 1, window: '7d' },
      quietHours: { start: hh(hourNow - 1), end: hh(hourNow + 1) },
    },
  });
  expect(policy.status).toBe(200);

  const created = await stack.api('POST', '/campaigns', {
    token: owner.token,
    body: {
      name: `Counts ${tag}`,
      budget: { total: 100, currency: 'USD', costPerSend: 0.25 },
      audience: { filters: { tags: [tag] } },
      message: { subject: `Counts ${tag}`, body: 'Hello {{email}}' },
      schedule: { startAt: iso(-60_000), endAt: iso(2 * hour) },
      sendRate: 50,
      guards: [
        { metric: 'unsubscribe_rate', above: 0.9, minSends: 1 },
        { metric: 'failure_rate', above: 0.9, minSends: 1 },
      ],
    },
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  // What a send the mail server refused (550) leaves in the email ledger: the retry is refused without a transfer.
  await sql(
    `insert into email_outbox (idempotency_key, message_id, workflow_id, template, recipients, subject, status, attempts, last_error, created_at)
    values (?, ?, ?, 'campaign', ?, 'x', 'failed', 1, '550 mailbox unavailable', now())`,
    [`${campaignWorkflowId(id)}:send:${people[4]!.id}`, `<${randomUUID()}@test>`, campaignWorkflowId(id), `{${people[4]!.email}}`],
  );
  const task = await eventually(
    async () => (await stack.api('GET', `/tasks?entityType=campaign&entityId=${id}&status=open`)).body.items[0],
    'the approval task',
  );
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: approver.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );

  const live = await eventually(
    async () => {
      const body = (await stack.api('GET', `/campaigns/${id}`, { token: owner.token })).body;
      return body.counts?.sent === 7 && body.counts.failed === 1 && body.counts.deferred === 1 && body;
    },
    'the sends, the refusal and the deferral',
    60_000,
  );
  expect(live.counts).toEqual({
    audience: 12,
    sent: 7,
    pending: 0,
    deferred: 1,
    failed: 1,
    everDeferred: 1,
    spend: 1.75,
    skipped: { frequency_cap: 1, no_consent: 1, unsubscribed: 1 },
  });
  await expectCountersMatch(id);
  expect(await guardCounts(stack.db.orm, id)).toEqual({ sent: 7, failed: 1, unsubscribed: 0 });

  // After the send: two unsubscribe (the one-click link, the API), one of them subscribes again; the one unsubscribed
  // before the launch subscribing again changes nothing (they were not sent the campaign).
  const tokens = await sql<{ id: string; unsubscribe_token: string }>(
    'select id, unsubscribe_token from customers where id = any(?::uuid[])',
    [`{${people.map((p) => p.id).join(',')}}`],
  );
  const tokenOf = (i: number) => tokens.find((t) => t.id === people[i]!.id)!.unsubscribe_token;
  await unsubscribeLink(tokenOf(5));
  expect((await stack.api('POST', `/customers/${people[6]!.id}/unsubscribe`, { token: owner.token, body: {} })).status).toBe(200);
  expect(await guardCounts(stack.db.orm, id)).toEqual({ sent: 7, failed: 1, unsubscribed: 2 });
  await expectCountersMatch(id);
  await unsubscribeLink(tokenOf(5), true);
  await unsubscribeLink(tokenOf(1), true);
  expect(await guardCounts(stack.db.orm, id)).toEqual({ sent: 7, failed: 1, unsubscribed: 1 });
  await expectCountersMatch(id);

  // The end skips the deferred recipient as quiet; the retrospective's figures come from the counters.
  expect((await stack.api('POST', `/campaigns/${id}/end`, { token: owner.token, body: {} })).status).toBe(200);
  await eventually(
    async () => (await stack.api('GET', `/campaigns/${id}`, { token: owner.token })).body.stage === 'reported',
    'the retrospective',
    30_000,
  );
  await expectCountersMatch(id);
  const report = (await stack.api('GET', `/campaigns/${id}/report`, { token: owner.token })).body;
  expect(report.sends).toEqual({
    audience: 12,
    sent: 7,
    skipped: { capped: 1, quiet: 1, unsubscribed: 1, no_consent: 1 },
    deferredForQuietHours: 1,
    failed: 1,
    notSent: 0,
  });
  expect(report.money.spend).toBe(1.75);
}, 120_000);

describe('races, with two database sessions', () => {
  let a: pg.Client;
  let b: pg.Client;
  let campaignId: string;
  let customers: string[];

  beforeAll(async () => {
    [a, b] = [new pg.Client({ connectionString: stack.db.url }), new pg.Client({ connectionString: stack.db.url })];
    await Promise.all([a.connect(), b.connect()]);
  });
  afterAll(async () => {
    await a?.end();
    await b?.end();
  });

  beforeEach(async () => {
    // A frozen ledger of 20 pending recipients, as freezeAudience writes it (one statement).
    campaignId = randomUUID();
    customers = Array.from({ length: 20 }, () => randomUUID());
    await a.query(
      `insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at)
      select id, id::text, id::text || '@example.com', md5(id::text), now(), now() from unnest($1::uuid[]) id`,
      [customers],
    );
    await a.query(
      `insert into campaign_recipients (campaign_id, seq, customer_id, phase, variant, status)
      select $1, row_number() over (), id, 'main', 'default', 'pending' from unnest($2::uuid[]) id`,
      [campaignId, customers],
    );
  });

  /** The sender's statement that marks a recipient sent (the email ledger's onSent). */
  const markSent = (c: pg.Client, customerId: string) =>
    c.query(
      `update campaign_recipients set status = 'sent', reason = null, deferred_until = null, cost = 0.25, sent_at = now()
     where campaign_id = $1 and customer_id = $2`,
      [campaignId, customerId],
    );

  test('a recipient marked sent by a retry, or by two attempts at once, is counted once', async () => {
    await markSent(a, customers[0]!);
    await markSent(a, customers[0]!);
    // Two attempts record the same duplicate at once (settle's statement, sent_at kept).
    const settleSent = (c: pg.Client) =>
      c.query(
        `update campaign_recipients set status = 'sent', reason = null, cost = 0.25, sent_at = coalesce(sent_at, now())
       where campaign_id = $1 and customer_id = $2`,
        [campaignId, customers[1]],
      );
    await a.query('begin');
    await settleSent(a);
    const racing = settleSent(b);
    await new Promise((r) => setTimeout(r, 200));
    await a.query('commit');
    await racing;
    // Deferred twice, then sent: ever_deferred once.
    for (let i = 0; i < 2; i++) {
      await a.query(
        `update campaign_recipients set status = 'deferred', reason = 'quiet_hours', ever_deferred = true, deferred_until = now()
        where campaign_id = $1 and customer_id = $2`,
        [campaignId, customers[2]],
      );
    }
    await markSent(a, customers[2]!);
    // A batch that settles several recipients (skips) in one statement, one of them twice over.
    await a.query(
      `update campaign_recipients set status = 'skipped', reason = 'frequency_cap' where campaign_id = $1 and customer_id = any($2::uuid[])`,
      [campaignId, customers.slice(3, 6)],
    );
    await a.query(
      `update campaign_recipients set status = 'skipped', reason = 'frequency_cap' where campaign_id = $1 and customer_id = any($2::uuid[])`,
      [campaignId, customers.slice(5, 7)],
    );
    expect(await ledgerCounts(stack.db.orm, campaignId)).toMatchObject({
      audience: 20,
      sent: 3,
      pending: 13,
      everDeferred: 1,
      spend: 0.75,
      skipped: { frequency_cap: 4 },
    });
    expect(await ledgerCounts(stack.db.orm, campaignId)).toEqual(await scanCampaignCounts(stack.db.orm, campaignId));
  });

  test('an unsubscription racing the record of its send is counted once, whichever commits first', async () => {
    const unsubscribe = (c: pg.Client, customerId: string) =>
      c.query('update customers set unsubscribed_at = coalesce(unsubscribed_at, now()) where id = $1', [customerId]);
    // The send's transaction is open when the customer unsubscribes: the unsubscription waits for it, then counts it.
    // (Its unsubscribed_at is the later now(), so it is at or after the send's sent_at.)
    await a.query('begin');
    await markSent(a, customers[0]!);
    await b.query('begin');
    const unsubscribing = unsubscribe(b, customers[0]!).then(() => b.query('commit'));
    await new Promise((r) => setTimeout(r, 200));
    await a.query('commit');
    await unsubscribing;
    expect((await guardCounts(stack.db.orm, campaignId)).unsubscribed).toBe(1);

    // The unsubscription's transaction is open when the send is recorded: the send's statement waits for it and
    // counts it. Its sent_at (the send's transaction start) is set to just before, as when the email was accepted
    // while the customer was unsubscribing.
    await b.query('begin');
    await unsubscribe(b, customers[1]!);
    const sending = a.query(
      `update campaign_recipients set status = 'sent', cost = 0.25, sent_at = now() - interval '1 second'
      where campaign_id = $1 and customer_id = $2`,
      [campaignId, customers[1]],
    );
    await new Promise((r) => setTimeout(r, 200));
    await b.query('commit');
    await sending;
    expect(await guardCounts(stack.db.orm, campaignId)).toEqual({ sent: 2, failed: 0, unsubscribed: 2 });
    expect(await guardCounts(stack.db.orm, campaignId)).toEqual(await scanGuardFigures(stack.db.orm, campaignId));

    // An unsubscription before the send is not counted (the scan's unsubscribed_at >= sent_at), nor is a
    // resubscription of someone never sent; one of someone sent is.
    await unsubscribe(a, customers[2]!);
    await markSent(a, customers[2]!);
    await a.query('update customers set unsubscribed_at = null where id = any($1::uuid[])', [[customers[0], customers[3]]]);
    expect(await guardCounts(stack.db.orm, campaignId)).toEqual({ sent: 3, failed: 0, unsubscribed: 1 });
    expect(await guardCounts(stack.db.orm, campaignId)).toEqual(await scanGuardFigures(stack.db.orm, campaignId));
    expect(await ledgerCounts(stack.db.orm, campaignId)).toEqual(await scanCampaignCounts(stack.db.orm, campaignId));
  });
});

test('the migration counts the campaigns that exist from their ledgers', async () => {
  const name = `opsflow_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: stack.db.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(stack.db.url);
  url.pathname = `/${name}`;
  const orm = await openOrm({ clientUrl: url.toString(), poolMax: 2 });
  try {
    const mine = 'Migration20261203161000_campaign_counts';
    const names = readdirSync(fileURLToPath(new URL('../../migrations/', import.meta.url)))
      .filter((f) => f.startsWith('Migration'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    await orm.migrator.up({ to: names[names.indexOf(mine) - 1]! });
    // Two campaigns' ledgers as the sender left them; a customer of the first unsubscribed after their send.
    const conn = orm.em.getConnection();
    const people = Array.from({ length: 6 }, () => randomUUID());
    await conn.execute(
      `insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at, unsubscribed_at)
      select id, id::text, id::text || '@example.com', md5(id::text), now(), now(), case when n = 1 then now() + interval '1 minute' end
      from unnest(?::uuid[]) with ordinality as u(id, n)`,
      [`{${people.join(',')}}`],
    );
    const [first, second] = [randomUUID(), randomUUID()];
    const rows: [string, number, string, string | null, boolean, number][] = [
      ['sent', 0, first, null, false, 0.5],
      ['sent', 1, first, null, true, 0.5],
      ['skipped', 2, first, 'no_consent', false, 0],
      ['skipped', 3, first, 'frequency_cap', false, 0],
      ['failed', 4, first, 'rejected', false, 0],
      ['pending', 5, first, null, false, 0],
      ['deferred', 0, second, 'quiet_hours', true, 0],
      ['skipped', 1, second, null, false, 0],
    ];
    for (const [status, i, campaign, reason, everDeferred, cost] of rows) {
      await conn.execute(
        `insert into campaign_recipients (campaign_id, seq, customer_id, phase, variant, status, reason, ever_deferred, cost, sent_at)
        values (?, ?, ?, 'main', 'default', ?, ?, ?, ?, case when ? = 'sent' then now() end)`,
        [campaign, i + 1, people[i], status, reason, everDeferred, cost, status],
      );
    }
    await orm.migrator.up({ to: mine });
    expect(await ledgerCounts(orm, first)).toEqual({
      audience: 6,
      sent: 2,
      pending: 1,
      deferred: 0,
      failed: 1,
      everDeferred: 1,
      spend: 1,
      skipped: { frequency_cap: 1, no_consent: 1 },
    });
    expect(await guardCounts(orm, first)).toEqual({ sent: 2, failed: 1, unsubscribed: 1 });
    for (const campaign of [first, second]) {
      expect(await ledgerCounts(orm, campaign)).toEqual(await scanCampaignCounts(orm, campaign));
      expect(await guardCounts(orm, campaign)).toEqual(await scanGuardFigures(orm, campaign));
    }
    expect((await ledgerCounts(orm, second)).skipped).toEqual({ unknown: 1 });
  } finally {
    await orm.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});
