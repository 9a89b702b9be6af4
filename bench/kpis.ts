// `npm run bench:kpis`: GET /kpis from the rollups at BENCH_EVENTS events (10,000,000 over BENCH_CUSTOMERS customers
// and BENCH_DAYS days) against the raw computation in the same run, and what the rollups' trigger costs the statement
// that stores events. Needs only PostgreSQL at DATABASE_URL (a scratch database, dropped at the end unless
// BENCH_KEEP_DB=1); the API runs in this process with a Temporal connection that is never opened (GET /kpis needs
// none). Prints figures and verdicts; fails only on errors or when the two computations disagree.
//
// 1. Loads the events with generate_series in statements of 1,000,000 rows, through the trigger (the rollups are
//    kept as they go), timing each; BENCH_LOAD=rebuild loads with the trigger off and then rebuilds the rollups
//    customer by customer as a new zone's backfill would, timing that.
// 2. The trigger's cost at full size: the same 1,000-row statement (the ingest's shape, today's events of random
//    customers) and the same 1,000,000-row statement with and without the trigger, each in a transaction rolled
//    back, alternated.
// 3. GET /kpis for the last 7, 30 and 90 days, BENCH_CALLS (50) each, against BENCH_RAW_CALLS (2) raw
//    computations per range, and every figure compared.
import { Client, Connection } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { hashToken } from '../api/tokens.ts';
import { Operator } from '../db/entities/index.ts';
import { computeKpis, computeKpisRaw, type KpiReport } from '../db/kpis.ts';
import type { Orm } from '../db/orm.ts';
import { openOrm } from '../db/orm.ts';
import { createTestDb } from '../tests/support/db.ts';
import { fmt, machineLine, percentile, row, serveMeasuredApi, verdict } from './lib.ts';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const EVENTS = int('BENCH_EVENTS', 10_000_000);
const CUSTOMERS = int('BENCH_CUSTOMERS', Math.max(100, Math.round(EVENTS / 50)));
const DAYS = int('BENCH_DAYS', 120);
const CALLS = int('BENCH_CALLS', 50);
const RAW_CALLS = int('BENCH_RAW_CALLS', 2);
const COST_REPEATS = int('BENCH_COST_REPEATS', 20);
const LOAD = process.env.BENCH_LOAD === 'rebuild' ? 'rebuild' : 'trigger';
const CHUNK = 1_000_000;
const REBUILD_BATCH = 5_000; // customers per kpi_rebuild_customers call

const started = performance.now();
const progress = (msg: string) => process.stderr.write(`[${fmt((performance.now() - started) / 1000, 0)}s] ${msg}\n`);
const ms = (t0: number) => performance.now() - t0;
const n0 = (x: number) => Math.round(x).toLocaleString('en-US');

/** BENCH_DB_URL: measure a database an earlier run loaded (kept with BENCH_KEEP_DB=1, or stopped mid-load). */
const REUSED = process.env.BENCH_DB_URL;
const db = REUSED ? { url: REUSED, orm: await openOrm({ clientUrl: REUSED, poolMax: 5 }), drop: async () => {} } : await createTestDb();
const sql = <R = Record<string, unknown>[]>(q: string, params: unknown[] = []) =>
  db.orm.em.getConnection().execute(q, params) as Promise<R>;

