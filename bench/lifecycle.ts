// `npm run bench:lifecycle`: customer lifecycles at scale, on a local dev server and PostgreSQL.
// Part 1: importing customers and storing one signup event each through the API (POST /customers, POST /events;
// asynchronous ingest stores them, the shard dispatchers deliver them once a worker runs). Part 2: the resident
// memory of a worker process that delivers every signup and brings every lifecycle to idle with a cache far smaller
// than their number, sampled at each tenth of the lifecycles idle, with its growth per 10,000 evicted lifecycles.
// Part 3: how long an event takes to reach an evicted lifecycle (and, for contrast, a cached one). Prints figures
// and verdicts; never fails on timings.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import pg from 'pg';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { loadConfig } from '../runtime/config.ts';
import { ALLOCATOR_ENV } from '../worker/allocator.ts';
import { explicitHeapLimit, workflowHeapPlan } from '../worker/heap.ts';
import { startStack } from '../tests/support/stack.ts';
import { customerLifecycleId } from '../domain/ids.ts';
import { getLifecycle } from '../workflows/lifecycle.messages.ts';
import type { customerLifecycle } from '../workflows/lifecycle.ts';
import { DEFAULT_LIFECYCLE_POLICY, type LifecyclePolicy } from '../domain/lifecycle.types.ts';
import { fmt, machineLine, percentile, row, runConcurrent, verdict, type Run, serveMeasuredApi, workerEnv } from './lib.ts';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CUSTOMERS = int('BENCH_CUSTOMERS', 20_000);
// An importer's batch: a tenth of the API's 10,000 limit keeps each request well under a second and its body ~100 kB.
const BATCH = int('BENCH_BATCH', 1000);
/** Requests the importer keeps in flight. */
const REQUESTS = int('BENCH_REQUESTS', 2);
const EVICTED_SAMPLES = int('BENCH_EVICTED', 200);
const CACHED_SAMPLES = int('BENCH_CACHED', 50);
const SETTLE_MS = int('BENCH_SETTLE_MS', 15_000);
/** The worker's cache (WORKER_MAX_CACHED_WORKFLOWS); unset: the product's default from runtime/config.ts. */
const WORKER_CACHE = process.env.BENCH_WORKER_CACHE ?? String(loadConfig({}).WORKER_MAX_CACHED_WORKFLOWS);
/** The worker runs with the product's allocator settings (npm run start:worker, the image); BENCH_MALLOC_ARENA_MAX changes them. */
const ARENAS = process.env.BENCH_MALLOC_ARENA_MAX ?? ALLOCATOR_ENV.MALLOC_ARENA_MAX;
/** Extra node flags for the worker process (e.g. --cpu-prof, --heapsnapshot-signal=SIGUSR2). */
const WORKER_ARGS = (process.env.BENCH_WORKER_ARGS ?? '').split(' ').filter(Boolean);
const API_POOL = int('BENCH_API_POOL', 10); // the production default (DATABASE_POOL_MAX)
const POLL_MS = 5;
/** The issue's size: the memory slope is extrapolated to it when the run is smaller. */
const TARGET_CUSTOMERS = 100_000;

