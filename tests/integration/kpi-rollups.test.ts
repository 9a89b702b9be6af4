// The KPI rollups against the raw computation on the same events: a seeded random history stored out of order, in
// batches of every size (some at once from several connections), with repeated signups, purchases before the signup,
// duplicates, and zones with a DST change and a half-hour offset, one of them added and backfilled while events
// keep arriving; and a batch naming a customer another writer holds, whose events are deferred and folded later.
import pg from 'pg';
import type { Orm } from '../../db/orm.ts';
import { computeKpis, computeKpisRaw } from '../../db/kpis.ts';
import { addKpiZone, backfillKpiZoneBatch, hasRollups } from '../../db/kpi-rollups.ts';
import { createTestDb, holdCustomers, type StoredEventRow, type TestDb } from '../support/db.ts';
import { random } from '../support/random.ts';

const NOW = new Date('2026-04-20T12:00:00Z');
const DAY = 86_400_000;

type Ev = StoredEventRow;

/** 80 customers over 2025-12-01..2026-04-19: bursts of activity with gaps, some bursts near local midnights. */
function history(seed: number): Ev[] {
  const rnd = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const start = Date.parse('2025-12-01T00:00:00Z');
  const span = Date.parse('2026-04-19T23:00:00Z') - start;
  const events: Ev[] = [];
  for (let c = 0; c < 80; c++) {
    const customer = `00000000-0000-4000-8000-${String(c).padStart(12, '0')}`;
    const signupAt = start + Math.floor(rnd() * span);
    if (rnd() < 0.85) events.push({ customer, type: 'signup', at: new Date(signupAt).toISOString(), amount: null, key: '' });
    if (rnd() < 0.15)
      events.push({ customer, type: 'signup', at: new Date(signupAt + rnd() * 40 * DAY).toISOString(), amount: null, key: '' });
    let t = signupAt - (rnd() < 0.2 ? rnd() * 20 * DAY : 0); // some are active (and buy) before they sign up
    const n = Math.floor(rnd() * 30);
    for (let i = 0; i < n; i++) {
      t += pick([0.3, 1, 1, 1, 2, 6, 7, 8, 23, 29, 30, 31, 45]) * DAY + (rnd() - 0.5) * 6 * 3_600_000;
      const at = Math.min(Date.parse('2026-04-19T23:59:00Z'), t);
      const type = pick(['login', 'login', 'key_action', 'purchase', 'click']);
      events.push({
        customer,
        type,
        at: new Date(at).toISOString(),
        amount: type === 'purchase' ? Math.round(rnd() * 20_000) / 100 : null,
        key: '',
      });
    }
  }
  // Shuffled: late and out-of-order arrivals.
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return events.map((e, i) => ({ ...e, key: `h${seed}-${i}` }));
}

async function seedCustomers(orm: Orm, events: Ev[]) {
  const ids = [...new Set(events.map((e) => e.customer))];
  await orm.em.getConnection().execute(
    `insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at)
     select id, id::text, id::text || '@example.com', 'u-' || id::text, now(), now() from unnest(?::uuid[]) id
     on conflict do nothing`,
    [`{${ids.join(',')}}`],
  );
}

