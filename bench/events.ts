// `npm run bench:events`: asynchronous event ingest at a platform's volume, on a local dev server and PostgreSQL.
// Part 1: BENCH_EVENTS events (1,000,000) through POST /events in batches of BENCH_BATCH (1,000) over BENCH_CUSTOMERS
// customers (50,000), against the same rows written by a bare multi-row INSERT into the same table in the same run
// (alternating rounds), while the worker delivers. Part 2: from each batch's one probe event (a signup of a customer
// of its own) to its lifecycle having applied it, while ingesting, and the backlog's drain once ingest stops.
// Part 3: the same latency at a steady, sustainable rate. Prints figures and verdicts; never fails on timings.
// BENCH_PROFILE_BATCHES=n profiles n more API batches after part 1 (BENCH_PROFILE_DIR keeps the profile).
//
// The worker runs as its own process (node worker/main.ts), as in production; the API, the baseline and the bench
// client run in this one. 50,000 customers: 1,000,000 events are then 20 per customer, a busy day of a platform with
// 50,000 daily actives (issue 15's 100,000 live customers, half of them active on a given day); fewer would flatter
// the per-customer batching, more would mostly measure lifecycle starts (each customer's first event starts one).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { startStack } from '../tests/support/stack.ts';
import { customerLifecycleId } from '../domain/ids.ts';
import { eventShardOf } from '../domain/event-shards.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../domain/lifecycle.types.ts';
import { ALLOCATOR_ENV } from '../worker/allocator.ts';
import { BACKLOG_LIMIT, overLimit } from '../activities/queue-backlog.ts';
import { queueBacklog } from '../runtime/queue-backlog.ts';
import { cpuBetween, cpuSnapshot, PARTS } from './cpu.ts';
import { selfTimes, startProfile } from './cpu-profile.ts';
import { fmt, machineLine, merge, percentile, row, runConcurrent, verdict, type Run, serveMeasuredApi, workerEnv } from './lib.ts';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const EVENTS = int('BENCH_EVENTS', 1_000_000);
const CUSTOMERS = int('BENCH_CUSTOMERS', 50_000);
const BATCH = int('BENCH_BATCH', 1000);
/** Requests (or bare inserts) kept in flight: an importer with a few connections. */
const REQUESTS = int('BENCH_REQUESTS', 2);
const ROUNDS = int('BENCH_ROUNDS', 4);
/** Rows the bare INSERT side writes, over all rounds (a fifth of the API's: a rate needs no more). */
const BARE = int('BENCH_BARE', Math.max(BATCH * ROUNDS, Math.round(EVENTS / 5 / BATCH) * BATCH));
/** Part 3: a steady rate (events/s) for this long; 200/s is 17 million a day. */
const PACED_RATE = int('BENCH_PACED_RATE', 200);
const PACED_SECONDS = int('BENCH_PACED_SECONDS', 60);
const DRAIN_TIMEOUT_S = int('BENCH_DRAIN_TIMEOUT_S', 3600);
/** Worker processes (node worker/main.ts) on the one task queue. */
const WORKERS = int('BENCH_WORKERS', 1);
/**
 * 0: the worker stops for part 1 and starts again after it, so part 1's figures are ingest's alone on these cores (the
 * issue's figures are with delivery running; this says what sharing the machine with it costs them).
 */
const DELIVER_DURING_INGEST = process.env.BENCH_DELIVER_DURING_INGEST !== '0';
const API_POOL = int('BENCH_API_POOL', 10); // the production default (DATABASE_POOL_MAX)
/** After part 1, this many more API batches under the sampling profiler (not in the figures: sampling slows them). */
const PROFILE_BATCHES = int('BENCH_PROFILE_BATCHES', 0);
/** Where to keep that profile (events-api.cpuprofile), for `node bench/cpu-profile.ts <file>`. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const PROBE_POLL_MS = 100;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const started = performance.now();
const wallStart = Date.now();
const progress = (msg: string) => process.stderr.write(`[${fmt((performance.now() - started) / 1000, 0)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// A small deterministic generator: the same stream every run. Math.imul keeps the product exact (a plain `*` loses
// its low bits past 2^53, and the stream then named 6,400 of 50,000 customers in 100,000 events instead of ~43,000).
let seed = 0x5eed;
const random = () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) & 0x7fffffff;
  return seed / 0x80000000;
};

const cpuLine = (c: ReturnType<typeof cpuBetween>) =>
  `whole machine ${fmt(c.machine, 0)}% of a core: ${PARTS.map((p) => `${p} ${fmt(c[p], 0)}`).join(', ')}`;

const stack = await startStack();
const { env, taskQueue } = stack;
await stack.stopWorker();
const errors: string[] = [];
const database = new URL(stack.db.url).pathname.slice(1);
const db = new pg.Pool({ connectionString: stack.db.url, max: REQUESTS + 2 });
const sql = async <R>(text: string, params: unknown[] = []) => (await db.query(text, params)).rows as R[];
let workers: ReturnType<typeof spawn>[] = [];
/** SIGTERM (a worker drains), SIGKILL after 30 s. */
const stopWorker = async () => {
  await Promise.all(
    workers.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    }),
  );
  workers = [];
};