/** Customer k's id; customer k signs up at a point spread over the 30 days before the range and the range itself. */
const CUSTOMER_ID = (k: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${k}), 12, '0'))::uuid`;
const SIGNUP = (k: string) =>
  `($end::timestamptz - interval '${DAYS + 30} days' + (abs(hashint4(${k})::bigint) % ${(DAYS + 30) * 86_400}) * interval '1 second')`;

/** Events [first, first + count): mostly active days after the customer's signup, busier early on. */
function eventsSql(first: number, count: number, end: string): string {
  const k = `case when i <= ${CUSTOMERS} then i else 1 + abs(hashint4(i::int)::bigint) % ${CUSTOMERS} end`;
  return `
    select ${CUSTOMER_ID('c.k')} as customer_id, t.type,
      case when i <= ${CUSTOMERS} then c.signup
           when i % 97 = 0 then c.signup - random() * interval '5 days' -- bought or browsed before signing up
           else c.signup + random() ^ 2 * ($end::timestamptz - c.signup) end as at,
      case when t.type = 'purchase' then 5 + (abs(hashint4((i + 7)::int)::bigint) % 20000) / 100.0 end as amount,
      'b' || i as idempotency_key, now() as received_at
    from generate_series(${first}::bigint, ${first + count - 1}::bigint) i
    cross join lateral (select k, ${SIGNUP('k')} as signup from (select (${k})::int as k) x) c
    cross join lateral (select case when i <= ${CUSTOMERS} then 'signup' when i % 100 < 8 then 'purchase'
      when i % 100 < 20 then 'click' when i % 100 < 21 then 'signup' when i % 2 = 0 then 'login' else 'key_action' end as type) t`.replaceAll(
    '$end::timestamptz',
    `'${end}'::timestamptz`,
  );
}

async function load(end: string): Promise<{ loadMs: number; rebuildMs: number | null; chunks: number[] }> {
  await sql(`insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at)
    select ${CUSTOMER_ID('k')}, 'c' || k, 'c' || k || '@example.com', 'u-' || k, now(), now() from generate_series(1, ${CUSTOMERS}) k`);
  // The first CUSTOMERS events are everyone's signup (event i = customer i), the rest spread as eventsSql says.
  const chunks: number[] = [];
  const t0 = performance.now();
  if (LOAD === 'rebuild') await sql('alter table customer_events disable trigger customer_events_kpi_rollups');
  for (let first = 1; first <= EVENTS; first += CHUNK) {
    const t = performance.now();
    const count = Math.min(CHUNK, EVENTS - first + 1);
    await sql(`insert into customer_events (customer_id, type, at, amount, idempotency_key, received_at) ${eventsSql(first, count, end)}`);
    chunks.push(ms(t));
    progress(
      `loaded ${n0(first + count - 1)} events (${fmt(ms(t) / 1000)} s for ${n0(count)}${LOAD === 'trigger' ? ', through the trigger' : ''})`,
    );
  }
  const loadMs = ms(t0);
  let rebuildMs: number | null = null;
  if (LOAD === 'rebuild') {
    await sql('alter table customer_events enable trigger customer_events_kpi_rollups');
    const t1 = performance.now();
    for (let k = 1; k <= CUSTOMERS; k += REBUILD_BATCH) {
      await sql(
        `select kpi_rebuild_customers('UTC', array(select ${CUSTOMER_ID('k')} from generate_series(${k}, ${Math.min(CUSTOMERS, k + REBUILD_BATCH - 1)}) k))`,
      );
    }
    rebuildMs = ms(t1);
    progress(`rebuilt the UTC rollups in ${fmt(rebuildMs / 1000)} s`);
  }
  // As autovacuum would by now: the raw query's plan needs the events' statistics.
  for (const t of ['customer_events', 'kpi_active_days', 'kpi_days', 'kpi_cohort_members', 'kpi_cohorts']) await sql(`analyze ${t}`);
  return { loadMs, rebuildMs, chunks };
}

/** One statement's time inside a transaction that is then rolled back, with the trigger on or off. */
async function timedRolledBack(orm: Orm, statement: string, params: unknown[], trigger: boolean): Promise<number> {
  const em = orm.em.fork();
  let took = 0;
  await em
    .transactional(async (tx) => {
      const ctx = tx.getTransactionContext();
      const conn = tx.getConnection();
      if (!trigger) await conn.execute(`set local session_replication_role = replica`, [], 'all', ctx);
      const t = performance.now();
      await conn.execute(statement, params, 'all', ctx);
      took = ms(t);
      throw new RolledBack();
    })
    .catch((err: unknown) => {
      if (!(err instanceof RolledBack)) throw err;
    });
  return took;
}
class RolledBack extends Error {}

async function triggerCost(orm: Orm): Promise<{ small: { on: number[]; off: number[] }; big: { on: number[]; off: number[] } }> {
  // The ingest's statement (api/routes/events.ts): a JSON batch of today's events for random customers.
  const batch = () =>
    JSON.stringify(
      Array.from({ length: 1000 }, (_, i) => {
        const k = 1 + Math.floor(Math.random() * CUSTOMERS);
        return {
          customer_id: `00000000-0000-4000-8000-${k.toString(16).padStart(12, '0')}`,
          type: i % 10 === 0 ? 'purchase' : 'login',
          at: new Date(Date.now() - Math.random() * 3_600_000).toISOString(),
          amount: i % 10 === 0 ? 19.99 : null,
          campaign_id: null,
          idempotency_key: `cost-${randomBytes(8).toString('hex')}`,
        };
      }),
    );
  const small = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < COST_REPEATS; i++) {
    for (const trigger of i % 2 === 0 ? [true, false] : [false, true]) {
      const took = await timedRolledBack(
        orm,
        `insert into customer_events (customer_id, type, at, amount, campaign_id, idempotency_key, received_at)
         select x.customer_id, x.type, x.at, x.amount, x.campaign_id, x.idempotency_key, now()
         from jsonb_to_recordset(?::jsonb) as x(customer_id uuid, type text, at timestamptz, amount numeric, campaign_id text, idempotency_key text)
         on conflict (idempotency_key) do nothing`,
        [batch()],
        trigger,
      );
      (trigger ? small.on : small.off).push(took);
    }
  }
  progress(`1,000-row statement: trigger on ${fmt(percentile(small.on, 50))} ms, off ${fmt(percentile(small.off, 50))} ms (p50)`);
  const big = { on: [] as number[], off: [] as number[] };
  const end = new Date().toISOString();
  for (const trigger of process.env.BENCH_COST_BIG === '0' ? [] : [false, true]) {
    const took = await timedRolledBack(
      orm,
      `insert into customer_events (customer_id, type, at, amount, idempotency_key, received_at)
       select customer_id, type, at, amount, 'x' || idempotency_key, received_at from (${eventsSql(EVENTS + 1, CHUNK, end)}) e`,
      [],
      trigger,
    );
    (trigger ? big.on : big.off).push(took);
    progress(`1,000,000-row statement, trigger ${trigger ? 'on' : 'off'}: ${fmt(took / 1000)} s`);
  }
  return { small, big };
}

const sameFigures = (a: KpiReport, b: KpiReport) => JSON.stringify({ ...a, source: '' }) === JSON.stringify({ ...b, source: '' });

try {
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
  console.log(machineLine('bench:kpis'));
  if (REUSED) {
    const [{ n, c }] = await sql<[{ n: number; c: number }]>(
      'select count(*)::int as n, count(distinct customer_id)::int as c from customer_events',
    );
    console.log(
      `reusing ${REUSED.split('/').at(-1)}: ${n0(n)} events of ${n0(c)} customers as stored (BENCH_EVENTS and BENCH_CUSTOMERS below describe the generator)`,
    );
  }
  console.log(
    `${n0(EVENTS)} events, ${n0(CUSTOMERS)} customers, over the ${DAYS} days to ${end} and the 30 before; loaded ${LOAD === 'trigger' ? 'through the trigger' : 'with the trigger off, then rebuilt'}`,
  );
  console.log("The machine's 2 cores are shared with other sessions: absolute times vary with their load; ratios in one run hold better.");
  progress(`loading into ${db.url.split('/').at(-1)}`);
  const loaded = REUSED ? { loadMs: NaN, rebuildMs: null, chunks: [] } : await load(end);
  if (REUSED) await sql('analyze customer_events; analyze kpi_days');
  const [size] = await sql<[{ days: number; summaries: number; cohorts: number; events_mb: number; rollups_mb: number }]>(
    `select (select count(*)::int from kpi_active_days) as days, (select count(*)::int from kpi_days) as summaries,
       (select count(*)::int from kpi_cohorts) as cohorts,
       (pg_total_relation_size('customer_events') / 1048576)::int as events_mb,
       ((pg_total_relation_size('kpi_active_days') + pg_total_relation_size('kpi_days')
         + pg_total_relation_size('kpi_cohort_members') + pg_total_relation_size('kpi_cohorts')) / 1048576)::int as rollups_mb`,
  );

  progress("the trigger's cost");
  const cost = await triggerCost(db.orm);

  const api = await serveMeasuredApi({
    dbUrl: db.url,
    client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    taskQueue: 'bench-kpis',
    pool: 10,
  });
  const em = db.orm.em.fork();
  const token = `opf_bench_${randomBytes(16).toString('hex')}`;
  em.create(Operator, {
    id: randomUUID(),
    name: 'Bench analyst',
    email: 'analyst@bench.example',
    roles: ['analyst'],
    tokenHash: hashToken(token),
    disabled: false,
  });
  await em.flush();

  const today = end.slice(0, 10);
  const daysBack = (n: number) => new Date(Date.parse(today) - n * 86_400_000).toISOString().slice(0, 10);
  const results: { days: number; api: number[]; raw: number[]; same: boolean; apiSame: boolean }[] = [];
  for (const days of [7, 30, 90]) {
    const range = { from: daysBack(days - 1), to: today, tz: 'UTC' };
    const url = `${api.baseUrl}/kpis?from=${range.from}&to=${range.to}&tz=UTC`;
    const get = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET /kpis answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as KpiReport;
    };
    for (let i = 0; i < 3; i++) await get(); // JIT, zod, the pool's connections
    const latencies: number[] = [];
    let body!: KpiReport;
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      body = await get();
      latencies.push(ms(t));
    }
    const now = new Date();
    const rollup = await computeKpis(db.orm, { ...range, now });
    const raw: number[] = [];
    let rawReport!: KpiReport;
    for (let i = 0; i < RAW_CALLS; i++) {
      const t = performance.now();
      rawReport = await computeKpisRaw(db.orm, { ...range, now });
      raw.push(ms(t));
    }
    if (body.source !== 'rollup' || rollup.source !== 'rollup') throw new Error(`UTC answered from ${body.source}, not the rollups`);
    results.push({ days, api: latencies, raw, same: sameFigures(rollup, rawReport), apiSame: sameFigures(body, rollup) });
    progress(`${days} days: GET /kpis p50 ${fmt(percentile(latencies, 50))} ms, raw ${fmt(percentile(raw, 50))} ms`);
    if (!sameFigures(rollup, rawReport)) {
      console.error(JSON.stringify({ rollup, raw: rawReport }));
    }
  }
  await api.close();

  const widths = [34, 12, 12, 12, 12];
  console.log('');
  if (!REUSED) {
    console.log(
      `load: ${fmt(loaded.loadMs / 1000)} s for ${n0(EVENTS)} events (${n0(EVENTS / (loaded.loadMs / 1000))}/s${LOAD === 'trigger' ? ', rollups kept by the trigger' : ', trigger off'}; ` +
        `per 1,000,000-row statement ${loaded.chunks.map((c) => fmt(c / 1000)).join(', ')} s)` +
        (loaded.rebuildMs === null ? '' : `; rollups rebuilt in ${fmt(loaded.rebuildMs / 1000)} s`),
    );
  }
  console.log(
    `sizes: ${n0(size.days)} customer active days, ${n0(size.summaries)} day summaries, ${n0(size.cohorts)} cohort days; customer_events ${n0(size.events_mb)} MiB, rollups ${n0(size.rollups_mb)} MiB`,
  );
  console.log('');
  console.log(row(['trigger cost (rolled back)', 'off p50 ms', 'on p50 ms', 'on p90 ms', 'off/on'], widths));
  for (const [name, c] of [
    [`1,000 rows, ${COST_REPEATS} each`, cost.small],
    ['1,000,000 rows, 1 each', cost.big],
  ] as const) {
    if (c.on.length)
      console.log(
        row(
          [
            name,
            fmt(percentile(c.off, 50)),
            fmt(percentile(c.on, 50)),
            fmt(percentile(c.on, 90)),
            `${fmt(percentile(c.off, 50) / percentile(c.on, 50), 2)}x`,
          ],
          widths,
        ),
      );
  }
  console.log('');
  console.log(row(['GET /kpis (UTC, rollups)', 'p50 ms', 'p99 ms', 'raw ms', 'same figures'], widths));
  for (const r of results) {
    console.log(
      row(
        [
          `${r.days} days (${CALLS} calls, raw ${RAW_CALLS})`,
          fmt(percentile(r.api, 50)),
          fmt(percentile(r.api, 99)),
          fmt(percentile(r.raw, 50)),
          r.same && r.apiSame ? 'yes' : 'NO',
        ],
        widths,
      ),
    );
  }
  const r90 = results.find((r) => r.days === 90)!;
  console.log('');
  console.log(
    `GET /kpis over 90 days p99 <= 100 ms: ${fmt(percentile(r90.api, 99))} ms, ${verdict(percentile(r90.api, 99) <= 100)}; ` +
      `${fmt(percentile(r90.raw, 50) / percentile(r90.api, 50), 0)}x faster than the raw computation`,
  );
  console.log(
    `1,000-row statement with the trigger at ${fmt(percentile(cost.small.off, 50) / percentile(cost.small.on, 50), 2)}x the bare statement's rate ` +
      `(the ingest bench asks stored/s through the API >= 0.5x a bare COPY)`,
  );
  if (results.some((r) => !r.same || !r.apiSame)) {
    process.exitCode = 1;
    console.log('the rollups and the raw computation disagree (figures above on stderr)');
  }
} finally {
  if (process.env.BENCH_KEEP_DB === '1' || REUSED) {
    console.log(`kept ${db.url}`);
    if (REUSED) await db.orm.close();
  } else await db.drop();
}
