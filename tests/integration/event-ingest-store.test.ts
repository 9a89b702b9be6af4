// Storing an ingest batch (db/event-ingest.ts storeEvents, the ingest_events function): customers resolved by id or
// external id, nothing stored when one is unknown, each key stored once with batches racing, last_active_at only ever
// forward, and every customer found by a probe of a key, however many are stored. PostgreSQL only.
import { storeEvents, type NewEvent } from '../../db/event-ingest.ts';
import { eventShardOf } from '../../domain/event-shards.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let db: TestDb;
let customers: { id: string; external_id: string }[];

beforeAll(async () => {
  db = await createTestDb();
  await db.orm.em.getConnection().execute(
    `insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at)
     select gen_random_uuid(), 'ext-' || i, 'c' || i || '@example.com', 'u-' || i, now(), now() from generate_series(1, 5000) i`,
  );
  customers = await db.orm.em.getConnection().execute('select id, external_id from customers order by external_id limit 1200');
});

afterAll(async () => {
  await db?.drop();
});

const sql = <R = Record<string, unknown>>(text: string, params: unknown[] = []) => db.orm.em.getConnection().execute<R[]>(text, params);
const event = (who: Pick<NewEvent, 'customerId' | 'externalId'>, key: string, at = new Date().toISOString()): NewEvent => ({
  ...who,
  type: 'login',
  at,
  amount: null,
  campaignId: null,
  idempotencyKey: key,
});

test('customers by id (any case) or external id; an unknown one stores nothing, moves nothing, and is named by position', async () => {
  const [a, b, c] = customers;
  const bad = await storeEvents(db.orm, [
    event({ customerId: c!.id }, 'unknown-0'),
    event({ externalId: 'nobody' }, 'unknown-1'),
    event({ customerId: '00000000-0000-4000-8000-000000000000' }, 'unknown-2'),
  ]);
  expect(bad).toEqual({ missing: [1, 2] });
  expect(await sql(`select 1 from customer_events where idempotency_key like 'unknown-%'`)).toEqual([]);
  expect(await sql('select last_active_at from customers where id = ?', [c!.id])).toEqual([{ last_active_at: null }]);

  const ok = await storeEvents(db.orm, [
    event({ customerId: a!.id.toUpperCase() }, 'known-0'),
    event({ externalId: b!.external_id }, 'known-1'),
    event({ customerId: a!.id }, 'known-2'),
  ]);
  // Two customers, and the dispatcher shards to wake for them (eventShardOf's, each once).
  expect(ok).toMatchObject({ fresh: 3, customers: 2 });
  expect(ok.missing === undefined && [...ok.shards].sort()).toEqual([...new Set([a!.id, b!.id].map(eventShardOf))].sort());
  const rows = await sql<{ id: string; customer_id: string; idempotency_key: string }>(
    `select id, customer_id, idempotency_key from customer_events where idempotency_key like 'known-%' order by id`,
  );
  // Numbered in the batch's order (the dispatchers deliver by id); the cursor is the last of them.
  expect(rows.map((r) => [r.idempotency_key, r.customer_id])).toEqual([
    ['known-0', a!.id],
    ['known-1', b!.id],
    ['known-2', a!.id],
  ]);
  expect(ok.missing === undefined && ok.cursor).toBe(rows[2]!.id);
});

test("the batch's audit event is written with it, naming the operator and what was answered; a refused batch has none", async () => {
  const [a, b] = customers;
  const operator = '11111111-1111-4111-8111-111111111111';
  const audits = () =>
    sql<{ actor_type: string; actor_id: string; action: string; entity_type: string; entity_id: string; details: unknown }>(
      `select actor_type, actor_id, action, entity_type, entity_id, details from audit_events where actor_id = ? order by id`,
      [operator],
    );
  const refused = await storeEvents(
    db.orm,
    [event({ customerId: a!.id }, 'audit-0'), event({ externalId: 'nobody' }, 'audit-1')],
    operator,
  );
  expect(refused).toEqual({ missing: [1] });
  expect(await audits()).toEqual([]);

  const stored = await storeEvents(
    db.orm,
    [event({ customerId: a!.id }, 'audit-0'), event({ externalId: b!.external_id }, 'audit-1'), event({ customerId: a!.id }, 'audit-0')],
    operator,
  );
  const again = await storeEvents(db.orm, [event({ customerId: a!.id }, 'audit-0')], operator);
  expect(await audits()).toEqual(
    [
      { accepted: 2, received: 3, cursor: stored.missing === undefined && stored.cursor },
      { accepted: 0, received: 1, cursor: again.missing === undefined && again.cursor },
    ].map((details) => ({
      actor_type: 'operator',
      actor_id: operator,
      action: 'events.recorded',
      entity_type: 'customer_event',
      entity_id: 'batch',
      details,
    })),
  );
  await storeEvents(db.orm, [event({ customerId: b!.id }, 'audit-2')]);
  expect(await audits()).toHaveLength(2);
});