async function store(orm: Orm, batch: Ev[]) {
  await orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into customer_events (customer_id, type, at, amount, idempotency_key, received_at)
     select x.customer_id, x.type, x.at, x.amount, x.key, now()
     from jsonb_to_recordset(?::jsonb) as x(customer_id uuid, type text, at timestamptz, amount numeric, key text)
     on conflict (idempotency_key) do nothing`,
      [JSON.stringify(batch.map((e) => ({ customer_id: e.customer, type: e.type, at: e.at, amount: e.amount, key: e.key })))],
    );
}

/** Stores the events in random-sized batches, `parallel` batches at a time; every tenth batch is stored twice. */
async function storeInBatches(orm: Orm, events: Ev[], seed: number, parallel: number) {
  const rnd = random(seed);
  const batches: Ev[][] = [];
  for (let i = 0; i < events.length;) {
    const size = 1 + Math.floor(rnd() * 60);
    batches.push(events.slice(i, i + size));
    i += size;
  }
  for (let i = 0; i < batches.length; i += parallel) {
    await Promise.all(
      batches
        .slice(i, i + parallel)
        .map((b, j) =>
          store(orm, (i + j) % 10 === 0 ? [...b, ...b.slice(0, 3)] : b).then(() => ((i + j) % 10 === 0 ? store(orm, b) : undefined)),
        ),
    );
  }
}

const RANGES: [string, string][] = [
  ['2026-03-08', '2026-03-08'], // New York's spring forward
  ['2026-03-01', '2026-03-07'],
  ['2026-03-20', '2026-04-19'],
  ['2026-01-20', '2026-04-19'], // 90 days
  ['2025-04-20', '2026-04-20'], // 366 days, starting before any event
  ['2025-11-01', '2025-11-30'], // before any event: MAU still empty
  ['2026-04-18', '2026-05-30'], // runs past the last event and past now
];

async function expectSameFigures(orm: Orm, tz: string) {
  expect(await hasRollups(orm, tz)).toBe(true);
  for (const [from, to] of RANGES) {
    const rollup = await computeKpis(orm, { from, to, tz, now: NOW });
    const raw = await computeKpisRaw(orm, { from, to, tz, now: NOW });
    expect(rollup.source).toBe('rollup');
    expect(raw.source).toBe('raw');
    expect({ ...rollup, source: 'raw' }).toEqual(raw);
  }
}

const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata'];

/** Stores `batch`, answering 'stored', or 'waited' when it has not returned after 10 s (the store goes on). */
async function storeWithoutWaiting(orm: Orm, batch: Ev[]) {
  let timer: NodeJS.Timeout | undefined;
  const stored = store(orm, batch);
  const outcome = await Promise.race([
    stored.then(() => 'stored' as const),
    new Promise<'waited'>((resolve) => (timer = setTimeout(() => resolve('waited'), 10_000))),
  ]);
  clearTimeout(timer);
  return { outcome, stored };
}

async function deferredEvents(orm: Orm) {
  return orm.em
    .getConnection()
    .execute<{ customer_id: string; n: number }[]>('select customer_id, count(*)::int as n from kpi_deferred_events group by 1 order by 1');
}

/** The aggregate tables, zero rows left out, to compare incremental upkeep with a rebuild from scratch. */
async function aggregates(orm: Orm) {
  const conn = orm.em.getConnection();
  return {
    days: await conn.execute(`select tz, day::text, purchases::int, gmv::text, actives::text from kpi_days
      where purchases <> 0 or 0 <> any(actives) order by 1, 2`),
    cohorts: await conn.execute(`select tz, day::text, size, r1, r7, r30, converted from kpi_cohorts
      where (size, r1, r7, r30, converted) <> (0, 0, 0, 0, 0) order by 1, 2`),
  };
}

describe('KPI rollups', () => {
  let db: TestDb;
  const events = history(15);
  beforeAll(async () => {
    db = await createTestDb();
    await seedCustomers(db.orm, events);
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('kept by the trigger through out-of-order, duplicate and concurrent batches: the same figures as the raw events in UTC', async () => {
    const half = Math.floor(events.length / 2);
    await storeInBatches(db.orm, events.slice(0, half), 1, 1);
    await storeInBatches(db.orm, events.slice(half), 2, 4);
    const [{ n }] = await db.orm.em.getConnection().execute<[{ n: number }]>('select count(*)::int as n from customer_events');
    expect(n).toBe(events.length);
    await expectSameFigures(db.orm, 'UTC');
  });

  test('a zone added later is kept for new events at once and, once backfilled while events keep coming, is exact', async () => {
    const more = history(16);
    await seedCustomers(db.orm, more);
    expect(await addKpiZone(db.orm, 'America/New_York')).toBe(true);
    expect(await addKpiZone(db.orm, 'Asia/Kolkata')).toBe(true);
    expect(await addKpiZone(db.orm, 'Asia/Kolkata')).toBe(false);
    // Not ready: the raw events answer.
    expect((await computeKpis(db.orm, { from: '2026-03-01', to: '2026-03-07', tz: 'Asia/Kolkata', now: NOW })).source).toBe('raw');

    const quarter = Math.floor(more.length / 4);
    await storeInBatches(db.orm, more.slice(0, quarter), 3, 2);
    let step = 0;
    for (const tz of ['America/New_York', 'Asia/Kolkata']) {
      let cursor: string | null = null;
      do {
        cursor = await backfillKpiZoneBatch(db.orm, tz, cursor, 7);
        // Events for customers already rebuilt and for those still to come, between the batches.
        const slice = more.slice(quarter + step * 25, quarter + (step + 1) * 25);
        if (slice.length) await storeInBatches(db.orm, slice, 10 + step, 2);
        step++;
      } while (cursor !== null);
    }
    await storeInBatches(db.orm, more.slice(quarter + step * 25), 4, 3);
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) await expectSameFigures(db.orm, tz);
  });

  test('active days further apart than any range, or exactly a range apart, count right and re-link when a day between them arrives', async () => {
    const login = (n: string, at: string): Ev => ({
      customer: `00000000-0000-4000-8000-00000000${n}`,
      type: 'login',
      at,
      amount: null,
      key: `far-${n}-${at}`,
    });
    const far: Ev[] = [
      { customer: '00000000-0000-4000-8000-00000000f001', type: 'signup', at: '2024-01-10T10:00:00Z', amount: null, key: 'far1' },
      { customer: '00000000-0000-4000-8000-00000000f001', type: 'purchase', at: '2026-03-02T10:00:00Z', amount: 5, key: 'far2' },
      login('f002', '2024-06-01T10:00:00Z'),
      login('f002', '2026-04-01T10:00:00Z'),
      // 365, 366 and 367 days before 2026-03-01: the last indexes of a day's actives and just past them.
      login('f003', '2025-03-01T10:00:00Z'),
      login('f003', '2026-03-01T10:00:00Z'),
      login('f004', '2025-02-28T10:00:00Z'),
      login('f004', '2026-03-01T10:00:00Z'),
      login('f005', '2025-02-27T10:00:00Z'),
      login('f005', '2026-03-01T10:00:00Z'),
    ];
    await seedCustomers(db.orm, far);
    await store(db.orm, far);
    const ranges: [string, string][] = [
      ['2025-03-01', '2026-03-01'],
      ['2025-03-02', '2026-03-01'],
      ['2025-02-28', '2026-02-28'],
      ['2025-02-27', '2026-02-27'],
      ['2026-02-01', '2026-04-19'],
      ['2024-01-01', '2024-12-31'],
    ];
    const same = async () => {
      for (const [from, to] of ranges) {
        const rollup = await computeKpis(db.orm, { from, to, tz: 'UTC', now: NOW });
        expect({ ...rollup, source: 'raw' }).toEqual(await computeKpisRaw(db.orm, { from, to, tz: 'UTC', now: NOW }));
      }
    };
    await same();
    await store(db.orm, [
      { customer: '00000000-0000-4000-8000-00000000f001', type: 'login', at: '2025-02-01T10:00:00Z', amount: null, key: 'far5' },
      { customer: '00000000-0000-4000-8000-00000000f002', type: 'login', at: '2025-12-24T10:00:00Z', amount: null, key: 'far6' },
      login('f003', '2025-09-01T10:00:00Z'),
      login('f004', '2026-02-28T10:00:00Z'),
      login('f005', '2025-02-28T10:00:00Z'),
    ]);
    await same();
  });

  test('rebuilding every customer from scratch gives the tables the trigger kept', async () => {
    const before = await aggregates(db.orm);
    expect(before.days.length).toBeGreaterThan(100);
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
      await db.orm.em
        .getConnection()
        .execute('select kpi_rebuild_customers(?, array(select distinct customer_id from customer_events))', [tz]);
    }
    expect(await aggregates(db.orm)).toEqual(before);
  });

  test("a batch reads only its own customers' rollup rows, however many customers are stored", async () => {
    const customer = (i: number) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
    const many: Ev[] = Array.from({ length: 2000 }, (_, i) => ({
      customer: customer(i),
      type: 'signup',
      at: '2026-04-19T08:00:00Z',
      amount: null,
      key: `many-${i}`,
    }));
    const batch: Ev[] = [2000, 2001, 2002, 2003, 2004].flatMap((i) => [
      { customer: customer(i), type: 'signup', at: '2026-04-19T09:00:00Z', amount: null, key: `few-${i}` },
      { customer: customer(i), type: 'purchase', at: '2026-04-19T09:30:00Z', amount: 12.5, key: `few-${i}-p` },
      { customer: customer(i - 2000), type: 'purchase', at: '2026-04-19T09:30:00Z', amount: 3, key: `few-${i}-q` },
    ]);
    await seedCustomers(db.orm, [...many, ...batch]);
    for (let i = 0; i < many.length; i += 500) await store(db.orm, many.slice(i, i + 500));
    // The rows the insert reads from the per-customer rollup tables (its triggers' reads included): the difference
    // of the backend's counters around it (they may also hold earlier transactions' reads, not yet flushed).
    const read = await db.orm.em.fork().transactional(async (em) => {
      const conn = em.getConnection();
      const ctx = em.getTransactionContext();
      const counters = () =>
        conn.execute<{ relname: string; n: number }[]>(
          `select relname, (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int as n from pg_stat_xact_user_tables
           where relname in ('kpi_cohort_members', 'kpi_active_days') order by 1`,
          [],
          'all',
          ctx,
        );
      const before = await counters();
      await conn.execute(
        `insert into customer_events (customer_id, type, at, amount, idempotency_key, received_at)
         select x.customer_id, x.type, x.at, x.amount, x.key, now()
         from jsonb_to_recordset(?::jsonb) as x(customer_id uuid, type text, at timestamptz, amount numeric, key text)`,
        [JSON.stringify(batch.map((e) => ({ customer_id: e.customer, type: e.type, at: e.at, amount: e.amount, key: e.key })))],
        'all',
        ctx,
      );
      const after = await counters();
      return after.map((r) => ({ relname: r.relname, n: r.n - (before.find((b) => b.relname === r.relname)?.n ?? 0) }));
    });
    // 10 customers in 3 zones: a few probes each (the old plans, before statistics, read every member of a zone).
    expect(read).toHaveLength(2);
    for (const r of read) expect(r.n).toBeLessThan(200);
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) await expectSameFigures(db.orm, tz);
  });

  test("a batch naming a customer another writer holds does not wait: that customer's events are deferred, left out of a rebuild, and folded in for the reader", async () => {
    const x = '00000000-0000-4000-a000-000000000001';
    const y = '00000000-0000-4000-a000-000000000002';
    const ev = (customer: string, type: string, at: string, key: string, amount: number | null = null): Ev => ({
      customer,
      type,
      at,
      amount,
      key,
    });
    const evs = [
      ev(x, 'signup', '2026-04-10T08:00:00Z', 'hold-1'),
      // x's purchase and its day-7 return come while the first batch holds x.
      ev(x, 'purchase', '2026-04-11T08:00:00Z', 'hold-2', 20),
      ev(x, 'login', '2026-04-17T08:00:00Z', 'hold-3'),
      ev(y, 'signup', '2026-04-11T09:00:00Z', 'hold-4'),
      ev(y, 'purchase', '2026-04-12T09:00:00Z', 'hold-5', 7.5),
    ];
    await seedCustomers(db.orm, evs);
    const holder = await holdCustomers(db.url, [evs[0]!]);
    let second: Awaited<ReturnType<typeof storeWithoutWaiting>> | undefined;
    try {
      second = await storeWithoutWaiting(db.orm, evs.slice(1));
      expect(second.outcome).toBe('stored');
      // x's two events wait for the fold; y's are in already.
      expect(await deferredEvents(db.orm)).toEqual([{ customer_id: x, n: 2 }]);
      const members = await db.orm.em
        .getConnection()
        .execute<{ customer_id: string }[]>(`select customer_id from kpi_cohort_members where tz = 'UTC' and customer_id in (?, ?)`, [
          x,
          y,
        ]);
      expect(members.map((m) => m.customer_id)).toEqual([y]);
    } finally {
      await holder.commit();
      await second?.stored;
    }
    // A rebuild now leaves x's deferred events to the fold: counting them here too would count them twice.
    for (const tz of ZONES) {
      await db.orm.em.getConnection().execute('select kpi_rebuild_customers(?, ?::uuid[])', [tz, `{${x},${y}}`]);
    }
    expect(await deferredEvents(db.orm)).toHaveLength(1);
    for (const tz of ZONES) await expectSameFigures(db.orm, tz);
    expect(await deferredEvents(db.orm)).toEqual([]);
  });

  test("a reader waits for another fold's deferred events, so its answer holds them", async () => {
    const w1 = '00000000-0000-4000-a000-000000000004';
    const w2 = '00000000-0000-4000-a000-000000000005';
    // w1 in March, w2 in April: no day row in common, which would make the reader wait for the fold anyway.
    const ev = (customer: string, i: number): Ev => ({
      customer,
      type: i % 7 === 0 ? 'purchase' : 'login',
      at: new Date(Date.parse(customer === w1 ? '2026-03-01T12:00:00Z' : '2026-04-01T12:00:00Z') + (i % 18) * DAY).toISOString(),
      amount: i % 7 === 0 ? 3 : null,
      key: `page-${customer}-${i}`,
    });
    // 1,000 deferred events of w1, then 500 of w2.
    const evs = [...Array.from({ length: 1000 }, (_, i) => ev(w1, i)), ...Array.from({ length: 500 }, (_, i) => ev(w2, i))];
    await seedCustomers(db.orm, evs);
    const holder = await holdCustomers(db.url, [
      { ...ev(w1, 0), key: 'page-held-1' },
      { ...ev(w2, 0), key: 'page-held-2' },
    ]);
    try {
      expect((await storeWithoutWaiting(db.orm, evs)).outcome).toBe('stored');
    } finally {
      await holder.commit();
    }
    expect(await deferredEvents(db.orm)).toEqual([
      { customer_id: w1, n: 1000 },
      { customer_id: w2, n: 500 },
    ]);
    // Another fold (a dispatcher's) has applied w1's and not committed yet: a reader that passed over them would
    // answer without w1's events, and not wait.
    const fold = new pg.Client({ connectionString: db.url });
    await fold.connect();
    let reading: Promise<unknown> | undefined;
    try {
      await fold.query('begin');
      expect((await fold.query('select kpi_fold_deferred(1000, false) as n')).rows[0].n).toBe(1000);
      reading = computeKpis(db.orm, { from: '2026-03-01', to: '2026-04-19', tz: 'UTC', now: NOW });
      // Seen from outside the fold's transaction, whose view of the activity is taken once.
      for (let waited = 0; ; waited += 50) {
        const [{ n }] = await db.orm.em
          .getConnection()
          .execute<[{ n: number }]>(
            `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'select kpi_fold_deferred%'`,
          );
        if (n > 0) break;
        if (waited > 10_000) throw new Error('the reader did not wait for the other fold');
        await new Promise((r) => setTimeout(r, 50));
      }
      await fold.query('commit');
    } finally {
      await fold.end();
    }
    await reading;
    expect(await deferredEvents(db.orm)).toEqual([]);
    for (const tz of ZONES) await expectSameFigures(db.orm, tz);
  });

  test('the migration to deferred events: its down folds what was deferred and goes back to the waiting trigger; up again changes no figure', async () => {
    const migration = 'Migration20261204160000_kpi_deferred_events';
    const z = '00000000-0000-4000-a000-000000000003';
    const evs: Ev[] = [
      { customer: z, type: 'signup', at: '2026-04-12T08:00:00Z', amount: null, key: 'mig-1' },
      { customer: z, type: 'purchase', at: '2026-04-13T08:00:00Z', amount: 9, key: 'mig-2' },
    ];
    await seedCustomers(db.orm, evs);
    const holder = await holdCustomers(db.url, [evs[0]!]);
    try {
      expect((await storeWithoutWaiting(db.orm, evs.slice(1))).outcome).toBe('stored');
    } finally {
      await holder.commit();
    }
    expect(await deferredEvents(db.orm)).toEqual([{ customer_id: z, n: 1 }]);
    const table = async () =>
      (await db.orm.em.getConnection().execute<{ t: string | null }[]>(`select to_regclass('kpi_deferred_events')::text as t`))[0]!.t;
    await db.orm.migrator.down({ migrations: [migration] });
    expect(await table()).toBeNull();
    // The deferred purchase went in on the way down (the readers' fold is gone with it).
    const days = await db.orm.em
      .getConnection()
      .execute<{ tz: string; day: string; purchases: number }[]>(
        `select tz, day::text, purchases from kpi_active_days where customer_id = ? order by 1, 2`,
        [z],
      );
    expect(days).toEqual(
      [...ZONES].sort().flatMap((tz) => [
        { tz, day: '2026-04-12', purchases: 0 },
        { tz, day: '2026-04-13', purchases: 1 },
      ]),
    );
    const more = history(19);
    await seedCustomers(db.orm, more);
    await storeInBatches(db.orm, more.slice(0, 150), 7, 3);
    await db.orm.migrator.up({ migrations: [migration] });
    expect(await table()).toBe('kpi_deferred_events');
    await storeInBatches(db.orm, more.slice(150), 8, 4);
    for (const tz of ZONES) await expectSameFigures(db.orm, tz);
  });

  test('the migration to keyed triggers changes no figure, and its down goes back to the previous triggers', async () => {
    const migration = 'Migration20261204050000_kpi_rollups_keyed';
    const kept = async () =>
      (
        await db.orm.em
          .getConnection()
          .execute<{ n: number }[]>(`select count(*)::int as n from pg_proc where proname like '%\\_by\\_joins'`)
      )[0]!.n;
    expect(await kept()).toBe(2);
    await db.orm.migrator.down({ migrations: [migration] });
    expect(await kept()).toBe(0);
    const more = history(18);
    await seedCustomers(db.orm, more);
    await storeInBatches(db.orm, more.slice(0, 200), 5, 2);
    await db.orm.migrator.up({ migrations: [migration] });
    expect(await kept()).toBe(2);
    await storeInBatches(db.orm, more.slice(200), 6, 3);
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) await expectSameFigures(db.orm, tz);
  });

  test('the migration to day summaries fills them from the days already stored, and its down goes back to the gap pairs', async () => {
    const migration = 'Migration20261203224000_kpi_day_actives';
    const before = await aggregates(db.orm);
    await db.orm.migrator.down({ migrations: [migration] });
    // The previous trigger keeps its gap pairs meanwhile.
    await store(db.orm, history(17).slice(0, 150));
    await db.orm.migrator.up({ migrations: [migration] });
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) await expectSameFigures(db.orm, tz);
    const after = await aggregates(db.orm);
    expect(after.days.length).toBeGreaterThanOrEqual(before.days.length);
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
      await db.orm.em
        .getConnection()
        .execute('select kpi_rebuild_customers(?, array(select distinct customer_id from customer_events))', [tz]);
    }
    expect(await aggregates(db.orm)).toEqual(after);
  });
});