const MiB = 2 ** 20;
const started = performance.now();
const progress = (msg: string) => process.stderr.write(`[${fmt((performance.now() - started) / 1000, 0)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chunks = <T>(xs: T[], size: number) =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));
function sample<T>(xs: T[], n: number): T[] {
  const pool = [...xs];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/**
 * BENCH_TEMPORAL_DB=<file>: the dev server keeps its workflows in this SQLite file instead of in memory (100,000
 * lifecycles' histories outgrew this machine's memory in the in-memory database: the server died at 80,287).
 */
const TEMPORAL_DB = process.env.BENCH_TEMPORAL_DB;
const stack = await startStack(TEMPORAL_DB ? { temporalDbFile: TEMPORAL_DB } : {});
const { env, taskQueue } = stack;
const client = env.client;
// Ingest runs with no worker at all, so every signup waits in PostgreSQL and part 2 measures one worker process from
// its start: delivering them (the shard dispatchers run on it) and bringing every lifecycle to idle.
await stack.stopWorker();
const errors: string[] = [];
let worker: ReturnType<typeof spawn> | undefined;
const poller = new pg.Client({ connectionString: stack.db.url });
await poller.connect();
const sql = async <R>(text: string, params: unknown[] = []) => (await poller.query(text, params)).rows as R[];

try {
  // No nurture steps: 20,000 welcome emails would measure the SMTP sink, not the lifecycle. With no sends the
  // messaging policy (frequency cap, quiet hours) never runs, so it stays at its defaults.
  const { version: _, ...defaults } = DEFAULT_LIFECYCLE_POLICY;
  const policyPut = await stack.api('PUT', '/policies/lifecycle', {
    body: { ...defaults, nurture: { ...defaults.nurture, goal: null, steps: [] } },
  });
  if (policyPut.status !== 200) throw new Error(`PUT /policies/lifecycle answered ${policyPut.status}: ${JSON.stringify(policyPut.body)}`);
  const importer = await stack.operator(['ingest'], 'Importer');

  const measured = await serveMeasuredApi({ dbUrl: stack.db.url, client, taskQueue, pool: API_POOL });
  const { baseUrl, orm: apiOrm } = measured;
  const policy = await readSetting<LifecyclePolicy>(apiOrm, SETTINGS.lifecyclePolicy, DEFAULT_LIFECYCLE_POLICY);

  async function post<T>(path: string, body: unknown, expected = 200): Promise<T> {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${importer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }
  const customer = (externalId: string) => ({ externalId, email: `${externalId}@bench.example` });
  const importBatch = async (externalIds: string[]) => {
    const res = await post<{ created: number }>('/customers', { customers: externalIds.map(customer) });
    if (res.created !== externalIds.length) throw new Error(`POST /customers created ${res.created} of ${externalIds.length}`);
  };
  const signupBatch = async (externalIds: string[]) => {
    const at = new Date().toISOString();
    const res = await post<{ accepted: number }>(
      '/events',
      {
        events: externalIds.map((externalId) => ({ externalId, type: 'signup', at, idempotencyKey: `signup:${externalId}` })),
      },
      202,
    );
    if (res.accepted !== externalIds.length) throw new Error(`POST /events stored ${res.accepted} of ${externalIds.length}`);
  };

  // Part 1. No worker runs: the events are stored and wait for the shard dispatchers, which run on the worker.
  const loadBefore = os.loadavg()[0]!;
  const batches = chunks(
    Array.from({ length: CUSTOMERS }, (_, i) => `api-${i}`),
    BATCH,
  );
  progress(`importing ${CUSTOMERS} customers`);
  const imported = await runConcurrent(batches.length, REQUESTS, async (i) => {
    await importBatch(batches[i]!);
  });
  progress(`storing ${CUSTOMERS} signup events`);
  const signups = await runConcurrent(batches.length, REQUESTS, (i) => signupBatch(batches[i]!));
  for (const r of [imported, signups]) errors.push(...r.errors);

  // Part 2. The worker as its own process, so its resident memory is its own.
  const loadAfter = os.loadavg()[0]!;
  const total = CUSTOMERS;
  const heapMiB = v8.getHeapStatistics().heap_size_limit / MiB;
  const cacheSize = Number(WORKER_CACHE);
  // The limit the worker takes (worker/heap.ts), from the flags and the environment it is given.
  const setting = loadConfig({ WORKER_WORKFLOW_HEAP_MIB: process.env.WORKER_WORKFLOW_HEAP_MIB }).WORKER_WORKFLOW_HEAP_MIB;
  const threadMiB = workflowHeapPlan({ setting, maxCachedWorkflows: cacheSize }, WORKER_ARGS, process.env);
  const threadHeap = threadMiB === null ? (explicitHeapLimit(WORKER_ARGS, process.env) ?? "V8's own") : `${threadMiB} MiB`;
  const cacheLabel =
    `WORKER_MAX_CACHED_WORKFLOWS=${WORKER_CACHE} MALLOC_ARENA_MAX=${ARENAS} (V8 heap limit ${fmt(heapMiB, 0)} MiB, ` +
    `workflow thread ${threadHeap})`;
  const workerLog: string[] = [];
  progress(`starting the worker (${cacheLabel}); ${total} lifecycles to bring to idle`);
  const workerStarted = performance.now();
  worker = spawn(process.execPath, [...WORKER_ARGS, 'worker/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      ...workerEnv(stack),
      WORKER_MAX_CACHED_WORKFLOWS: WORKER_CACHE,
      MALLOC_ARENA_MAX: ARENAS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = worker.pid!;
  for (const stream of [worker.stdout!, worker.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => workerLog.push(...chunk.split('\n').filter((l) => l.trim())));
  }
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    worker!.on('exit', (code) => {
      exited = code;
      resolve(code);
    }),
  );
  const memory = () => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? NaN);
    return { rss: kb('VmRSS:') / 1024, peak: kb('VmHWM:') / 1024 };
  };

  const acquired = async () =>
    Number((await sql<{ n: string }>(`select count(*) as n from customer_stage_changes where to_stage = 'acquired'`))[0]!.n);
  let idle = 0;
  let lastProgress = performance.now();
  /** RSS (MiB) when each tenth of the lifecycles had gone idle, with the idle count it was read at. */
  const rssAt: { idle: number; rss: number }[] = [];
  /** RSS when the first lifecycle went idle: start-up (bundling the workflows) done, almost nothing cached yet. */
  let rssFirst = NaN;
  for (let last = -1, tick = 0; idle < total; tick++) {
    if (exited !== undefined) throw new Error(`the worker exited (${exited}): ${workerLog.slice(-5).join('\n')}`);
    idle = await acquired();
    if (idle !== last) {
      last = idle;
      lastProgress = performance.now();
    }
    if (idle > 0 && Number.isNaN(rssFirst)) rssFirst = memory().rss;
    while (rssAt.length < 10 && idle >= ((rssAt.length + 1) * total) / 10) rssAt.push({ idle, rss: memory().rss });
    if (performance.now() - lastProgress > 120_000) throw new Error(`no lifecycle reached idle for 2 minutes (${idle} of ${total})`);
    if (tick % 10 === 0) progress(`worker: ${idle} of ${total} lifecycles idle, RSS ${fmt(memory().rss, 0)} MiB`);
    await sleep(1000);
  }
  const catchUpMs = performance.now() - workerStarted;
  progress(`all ${total} lifecycles idle after ${fmt(catchUpMs / 1000)} s; settling ${SETTLE_MS / 1000} s`);
  await sleep(SETTLE_MS);
  const settled = memory();
  rssAt[rssAt.length - 1] = { idle: total, rss: settled.rss };
  const running = (await client.workflow.count(`TaskQueue="${taskQueue}" AND ExecutionStatus="Running"`)).count;

  // Part 3. The lifecycles the worker finished first were evicted long ago (the cache keeps the most recent few
  // thousand): the evicted samples come from the earliest half of the API customers.
  const byAge = await sql<{ id: string; external_id: string }>(
    `select c.id, c.external_id from customer_stage_changes s join customers c on c.id = s.customer_id
     where s.to_stage = 'acquired' and c.external_id like 'api-%' order by s.id`,
  );
  const picked = sample(byAge.slice(0, Math.floor(byAge.length / 2)), EVICTED_SAMPLES + CACHED_SAMPLES);
  const evicted = picked.slice(0, EVICTED_SAMPLES);
  const cached = picked.slice(EVICTED_SAMPLES);

  /** From POST /events (one key_action) until the lifecycle's read-model write for it is visible. */
  async function reach(c: { id: string; external_id: string }): Promise<{ total: number; api: number }> {
    const t0 = performance.now();
    await post(
      '/events',
      { events: [{ externalId: c.external_id, type: 'key_action', at: new Date().toISOString(), idempotencyKey: `key:${c.id}` }] },
      202,
    );
    const api = performance.now() - t0;
    for (const until = t0 + 30_000; performance.now() < until; await sleep(POLL_MS)) {
      const hit = await sql(`select 1 from customer_stage_changes where customer_id = $1 and to_stage = 'activated'`, [c.id]);
      if (hit.length) return { total: performance.now() - t0, api };
    }
    throw new Error(`customer ${c.external_id}: the key_action had not reached its lifecycle after 30 s`);
  }
  const latencies = async (cs: typeof picked) => {
    const out = { total: [] as number[], api: [] as number[] };
    for (const c of cs) {
      try {
        const r = await reach(c);
        out.total.push(r.total);
        out.api.push(r.api);
      } catch (err) {
        errors.push(String(err));
      }
    }
    return out;
  };
  const handle = (c: { id: string }) => client.workflow.getHandle<typeof customerLifecycle>(customerLifecycleId(c.id));

  progress(`latency: ${evicted.length} evicted lifecycles, one at a time`);
  const evictedLatency = await latencies(evicted);
  // A query replays an evicted lifecycle into the cache (and shows its state survived eviction); the events right
  // after find it cached.
  let cachedBefore = 0;
  for (const c of cached) {
    const view = await handle(c).query(getLifecycle);
    if (view.stage === 'acquired' && view.counters.events === 1) cachedBefore += 1;
  }
  progress(`latency: ${cached.length} cached lifecycles, one at a time`);
  const cachedLatency = await latencies(cached);
  const after = memory();

  // Without harm: every lifecycle that was evicted and replayed holds exactly its two events and two stage changes.
  let intact = 0;
  for (const c of evicted) {
    const view = await handle(c).query(getLifecycle);
    const stages = view.history.map((h) => h.to).join(',');
    if (view.stage === 'activated' && view.counters.events === 2 && view.counters.duplicates === 0 && stages === 'acquired,activated')
      intact += 1;
  }
  const [{ n: stageRows }] = (await sql<{ n: string }>('select count(*) as n from customer_stage_changes')) as [{ n: string }];

  progress('stopping the worker');
  worker.kill('SIGTERM');
  let stopTimer: NodeJS.Timeout | undefined;
  const exitCode = await Promise.race([
    exit,
    new Promise<'timeout'>((r) => {
      stopTimer = setTimeout(() => r('timeout'), 60_000);
    }),
  ]);
  clearTimeout(stopTimer);
  if (exitCode === 'timeout') {
    worker.kill('SIGKILL');
    errors.push('the worker did not stop within 60 s of SIGTERM');
  } else if (exitCode !== 0) errors.push(`the worker exited with ${exitCode}`);
  const workerWarnings = workerLog; // LOG_LEVEL=warn: every line is a warning or an error

  // Report.
  const widths1 = [40, 10, 12, 12, 12, 11, 6];
  const ingestRow = (label: string, r: Run) =>
    row(
      [
        label,
        fmt(CUSTOMERS / (r.wallMs / 1000)),
        fmt(percentile(r.latencies, 50)),
        fmt(percentile(r.latencies, 99)),
        fmt(r.wallMs / 1000),
        fmt(r.cpuMs / CUSTOMERS, 2),
        String(r.errors.length),
      ],
      widths1,
    );
  const pct = (xs: number[], widths: number[], label: string) =>
    row(
      [label, String(xs.length), fmt(percentile(xs, 50)), fmt(percentile(xs, 95)), fmt(percentile(xs, 99)), fmt(Math.max(...xs))],
      widths,
    );
  // Growth per evicted lifecycle: a least-squares line through the tenths of the run's second half, once the cache
  // was full twice over (before, the cache fills and the V8 heaps grow to their working size: at 4,000 customers a
  // line from 600 idle on said +220 MiB per 10,000 where the second half was flat).
  const steadyFrom = Math.max(2 * cacheSize, total / 2);
  const steady = rssAt.filter((x) => x.idle >= steadyFrom);
  const slope = (() => {
    if (steady.length < 2) return NaN;
    const mx = steady.reduce((a, x) => a + x.idle, 0) / steady.length;
    const my = steady.reduce((a, x) => a + x.rss, 0) / steady.length;
    const sxy = steady.reduce((a, x) => a + (x.idle - mx) * (x.rss - my), 0);
    const sxx = steady.reduce((a, x) => a + (x.idle - mx) ** 2, 0);
    return (sxy / sxx) * 10_000;
  })();
  const extrapolated = settled.rss + (Math.max(0, slope) * (TARGET_CUSTOMERS - total)) / 10_000;

  console.log(`\n${machineLine('bench:lifecycle')}`);
  console.log(
    `Temporal dev server (${TEMPORAL_DB ? `SQLite file ${TEMPORAL_DB}` : 'in-memory SQLite'}) via TestWorkflowEnvironment.createLocal; PostgreSQL ${stack.db.url.replace(/\/[^/]*$/, '/…')}`,
  );
  console.log(
    `Lifecycle policy v${policy.version}: the built-in windows, no nurture steps (no email is sent; the messaging policy never runs)`,
  );
  console.log(
    `API: own pool of ${API_POOL}, log level ${process.env.BENCH_LOG_LEVEL ?? 'silent'}, in this process with the bench client; no worker runs during part 1`,
  );
  console.log(
    `cpu ms/item: CPU of this Node process per customer (the dev server and PostgreSQL are not counted); ` +
      `1-minute load average ${fmt(loadBefore, 2)} before part 1, ${fmt(loadAfter, 2)} after\n`,
  );

  console.log(
    `Part 1: ${CUSTOMERS} customers through the API, batches of ${BATCH}, ${REQUESTS} request(s) in flight; ` +
      'POST /events stores (202), the shard dispatchers deliver once the worker runs (part 2)',
  );
  console.log(row(['', 'items/s', 'p50 ms', 'p99 ms', 'wall s', 'cpu ms/item', 'errors'], widths1));
  console.log(ingestRow('API POST /customers (per batch)', imported));
  console.log(ingestRow('API POST /events (per batch)', signups));
  console.log(`\nPart 2: one worker process (node ${[...WORKER_ARGS, 'worker/main.ts'].join(' ')}), ${cacheLabel}`);
  console.log(
    `  ${idle} lifecycles brought from their stored signup to idle in ${fmt(catchUpMs / 1000)} s ` +
      `(${fmt(idle / (catchUpMs / 1000))} per s: worker start-up and bundling, the dispatchers' deliveries included)`,
  );
  console.log(
    `  running workflows on the worker's queue: ${running}; at most ${Math.min(cacheSize, running)} cached, ` +
      `at least ${Math.max(0, running - cacheSize)} evicted`,
  );
  console.log(`  worker RSS at the first idle lifecycle (start-up done): ${fmt(rssFirst, 0)} MiB`);
  console.log(`  worker RSS (MiB) at each tenth idle: ${rssAt.map((x) => `${x.idle}: ${fmt(x.rss, 0)}`).join(', ')}`);
  console.log(
    `  worker RSS peak ${fmt(settled.peak, 0)} MiB; ` +
      `${fmt(settled.rss, 0)} MiB settled (all idle, then ${SETTLE_MS / 1000} s); ${fmt(after.rss, 0)} MiB after part 3 (peak then ${fmt(after.peak, 0)} MiB)`,
  );
  console.log(
    `  RSS per 10,000 evicted lifecycles: ${fmt(slope, 1)} MiB (least squares over the ${steady.length} tenths from ` +
      `${Math.ceil(steadyFrom)} idle on: the run's second half, at least twice the cache)`,
  );
  if (total < TARGET_CUSTOMERS) {
    console.log(
      `  EXTRAPOLATED, not measured: at ${TARGET_CUSTOMERS} customers the settled RSS would be about ${fmt(extrapolated, 0)} MiB ` +
        `(${fmt(settled.rss, 0)} + ${fmt(Math.max(0, slope), 1)} x ${fmt((TARGET_CUSTOMERS - total) / 10_000, 1)})`,
    );
  }
  console.log(
    `  worker log lines at warn or above: ${workerWarnings.length}${workerWarnings.length ? `; first: ${workerWarnings[0]!.slice(0, 300)}` : ''}`,
  );

  const widths3 = [52, 7, 8, 8, 8, 8];
  console.log(
    `\nPart 3: one key_action at a time, from POST /events until its stage change (activated) is in PostgreSQL (polled every ${POLL_MS} ms)`,
  );
  console.log(row(['', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], widths3));
  console.log(pct(evictedLatency.total, widths3, 'evicted lifecycle (earliest half to go idle)'));
  console.log(pct(evictedLatency.api, widths3, '  of which POST /events answering'));
  console.log(pct(cachedLatency.total, widths3, 'cached lifecycle (queried just before)'));
  console.log(pct(cachedLatency.api, widths3, '  of which POST /events answering'));
  console.log(
    `  state after eviction: ${cachedBefore}/${cached.length} queried lifecycles intact before their event; ` +
      `${intact}/${evicted.length} evicted ones hold exactly signup + key_action and acquired -> activated; ` +
      `${stageRows} stage-change rows for ${total} + ${evicted.length + cached.length} expected`,
  );
  for (const e of errors.slice(0, 5)) console.log(`  error: ${e.slice(0, 300)}`);

  const p99 = percentile(evictedLatency.total, 99);
  const widths = [44, 10, 10, 14];
  console.log('\nSummary');
  console.log(row(['metric', 'value', 'target', 'verdict'], widths));
  console.log(row(['customer import (customers/s)', fmt(CUSTOMERS / (imported.wallMs / 1000), 0), '', ''], widths));
  console.log(
    row([`worker RSS peak, ${idle} idle lifecycles (MiB)`, fmt(settled.peak, 0), '< 1536', verdict(settled.peak < 1536)], widths),
  );
  console.log(row(['worker RSS settled (MiB)', fmt(settled.rss, 0), '< 1536', verdict(settled.rss < 1536)], widths));
  console.log(row(['RSS per 10,000 evicted lifecycles (MiB)', fmt(slope, 1), '', ''], widths));
  if (total < TARGET_CUSTOMERS)
    console.log(
      row([`EXTRAPOLATED RSS at ${TARGET_CUSTOMERS} (MiB)`, fmt(extrapolated, 0), '< 1536', verdict(extrapolated < 1536)], widths),
    );
  console.log(row(['evicted lifecycles intact', `${intact}/${evicted.length}`, 'all', verdict(intact === evicted.length)], widths));
  console.log(row(['event to evicted lifecycle p99 (ms)', fmt(p99), '<= 500', verdict(p99 <= 500)], widths));
  console.log(`\nTotal run time ${fmt((performance.now() - started) / 1000, 0)} s; errors: ${errors.length}`);

  await measured.close();
} finally {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await poller.end();
  progress('tearing down the dev server and the database');
  await stack.close();
  progress('done');
}
if (errors.length) process.exitCode = 1;