try {
  // No nurture steps: a million events would otherwise measure the SMTP sink (as bench:lifecycle).
  const { version: _, ...defaults } = DEFAULT_LIFECYCLE_POLICY;
  const put = await stack.api('PUT', '/policies/lifecycle', {
    body: { ...defaults, nurture: { ...defaults.nurture, goal: null, steps: [] } },
  });
  if (put.status !== 200) throw new Error(`PUT /policies/lifecycle answered ${put.status}`);
  const importer = await stack.operator(['ingest'], 'Importer');

  const workerLog: string[] = [];
  const ours = { worker: [] as number[], database };
  // With the product's allocator settings (npm run start:worker, the image), as bench:lifecycle's worker.
  const startWorker = async () => {
    const children = Array.from({ length: WORKERS }, () =>
      spawn(process.execPath, ['worker/main.ts'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...ALLOCATOR_ENV,
          ...process.env,
          ...workerEnv(stack),
        },
      }),
    );
    workers = children;
    for (const child of children)
      for (const out of [child.stdout!, child.stderr!])
        out.setEncoding('utf8').on('data', (c: string) => workerLog.push(...c.split('\n').filter((l) => l.trim())));
    ours.worker = children.map((c) => c.pid!);
    // A worker bundles the workflows before it polls (a minute or more on a busy machine): ingest starts after.
    for (const until = performance.now() + 600_000; ;) {
      const { pollers } = await env.client.workflowService.describeTaskQueue({
        namespace: env.namespace ?? 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: 1,
      });
      if (new Set(pollers.map((p) => p.identity)).size >= WORKERS) break;
      if (children.some((c) => c.exitCode !== null) || performance.now() > until)
        throw new Error(`a worker did not start polling: ${workerLog.slice(-3).join(' | ')}`);
      await sleep(1000);
    }
    progress(WORKERS === 1 ? 'the worker is polling' : `${WORKERS} workers are polling`);
  };
  await startWorker();

  const measured = await serveMeasuredApi({ dbUrl: stack.db.url, client: env.client, taskQueue, pool: API_POOL });
  const post = async <T>(path: string, body: unknown, expected: number): Promise<T> => {
    const res = await fetch(`${measured.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${importer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  };

  // Customers: the stream's, and one probe customer per batch (a signup each, nothing else).
  const apiBatches = Math.ceil(EVENTS / BATCH);
  const pacedBatchSize = Math.max(1, Math.round(PACED_RATE / 2)); // two batches a second
  const pacedBatches = PACED_SECONDS * 2;
  const probes = apiBatches + pacedBatches;
  progress(`importing ${CUSTOMERS} customers and ${probes} probe customers`);
  const names = [...Array.from({ length: CUSTOMERS }, (_, i) => `c-${i}`), ...Array.from({ length: probes }, (_, i) => `probe-${i}`)];
  const ids = new Map<string, string>();
  const importRun = await runConcurrent(Math.ceil(names.length / 1000), REQUESTS, async (b) => {
    const chunk = names.slice(b * 1000, (b + 1) * 1000);
    const res = await post<{ items: { id: string; externalId: string }[] }>(
      '/customers',
      { customers: chunk.map((externalId) => ({ externalId, email: `${externalId}@bench.example` })) },
      200,
    );
    for (const item of res.items) ids.set(item.externalId, item.id);
  });
  errors.push(...importRun.errors);
  const customerIds = names.slice(0, CUSTOMERS).map((n) => ids.get(n)!);
  const probeIds = names.slice(CUSTOMERS).map((n) => ids.get(n)!);

  // The stream: each customer's first event a signup, then logins, key actions, clicks and purchases.
  const seen = new Uint8Array(CUSTOMERS);
  const nextEvent = (key: string) => {
    const c = Math.floor(random() * CUSTOMERS);
    const r = random();
    const type = seen[c] ? (r < 0.6 ? 'login' : r < 0.8 ? 'key_action' : r < 0.9 ? 'click' : 'purchase') : 'signup';
    seen[c] = 1;
    return {
      customerId: customerIds[c]!,
      type,
      at: new Date().toISOString(),
      idempotencyKey: key,
      ...(type === 'purchase' ? { amount: Math.round(random() * 20_000) / 100 } : {}),
    };
  };

  /** Probe customer id -> when its batch was sent (performance.now()); resolved when its stage change is visible. */
  const probeSent = new Map<string, number>();
  const probeLatency = new Map<string, number>();
  /** Probe customer id -> Date.now() when its batch was sent, against the database's and Temporal's stamps. */
  const probeSentWall = new Map<string, number>();
  let probing = true;
  /** Once probing ends, the poller stops when every probe is applied or at this time (a drain cut short leaves some). */
  let probeDeadline = Infinity;
  const prober = (async () => {
    while (probing || (probeLatency.size < probeSent.size && performance.now() < probeDeadline)) {
      const open = [...probeSent.keys()].filter((id) => !probeLatency.has(id));
      try {
        if (open.length) {
          const hits = await sql<{ id: string }>(
            `select customer_id::text as id from customer_stage_changes where customer_id = any($1::uuid[]) and to_stage = 'activated'`,
            [open],
          );
          const now = performance.now();
          for (const h of hits) if (!probeLatency.has(h.id)) probeLatency.set(h.id, now - probeSent.get(h.id)!);
        }
      } catch (err) {
        progress(`probe poll failed: ${String(err)}`);
      }
      await sleep(PROBE_POLL_MS);
    }
  })();
  let probeNext = 0;
  /** Events the API stored (its answers' `accepted`): delivered so far = this minus the backlog. */
  let stored = 0;
  const apiBatch = async (events: object[]) => {
    const probe = probeIds[probeNext++]!;
    const body = {
      events: [...events, { customerId: probe, type: 'key_action', at: new Date().toISOString(), idempotencyKey: `probe:${probe}` }],
    };
    const t = performance.now();
    const wall = Date.now();
    const res = await post<{ accepted: number }>('/events', body, 202);
    stored += res.accepted;
    probeSent.set(probe, t);
    probeSentWall.set(probe, wall);
  };

  const undelivered = async () =>
    Number((await sql<{ n: string }>('select count(*) as n from customer_events where delivered_at is null'))[0]!.n);
  const deliveredCount = async () => stored - (await undelivered());

  // The probe customers' lifecycles exist before the clock starts (a signup each, applied): a probe then measures an
  // event reaching a running lifecycle, as nearly every event of a day does, not a lifecycle's start.
  progress(`warm-up: ${probes} probe lifecycles`);
  for (let i = 0; i < probes; i += BATCH) {
    stored += (
      await post<{ accepted: number }>(
        '/events',
        {
          events: probeIds.slice(i, i + BATCH).map((id) => ({
            customerId: id,
            type: 'signup',
            at: new Date(Date.now() - 60_000).toISOString(),
            idempotencyKey: `signup:${id}`,
          })),
        },
        202,
      )
    ).accepted;
  }
  for (const until = performance.now() + 1_800_000; ;) {
    const [{ n }] = (await sql<{ n: string }>(`select count(*) as n from customer_stage_changes where customer_id = any($1::uuid[])`, [
      probeIds,
    ])) as [{ n: string }];
    if (Number(n) >= probes) break;
    if (performance.now() > until) throw new Error(`only ${n} of ${probes} probe lifecycles started in 30 minutes`);
    await sleep(1000);
  }
  // Warm-up: JIT, zod, the ORM's metadata; the dispatchers start.
  progress('warm-up: 5 batches');
  let sent = 0;
  for (let i = 0; i < 5; i++)
    stored += (
      await post<{ accepted: number }>('/events', { events: Array.from({ length: BATCH }, () => nextEvent(`warm:${sent++}`)) }, 202)
    ).accepted;

  if (!DELIVER_DURING_INGEST) {
    progress('stopping the worker for part 1 (BENCH_DELIVER_DURING_INGEST=0)');
    await stopWorker();
  }

  // Part 1: rounds alternate API and bare (API first, then bare first, ...), so drift lands on both sides.
  const runs = { api: [] as Run[], bare: [] as Run[] };
  let apiSent = 0;
  let bareSent = 0;
  const delivery: { t: number; delivered: number; backlog: number }[] = [];
  const cpu0 = cpuSnapshot(ours);
  const ingestStart = performance.now();
  const delivered0 = await deliveredCount();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const backlog = await undelivered();
      delivery.push({ t: performance.now(), delivered: stored - backlog, backlog });
      await sleep(2000);
    }
  })();
  for (let round = 0; round < ROUNDS; round++) {
    const apiCount = Math.round(((round + 1) * apiBatches) / ROUNDS) - Math.round((round * apiBatches) / ROUNDS);
    const bareCount = Math.round(((round + 1) * BARE) / BATCH / ROUNDS) - Math.round((round * BARE) / BATCH / ROUNDS);
    for (const side of round % 2 === 0 ? (['api', 'bare'] as const) : (['bare', 'api'] as const)) {
      progress(
        `round ${round + 1}/${ROUNDS}: ${side}, ${(side === 'api' ? apiCount : bareCount) * BATCH} events; backlog ${delivery.at(-1)?.backlog ?? 0}`,
      );
      if (side === 'api') {
        runs.api.push(
          await runConcurrent(apiCount, REQUESTS, async () => {
            const n = Math.min(BATCH, EVENTS - apiSent) - 1; // one slot is the probe's
            apiSent += n + 1;
            await apiBatch(Array.from({ length: n }, (_, k) => nextEvent(`ev:${apiSent}:${k}`)));
          }),
        );
      } else {
        // The same rows (keys of their own), one multi-row INSERT a batch. Marked delivered as written: the dispatchers
        // must not take them, so they skip the three undelivered-only partial indexes the API's rows go into.
        runs.bare.push(
          await runConcurrent(bareCount, REQUESTS, async () => {
            const rows = Array.from({ length: BATCH }, () => nextEvent(`bare:${bareSent++}`));
            await db.query(
              `insert into customer_events (customer_id, type, at, amount, campaign_id, idempotency_key, received_at, delivered_at)
             select c, t, a, m, null, k, now(), now() from unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::numeric[], $5::text[]) as u(c, t, a, m, k)`,
              [
                rows.map((r) => r.customerId),
                rows.map((r) => r.type),
                rows.map((r) => r.at),
                rows.map((r) => (r as { amount?: number }).amount ?? null),
                rows.map((r) => r.idempotencyKey),
              ],
            );
          }),
        );
      }
    }
  }
  const ingestEnd = performance.now();
  const cpuIngest = cpuBetween(cpu0, cpuSnapshot(ours));
  const deliveredDuringIngest = (await deliveredCount()) - delivered0;
  if (!DELIVER_DURING_INGEST) await startWorker();
  let backlogAtEnd = await undelivered();
  const probesDuringIngest = [...probeSent.keys()];
  const api = merge(runs.api);
  const bare = merge(runs.bare);
  errors.push(...api.errors, ...bare.errors);

  // Where this process's CPU goes per batch: the API, and its client (fetch, the event generator) on the same thread.
  let profiled: ReturnType<typeof selfTimes> | undefined;
  if (PROFILE_BATCHES > 0) {
    progress(`profiling ${PROFILE_BATCHES} more API batches`);
    const profiler = await startProfile();
    let profiledSent = 0;
    const run = await runConcurrent(PROFILE_BATCHES, REQUESTS, async () => {
      const events = Array.from({ length: BATCH }, () => nextEvent(`profiled:${profiledSent++}`));
      stored += (await post<{ accepted: number }>('/events', { events }, 202)).accepted;
    });
    errors.push(...run.errors);
    const profile = await profiler.stop();
    if (PROFILE_DIR) writeFileSync(`${PROFILE_DIR}/events-api.cpuprofile`, JSON.stringify(profile));
    profiled = selfTimes(profile);
    backlogAtEnd = await undelivered(); // the drain's backlog: the profiled batches' events too
  }

  // The drain: until every stored event is delivered and every probe applied.
  progress(`ingest done; draining a backlog of ${backlogAtEnd}`);
  const cpu1 = cpuSnapshot(ours);
  let drainedAt: number | undefined;
  let lastPrinted = 0;
  for (let last = -1; performance.now() - ingestEnd < DRAIN_TIMEOUT_S * 1000;) {
    const left = await undelivered();
    if (left === 0 && drainedAt === undefined) drainedAt = performance.now();
    if (drainedAt !== undefined && probesDuringIngest.every((p) => probeLatency.has(p))) break;
    if (left !== last || performance.now() - lastPrinted > 30_000) {
      progress(`backlog ${left}; probes applied ${probeLatency.size}/${probeSent.size}`);
      lastPrinted = performance.now();
    }
    last = left;
    await sleep(2000);
  }
  sampling = false;
  await sampler;
  const cpuDrain = cpuBetween(cpu1, cpuSnapshot(ours));
  if (drainedAt === undefined) errors.push(`the backlog did not drain within ${DRAIN_TIMEOUT_S} s`);
  const drainMs = (drainedAt ?? performance.now()) - ingestEnd;
  /** Delivered of the backlog by then: all of it, or (a drain cut short) what went out before the timeout. */
  const drained = drainedAt === undefined ? backlogAtEnd - (await undelivered()) : backlogAtEnd;
  const ingestLatencies = probesDuringIngest.flatMap((p) => (probeLatency.has(p) ? [probeLatency.get(p)!] : []));

  // Delivery units: a pass marks a customer's events with one delivered_at (its transaction's now()): one signal each.
  const [units] = await sql<{ signals: string; events: string }>(
    `select count(distinct (customer_id, delivered_at)) as signals, count(*) as events from customer_events
     where delivered_at is not null and idempotency_key not like 'bare:%' and idempotency_key not like 'probe:%'`,
  );

  // Part 3: a steady rate with probes, both backlogs empty (unless the drain was cut short): the events' in PostgreSQL,
  // and the lifecycles' workflow tasks in Temporal that its signals queued (thousands after a quick drain: delivered is
  // not yet applied).
  const readBacklog = queueBacklog(env.client, taskQueue);
  if (drainedAt !== undefined) {
    const waitFrom = performance.now();
    for (let b = await readBacklog(); b && b.tasks > 0 && performance.now() - waitFrom < DRAIN_TIMEOUT_S * 1000; b = await readBacklog()) {
      if (performance.now() - lastPrinted > 10_000) {
        progress(`waiting for the lifecycles' task queue: ${b.tasks} tasks, the oldest ${fmt(b.ageMs / 1000)} s`);
        lastPrinted = performance.now();
      }
      await sleep(1000);
    }
    progress(`the lifecycles' task queue is empty after ${fmt((performance.now() - waitFrom) / 1000)} s`);
  }
  progress(`part 3: ${PACED_RATE} events/s for ${PACED_SECONDS} s${drainedAt === undefined ? ' (behind the undrained backlog)' : ''}`);
  const paced: number[] = [];
  const pacedStart = performance.now();
  const pacedProbes: string[] = [];
  let pacedSent = 0;
  // The lifecycles' workflow-task backlog as the dispatchers' valve reads it (runtime/queue-backlog.ts), each second.
  const temporalBacklog: { t: number; tasks: number; ageMs: number }[] = [];
  let pacing = true;
  const backlogSampler = (async () => {
    while (pacing) {
      const b = await readBacklog();
      if (b) temporalBacklog.push({ t: performance.now(), ...b });
      await sleep(1000);
    }
  })();
  await Promise.all(
    Array.from({ length: pacedBatches }, async (_, i) => {
      await sleep(pacedStart + i * 500 - performance.now());
      const t = performance.now();
      const probe = probeIds[probeNext]!;
      try {
        await apiBatch(Array.from({ length: pacedBatchSize - 1 }, () => nextEvent(`paced:${pacedSent++}`)));
        pacedProbes.push(probe);
      } catch (err) {
        errors.push(String(err));
      }
      paced.push(performance.now() - t);
    }),
  );
  probing = false;
  pacing = false;
  await backlogSampler;
  // Behind a backlog the drain left (BENCH_DRAIN_TIMEOUT_S cut it short) the paced probes wait for all of it: do not wait
  // minutes for them.
  probeDeadline = performance.now() + (drainedAt === undefined ? 5_000 : 120_000);
  while (pacedProbes.some((p) => !probeLatency.has(p)) && performance.now() < probeDeadline) await sleep(500);
  await prober;
  const pacedLatencies = pacedProbes.flatMap((p) => (probeLatency.has(p) ? [probeLatency.get(p)!] : []));

  /**
   * Where an applied probe's time went (epoch ms stamps of one clock: this machine's): from the request to its batch
   * stored (received_at), to the dispatcher's signal reaching the lifecycle (the signal's event in its history), to the
   * workflow task after it being scheduled, taken by the worker, and completed (the stage change saved in it, by a
   * local activity). Null when the history does not hold the signal (a run continued as new since).
   */
  const probePath = async (customerId: string): Promise<number[] | null> => {
    const key = `probe:${customerId}`;
    const [row] = await sql<{ received: Date }>(`select received_at as received from customer_events where idempotency_key = $1`, [key]);
    const events = (await env.client.workflow.getHandle(customerLifecycleId(customerId)).fetchHistory()).events ?? [];
    const at = events.findIndex((e) =>
      e.workflowExecutionSignaledEventAttributes?.input?.payloads?.some((p) =>
        Buffer.from(p.data ?? [])
          .toString()
          .includes(key),
      ),
    );
    if (!row || at < 0) return null;
    const after = events.slice(at);
    const stamp = (pick: (e: (typeof events)[number]) => unknown) => {
      const e = after.find(pick);
      return e ? tsToMs(e.eventTime) : NaN;
    };
    const stamps = [
      probeSentWall.get(customerId)!,
      row.received.getTime(),
      stamp((e) => e.workflowExecutionSignaledEventAttributes),
      stamp((e) => e.workflowTaskScheduledEventAttributes),
      stamp((e) => e.workflowTaskStartedEventAttributes),
      stamp((e) => e.workflowTaskCompletedEventAttributes),
    ];
    return stamps.slice(1).map((t, i) => t - stamps[i]!);
  };
  const PATH_STEPS = [
    'request to stored (received_at)',
    'stored to signalled (the dispatcher)',
    'signalled to workflow task scheduled',
    'scheduled to started (the task queue)',
    'started to completed (the worker)',
  ];
  /** The paths of up to 200 applied probes, and the five slowest probes' own. */
  const pathsOf = async (probes: string[]) => {
    const paths: { id: string; path: number[] }[] = [];
    for (const id of probes.filter((p) => probeLatency.has(p)).slice(0, 200)) {
      const path = await probePath(id).catch(() => null);
      if (path) paths.push({ id, path });
    }
    const slowest = [...paths].sort((a, b) => probeLatency.get(b.id)! - probeLatency.get(a.id)!).slice(0, 5);
    return { paths: paths.map((p) => p.path), slowest };
  };
  const ingestPaths = await pathsOf(probesDuringIngest);
  const pacedPaths = await pathsOf(pacedProbes);

  // Report.
  const apiRate = (api.latencies.length * BATCH) / (api.wallMs / 1000);
  const bareRate = (bare.latencies.length * BATCH) / (bare.wallMs / 1000);
  const ingestRate = apiSent / ((ingestEnd - ingestStart) / 1000);
  const deliveryRateIngest = deliveredDuringIngest / ((ingestEnd - ingestStart) / 1000);
  const drainRate = drained / (drainMs / 1000);
  const signals = Number(units!.signals);
  const unitEvents = Number(units!.events);
  const widths = [46, 9, 9, 9, 9, 9, 7];
  const lat = (label: string, xs: number[]) =>
    row(
      [label, String(xs.length), fmt(percentile(xs, 50)), fmt(percentile(xs, 95)), fmt(percentile(xs, 99)), fmt(Math.max(...xs)), ''],
      widths,
    );

  console.log(`\n${machineLine('bench:events')}`);
  console.log(
    `Temporal dev server (in-memory SQLite) via TestWorkflowEnvironment.createLocal; PostgreSQL ${stack.db.url.replace(/\/[^/]*$/, '/…')}; ` +
      `1-minute load average ${fmt(os.loadavg()[0]!, 2)} at the end (other sessions share these cores)`,
  );
  console.log(
    `${CUSTOMERS} customers (+${probes} probe customers), ${apiSent} events through the API in batches of ${BATCH}, ${REQUESTS} request(s) in flight; ` +
      `${WORKERS === 1 ? 'the worker' : `${WORKERS} workers`} (node worker/main.ts) delivering ${DELIVER_DURING_INGEST ? 'throughout' : 'after part 1 only (BENCH_DELIVER_DURING_INGEST=0)'}; no nurture steps (no email)`,
  );

  console.log(`\nPart 1: ingest, ${ROUNDS} rounds alternating API and bare`);
  console.log(row(['', 'batches', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'], widths));
  console.log(
    row(
      [
        'API POST /events (per batch)',
        String(api.latencies.length),
        fmt(percentile(api.latencies, 50)),
        fmt(percentile(api.latencies, 95)),
        fmt(percentile(api.latencies, 99)),
        fmt(Math.max(...api.latencies)),
        String(api.errors.length),
      ],
      widths,
    ),
  );
  console.log(
    row(
      [
        'bare multi-row INSERT (per batch)',
        String(bare.latencies.length),
        fmt(percentile(bare.latencies, 50)),
        fmt(percentile(bare.latencies, 95)),
        fmt(percentile(bare.latencies, 99)),
        fmt(Math.max(...bare.latencies)),
        String(bare.errors.length),
      ],
      widths,
    ),
  );
  console.log(
    `  stored/s: API ${fmt(apiRate, 0)}, bare ${fmt(bareRate, 0)} (ratio ${fmt(apiRate / bareRate, 2)}); ingest wall ${fmt((ingestEnd - ingestStart) / 1000)} s ` +
      `(${fmt(ingestRate, 0)} API events/s with the bare rounds between)`,
  );
  console.log(`  CPU during ingest: ${cpuLine(cpuIngest)}`);
  if (profiled) {
    const perBatch = (ms: number) => fmt(ms / PROFILE_BATCHES, 2).padStart(7);
    console.log(
      `  this process's main thread per batch (${PROFILE_BATCHES} more batches under the profiler; the API and its client): ` +
        `${fmt(profiled.totalMs / PROFILE_BATCHES, 2)} ms, by script group (self time):`,
    );
    for (const [group, ms] of [...profiled.groups].slice(0, 12)) console.log(`    ${perBatch(ms)}  ${group}`);
    console.log('  top functions (self ms per batch):');
    for (const [f, ms] of [...profiled.functions].slice(0, 15)) console.log(`    ${perBatch(ms)}  ${f}`);
  }

  console.log(`\nPart 2: delivery to the lifecycles`);
  console.log(`  during ingest: ${deliveredDuringIngest} delivered (${fmt(deliveryRateIngest, 0)}/s); backlog at the end ${backlogAtEnd}`);
  console.log(
    `  drain: ${drained === backlogAtEnd ? `${backlogAtEnd} events` : `cut short: ${drained} of ${backlogAtEnd} events`} in ${fmt(drainMs / 1000)} s ` +
      `(${fmt(drainRate, 0)}/s); CPU while draining: ${cpuLine(cpuDrain)}`,
  );
  console.log(
    `  signals: ${signals} for ${unitEvents} events (${fmt(unitEvents / signals, 2)} events per signal: one per customer per pass)`,
  );
  console.log(
    `  backlog over time (s since ingest start: backlog): ${delivery
      .filter((_, i) => i % Math.max(1, Math.floor(delivery.length / 12)) === 0)
      .map((d) => `${fmt((d.t - ingestStart) / 1000, 0)}: ${d.backlog}`)
      .join(', ')}`,
  );
  console.log(
    `\n  probe latency: a batch's probe (a key_action of a probe customer whose lifecycle is running, acquired during the ` +
      `warm-up) from the request's start until its 'activated' stage change is in PostgreSQL (written by the lifecycle's ` +
      `saveLifecycle after applying it; polled every ${PROBE_POLL_MS} ms)`,
  );
  console.log(row(['', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', ''], widths));
  console.log(lat('while ingesting at full speed', ingestLatencies));
  console.log(
    lat(`steady ${PACED_RATE} events/s (part 3)${drainedAt === undefined ? ', behind the undrained backlog' : ''}`, pacedLatencies),
  );
  console.log(lat('  of which POST /events answering', paced));
  if (temporalBacklog.length) {
    const over = temporalBacklog.filter((b) => overLimit(b)).length;
    console.log(
      `  the lifecycles' task queue during part 3 (each second): up to ${Math.max(...temporalBacklog.map((b) => b.tasks))} tasks waiting, ` +
        `the oldest up to ${fmt(Math.max(...temporalBacklog.map((b) => b.ageMs)) / 1000)} s; over the valve's limit ` +
        `(${BACKLOG_LIMIT.tasks} tasks or ${BACKLOG_LIMIT.ageMs / 1000} s) in ${over} of ${temporalBacklog.length} readings`,
    );
  }
  for (const [label, paths] of [
    ['while ingesting', ingestPaths],
    [`steady ${PACED_RATE}/s`, pacedPaths],
  ] as const) {
    if (paths.paths.length === 0) continue;
    console.log(`  where the time went, ${label} (${paths.paths.length} probes' histories; ms):`);
    PATH_STEPS.forEach((step, i) =>
      console.log(
        lat(
          `    ${step}`,
          paths.paths.map((p) => p[i]!).filter((x) => !Number.isNaN(x)),
        ),
      ),
    );
    for (const { id, path } of paths.slowest)
      console.log(
        `    slowest: sent ${fmt((probeSentWall.get(id)! - wallStart) / 1000)} s into the run, shard ${eventShardOf(id)}: ` +
          `${path.map((x) => fmt(x, 0)).join(' / ')} ms`,
      );
  }
  const unapplied = [probesDuringIngest.length - ingestLatencies.length, pacedProbes.length - pacedLatencies.length];
  if (unapplied.some((n) => n > 0))
    console.log(
      `  not applied by the end of the run (left out of the figures above): ${unapplied[0]} of ${probesDuringIngest.length} probes ` +
        `sent while ingesting, ${unapplied[1]} of ${pacedProbes.length} paced`,
    );
  console.log(
    `  worker log lines at warn or above: ${workerLog.length}${workerLog.length ? `; first: ${workerLog[0]!.slice(0, 200)}` : ''}`,
  );
  // One example of each kind (by message), so a burst of one warning does not hide another.
  const kinds = new Map(workerLog.map((l) => [/"msg":"([^"]{0,80})/.exec(l)?.[1] ?? l.slice(0, 80), l] as const));
  for (const [kind, line] of [...kinds].slice(1, 6)) console.log(`    also: ${kind} (${line.slice(0, 240)})`);
  for (const e of errors.slice(0, 5)) console.log(`  error: ${e.slice(0, 300)}`);

  const sw = [52, 10, 10, 14];
  console.log('\nSummary');
  console.log(row(['metric', 'value', 'target', 'verdict'], sw));
  const p99 = percentile(api.latencies, 99);
  console.log(row(['API answer p99 per batch (ms)', fmt(p99), '<= 200', verdict(p99 <= 200)], sw));
  console.log(row(['stored/s, API / bare INSERT', fmt(apiRate / bareRate, 2), '>= 0.50', verdict(apiRate / bareRate >= 0.5)], sw));
  const lp99 = percentile(ingestLatencies, 99);
  console.log(row(['event to lifecycle p99 while ingesting (ms)', fmt(lp99, 0), '<= 5000', verdict(lp99 <= 5000)], sw));
  const pp99 = percentile(pacedLatencies, 99);
  console.log(row([`event to lifecycle p99 at ${PACED_RATE}/s (ms)`, fmt(pp99, 0), '<= 5000', verdict(pp99 <= 5000)], sw));
  console.log(row(['backlog drain after ingest (s)', drainedAt === undefined ? 'not drained' : fmt(drainMs / 1000), '', ''], sw));
  console.log(`\nTotal run time ${fmt((performance.now() - started) / 1000, 0)} s; errors: ${errors.length}`);
  await measured.close();
} finally {
  await stopWorker();
  await db.end();
  progress('tearing down the dev server and the database');
  await stack.close();
}
if (errors.length) process.exitCode = 1;