test('keys, campaign ids and external ids are stored as sent, whatever their characters; amounts to the cent', async () => {
  const odd = ['say "hi"', 'back\\slash\\', '{a,b}', 'NULL', ' spaced ', 'ünï ☃', "it's", ''];
  const [c] = await sql<{ id: string }>(
    `insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at)
     values (gen_random_uuid(), ?, 'odd@example.com', 'u-odd', now(), now()) returning id`,
    ['ext "odd", \\{NULL}'],
  );
  const events = odd.map((text, i) => ({
    ...event(i % 2 ? { customerId: c!.id } : { externalId: 'ext "odd", \\{NULL}' }, `odd-${i}-${text}`),
    type: 'purchase' as const,
    amount: i === 3 ? null : i + 0.25,
    campaignId: text === '' ? null : text,
  }));
  expect(await storeEvents(db.orm, events)).toMatchObject({ fresh: odd.length, customers: 1 });
  const rows = await sql<{ customer_id: string; amount: string | null; campaign_id: string | null; idempotency_key: string }>(
    `select customer_id, amount, campaign_id, idempotency_key from customer_events where customer_id = ? order by id`,
    [c!.id],
  );
  expect(rows).toEqual(
    events.map((e) => ({
      customer_id: c!.id,
      amount: e.amount === null ? null : e.amount.toFixed(2),
      campaign_id: e.campaignId,
      idempotency_key: e.idempotencyKey,
    })),
  );
});

test('a key repeated in a batch or across batches is stored once; a batch of repeats answers the stored rows as its cursor', async () => {
  const [a] = customers;
  const first = await storeEvents(db.orm, [event({ customerId: a!.id }, 'dup-0'), event({ customerId: a!.id }, 'dup-0')]);
  expect(first).toMatchObject({ fresh: 1 });
  const again = await storeEvents(db.orm, [event({ customerId: a!.id }, 'dup-0')]);
  expect(again).toMatchObject({ fresh: 0, cursor: first.missing === undefined ? first.cursor : 'none' });
  expect(await sql(`select count(*)::int as n from customer_events where idempotency_key = 'dup-0'`)).toEqual([{ n: 1 }]);
});

test('batches racing over the same customers and keys: every key stored once, none lost, last_active_at at the newest event', async () => {
  const who = customers.slice(10, 110);
  const base = Date.parse('2026-11-01T00:00:00Z');
  // 8 batches at once, each naming all 100 customers (every other one in reverse); pairs of batches send the same events.
  const batches = Array.from({ length: 8 }, (_, b) => {
    const pair = Math.floor(b / 2);
    const events = who.map((c, i) =>
      event({ customerId: c.id }, `race-${pair}-${i}`, new Date(base + (pair * 100 + i) * 61_000).toISOString()),
    );
    return b % 2 ? events.reverse() : events;
  });
  const results = await Promise.all(batches.map((events) => storeEvents(db.orm, events)));
  expect(results.reduce((n, r) => n + (r.missing === undefined ? r.fresh : 0), 0)).toBe(400);
  expect(
    await sql(
      `select count(distinct idempotency_key)::int as keys, count(*)::int as n from customer_events where idempotency_key like 'race-%'`,
    ),
  ).toEqual([{ keys: 400, n: 400 }]);
  const newest = await sql<{ ok: boolean }>(
    `select bool_and(c.last_active_at = (select max(e.at) from customer_events e where e.customer_id = c.id)) as ok
     from customers c where c.id = any(?::uuid[])`,
    [`{${who.map((c) => c.id).join(',')}}`],
  );
  expect(newest).toEqual([{ ok: true }]);
});

test("a batch finds its customers by key probes, never a scan of the customers (whose count would set a batch's cost)", async () => {
  const conn = db.orm.em.getConnection();
  await conn.execute('analyze customers');
  const ids = customers.slice(200, 1200).map((c) => c.id);
  const exts = customers.slice(0, 20).map((c) => c.external_id);
  const list = (xs: string[]) => `{${xs.map((x) => `"${x}"`).join(',')}}`;
  await db.orm.em.fork().transactional(async (em) => {
    const q = <R>(text: string, params: unknown[] = []) => em.getConnection().execute<R[]>(text, params, 'all', em.getTransactionContext());
    // This backend's counts not yet reported (they may hold earlier statements' too): the call's are the difference.
    const scans = async () => {
      const [row] = await q<{ seq: string; idx: string }>(
        `select seq_scan as seq, idx_scan as idx from pg_stat_xact_user_tables where relname = 'customers'`,
      );
      return { seq: Number(row!.seq), idx: Number(row!.idx) };
    };
    const before = await scans();
    const n = ids.length + exts.length;
    await q(
      `select * from ingest_events(array_cat(?::uuid[], array_fill(null::uuid, array[?])), array_cat(array_fill(null::text, array[?]), ?::text[]),
         array_fill('login'::text, array[?]), array_fill(now(), array[?]), array_fill(null::numeric, array[?]), array_fill(null::text, array[?]),
         array(select 'probe-' || i from generate_series(1, ?) i), 60000, null)`,
      [list(ids), exts.length, ids.length, list(exts), n, n, n, n, n],
    );
    const after = await scans();
    expect(after.seq - before.seq).toBe(0);
    expect(after.idx - before.idx).toBeGreaterThanOrEqual(n);
  });
  expect(await sql(`select count(*)::int as n from customer_events where idempotency_key like 'probe-%'`)).toEqual([{ n: 1020 }]);
});
