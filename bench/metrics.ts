// `npm run bench:metrics`: pushed metrics and the rules that watch them, on a local dev server and PostgreSQL.
// Part 1: BENCH_POINTS points (100,000) through the API (POST /metrics) against the same points written straight to
// PostgreSQL by the same function the route calls (db/metrics.ts writePoints), in the same run, batch size and
// concurrency, while BENCH_RULES rules (50) watch the pushed metrics. Part 2: from a point that breaches a rule to its
// incident and the incident's first page email at the SMTP sink. Prints figures and verdicts; never fails on timings.
//
// The product's worker runs as its own process (node worker/main.ts), as in production: the monitors' window reads and
// the incidents' activities then do not share an event loop with the API being measured, nor with the baseline. The
// API, the baseline, the SMTP sink and the bench client run in this one.
import { tsToMs } from '@temporalio/common/lib/time.js';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writePoints, type PointIn } from '../db/metrics.ts';
import { openOrm } from '../db/orm.ts';
import { textArray } from '../db/sql.ts';
import { parseDuration } from '../domain/durations.ts';
import { startStack } from '../tests/support/stack.ts';
import { ruleMonitorId } from '../domain/ids.ts';
import { getMonitor } from '../workflows/monitor.messages.ts';
import { AGGREGATIONS } from '../domain/monitor.ts';
import { cpuBetween, cpuSnapshot, machineCpuMs, PARTS } from './cpu.ts';
import { fmt, machineLine, merge, percentile, row, runConcurrent, verdict, type Run, serveMeasuredApi, workerEnv } from './lib.ts';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** Points per side, over all rounds. */
const POINTS = int('BENCH_POINTS', 100_000);
// An agent's scrape: a tenth of the route's 10,000 limit keeps each body ~100 kB (as bench:lifecycle imports).
const BATCH = int('BENCH_BATCH', 1000);
/** Requests (or direct writes) kept in flight. */
const REQUESTS = int('BENCH_REQUESTS', 4);
const ROUNDS = int('BENCH_ROUNDS', 4); // short sides are noisy: more alternations even out the drift
/** Rules on the pushed metrics during part 1, one metric each; their thresholds are never breached. */
const RULES = int('BENCH_RULES', 50);
/** Series per metric (a `host` label): RULES x HOSTS series, each batch a scrape of BATCH of them at one instant. */
const HOSTS = int('BENCH_HOSTS', 20);
const WARM_BATCHES = 5; // per side: the API's first requests still pay for JIT, zod and ORM metadata
/** Breaching points in part 2, one rule (and one incident) each. */
const BREACHES = int('BENCH_BREACHES', 40);
/** Evaluation intervals the breaching points are spread over: BREACHES / SPREAD of them per interval. */
const SPREAD = int('BENCH_SPREAD', 4);
/** The rules' evaluation interval (the API's minimum); part 2's end-to-end figure is bounded by it. */
const EVERY = process.env.BENCH_EVERY ?? '10s';
const EVERY_MS = parseDuration(EVERY) ?? 10_000;
const API_POOL = int('BENCH_API_POOL', 10); // the production default (DATABASE_POOL_MAX); the direct side gets the same
const TICK_MS = 1000; // between a series' consecutive points
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const started = performance.now();
const progress = (msg: string) => process.stderr.write(`[${fmt((performance.now() - started) / 1000, 0)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pad2 = (i: number) => String(i).padStart(2, '0');
const cpuLine = (c: ReturnType<typeof cpuBetween>) =>
  `whole machine ${fmt(c.machine, 0)}: ${PARTS.map((p) => `${p} ${fmt(c[p], 0)}`).join(', ')}`;

// Someone else's work on the machine shows here (the run's figures are only as clean as this).
const idleProbe = machineCpuMs();
await sleep(1000);
const busyBefore = (100 * (machineCpuMs() - idleProbe)) / 1000;
const stack = await startStack();
const { env, taskQueue } = stack;
const client = env.client;
await stack.stopWorker();
progress('starting the worker process (it bundles the workflows first)');
const worker = spawn(process.execPath, ['worker/main.ts'], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: {
    ...process.env,
    ...workerEnv(stack),
  },
});
/** The worker's output at warn or above (pino on stdout, the SDK's runtime on stderr). */
const workerLog: string[] = [];
for (const out of [worker.stdout, worker.stderr]) {
  out.setEncoding('utf8').on('data', (chunk: string) => workerLog.push(...chunk.split('\n').filter((l) => l.trim())));
}
const ours = { worker: worker.pid!, database: new URL(stack.db.url).pathname.slice(1) };
const workerExit = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
const measured = await serveMeasuredApi({ dbUrl: stack.db.url, client, taskQueue, pool: API_POOL });
const { baseUrl, orm: apiOrm } = measured;
// The baseline's own ORM and pool, in this process like the API: the difference is HTTP, JSON, auth, zod and audit.
const directOrm = await openOrm({ clientUrl: stack.db.url, poolMax: API_POOL });
const sql = <R>(text: string, params: unknown[] = []) => apiOrm.em.fork().getConnection().execute<R[]>(text, params);
const errors: string[] = [];

async function call(method: string, path: string, token: string, body?: unknown, expected = 200): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

interface Activity {
  type: string;
  scheduled: number;
  started: number;
  completed: number;
  task: string;
}
interface Task {
  scheduled: number;
  started: number;
  completed: number;
}

/**
 * A workflow's activities in the order they were scheduled, with their scheduled, started and completed instants
 * (epoch ms) and the workflow task that scheduled them; and every workflow task's scheduled and completed instants.
 */
async function historyOf(workflowId: string): Promise<{ activities: Activity[]; tasks: Task[]; startedAt: number }> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = new Map<string, number>();
  const byScheduled = new Map<string, Activity>();
  const activities: Activity[] = [];
  const tasks: Task[] = [];
  const taskStarts = new Map<string, number>();
  for (const e of events) {
    const id = String(e.eventId);
    const time = tsToMs(e.eventTime);
    at.set(id, time);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const a = {
        type: scheduled.activityType?.name ?? '?',
        scheduled: time,
        started: NaN,
        completed: NaN,
        task: String(scheduled.workflowTaskCompletedEventId),
      };
      byScheduled.set(id, a);
      activities.push(a);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) byScheduled.get(String(started.scheduledEventId))!.started = time;
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) byScheduled.get(String(completed.scheduledEventId))!.completed = time;
    const taskStarted = e.workflowTaskStartedEventAttributes;
    if (taskStarted) taskStarts.set(String(taskStarted.scheduledEventId), time);
    const task = e.workflowTaskCompletedEventAttributes;
    if (task) {
      const id = String(task.scheduledEventId);
      tasks.push({ scheduled: at.get(id) ?? NaN, started: taskStarts.get(id) ?? NaN, completed: time });
    }
  }
  return { activities, tasks, startedAt: tsToMs(events[0]?.eventTime) };
}

try {
  const ingest = await stack.operator(['ingest'], 'Agent');
  const manager = await stack.operator(['ops_manager'], 'Mia');
  const oncall = await stack.operator(['oncall'], 'Oscar'); // the built-in escalation policy pages role oncall first

  /** One firing's stamps (see part 2) and its path through the monitor's and the incident's histories. */
  async function sampleOf(ruleId: string, postedAt: number, emailAt: number) {
    const rule = await call('GET', `/rules/${ruleId}`, manager.token);
    const list = await call('GET', `/incidents?ruleId=${ruleId}`, oncall.token);
    if (list.items.length !== 1) throw new Error(`rule ${rule.name} has ${list.items.length} incidents`);
    const incident = await call('GET', `/incidents/${list.items[0].id}`, oncall.token);
    const evaluatedAt = Date.parse(rule.monitor.since);
    // The monitor from the evaluation that fired to the incident's start, then the incident to its first page email.
    const monitor = await historyOf(ruleMonitorId(ruleId));
    const opened = monitor.activities.findIndex((a) => a.type === 'openIncidentForRule');
    const evaluation = monitor.activities.slice(0, opened).findLastIndex((a) => a.type === 'evaluateRule');
    const flow = await historyOf(incident.workflowId);
    // triggeredAt is the evaluation's instant; the workflow's own start is its first event.
    const openedAt = flow.startedAt;
    const sent = flow.activities.findIndex((a) => a.type === 'sendEmail');
    const path = [
      ...monitor.activities.slice(evaluation, opened + 1).map((a) => ({ ...a, wf: 'monitor' })),
      ...flow.activities.slice(0, sent + 1).map((a) => ({ ...a, wf: 'incident' })),
    ];
    const within = (t: Task, from: number, to: number) => t.scheduled >= from && t.scheduled < to;
    const tasks = [
      ...monitor.tasks.filter((t) => within(t, path[0]!.scheduled, path[opened - evaluation]!.completed)),
      ...flow.tasks.filter((t) => within(t, 0, path.at(-1)!.completed)),
    ];
    return {
      steps: path.map((a, i) => ({
        key: `${i + 1}. ${a.wf} ${a.type}${path.some((b) => b !== a && b.wf === a.wf && b.task === a.task) ? ' (in parallel)' : ''}`,
        queue: a.started - a.scheduled,
        run: a.completed - a.started,
      })),
      tasks: tasks.map((t) => ({ queue: t.started - t.scheduled, run: t.completed - t.started })),
      detect: evaluatedAt - postedAt,
      endToEnd: emailAt - postedAt,
      toOpen: openedAt - evaluatedAt,
      toEmail: emailAt - evaluatedAt,
      openToEmail: emailAt - openedAt,
    };
  }
  type Sample = Awaited<ReturnType<typeof sampleOf>>;

  // --- Part 1 -------------------------------------------------------------------------------------------------------
  // One metric per rule; each side writes its own series (label side) at its own instants (the direct side half a
  // tick later), so both insert fresh rows into the same table, index and windows the monitors read.
  const metricName = (prefix: string, m: number) => `${prefix}.m${pad2(m)}`;
  const series = RULES * HOSTS;
  const t0 = Date.now() - 2 * 60_000 - Math.ceil(POINTS / series) * TICK_MS; // every point inside the rules' 5m window
  const batchOf = (prefix: string, side: string, offsetMs: number, j: number): PointIn[] =>
    Array.from({ length: BATCH }, (_, k) => {
      const p = j * BATCH + k;
      const s = p % series;
      return {
        name: metricName(prefix, s % RULES),
        value: ((p * 7919) % 1000) / 10,
        at: new Date(t0 + Math.floor(p / series) * TICK_MS + offsetMs).toISOString(),
        labels: { side, host: `h${Math.floor(s / RULES)}` },
      };
    });

  progress(`creating ${RULES} rules on the bench metrics (every ${EVERY})`);
  const watchRules: string[] = [];
  for (let m = 0; m < RULES; m++) {
    const rule = await call(
      'POST',
      '/rules',
      manager.token,
      {
        name: `Ingest watch ${pad2(m)}`,
        metric: metricName('bench.ingest', m),
        aggregation: AGGREGATIONS[m % AGGREGATIONS.length],
        window: '5m',
        comparison: 'above',
        threshold: 1e12,
        severity: 'P3',
        every: EVERY,
        action: { type: 'open_incident' },
      },
      201,
    );
    watchRules.push(rule.id);
  }
  const evaluations = async () =>
    (await Promise.all(watchRules.map((id) => client.workflow.getHandle(ruleMonitorId(id)).query(getMonitor)))).map((v) => ({
      evaluations: v.evaluations,
      at: v.last?.at ?? NaN,
    }));
  for (const until = Date.now() + 60_000; (await evaluations()).some((v) => v.evaluations === 0); await sleep(200)) {
    if (Date.now() > until) throw new Error("the watch rules' monitors did not evaluate within 60 s");
  }

  const perSide = Math.ceil(POINTS / BATCH);
  const perRound = Math.ceil(perSide / ROUNDS);
  const sides = {
    direct: {
      offsetMs: TICK_MS / 2,
      batches: Array.from({ length: perSide }, (_, j) => batchOf('bench.ingest', 'direct', TICK_MS / 2, j)),
    },
    api: { offsetMs: 0, batches: Array.from({ length: perSide }, (_, j) => batchOf('bench.ingest', 'api', 0, j)) },
  };
  const write = {
    async direct(points: PointIn[]) {
      const { created } = await writePoints(directOrm, points);
      if (created !== points.length) throw new Error(`writePoints created ${created} of ${points.length}`);
    },
    async api(points: PointIn[]) {
      const res = await call('POST', '/metrics', ingest.token, { points });
      if (res.created !== points.length) throw new Error(`POST /metrics created ${res.created} of ${points.length}`);
    },
  };
  progress('warming both sides');
  for (const side of ['direct', 'api'] as const) {
    const warm = Array.from({ length: WARM_BATCHES }, (_, j) => batchOf('bench.warm', side, sides[side].offsetMs, j));
    await runConcurrent(WARM_BATCHES, REQUESTS, (i) => write[side](warm[i]!));
  }

  // Rounds alternate the order (direct, api | api, direct | ...): the table and its index grow and the monitors' windows
  // fill as the run goes on, which lands on both sides equally. Figures are over all rounds: total points / total time.
  const before = await evaluations();
  const part1Started = Date.now();
  const runs = { direct: [] as Run[], api: [] as Run[] };
  const cpuOf = { direct: [] as ReturnType<typeof cpuBetween>[], api: [] as ReturnType<typeof cpuBetween>[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['direct', 'api'] as const) : (['api', 'direct'] as const);
    for (const side of order) {
      const from = round * perRound;
      const n = Math.max(0, Math.min(perRound, perSide - from));
      progress(`round ${round + 1}/${ROUNDS}: ${side}, ${n * BATCH} points in batches of ${BATCH}, ${REQUESTS} in flight`);
      const cpu = cpuSnapshot(ours);
      runs[side].push(await runConcurrent(n, REQUESTS, (i) => write[side](sides[side].batches[from + i]!)));
      cpuOf[side].push(cpuBetween(cpu, cpuSnapshot(ours)));
    }
  }
  const part1Ms = Date.now() - part1Started;
  const after = await evaluations();
  const evaluated = after.reduce((s, v, i) => s + v.evaluations - before[i]!.evaluations, 0);
  const oldestEvaluation = Math.max(...after.map((v) => Date.now() - v.at));
  // How long the monitors' reads took while the points poured in (evaluateRule, from the monitors' histories).
  const evaluationRuns = (await Promise.all(watchRules.map((id) => historyOf(ruleMonitorId(id)))))
    .flatMap((h) => h.activities)
    .filter((a) => a.type === 'evaluateRule' && a.started >= part1Started && a.completed <= part1Started + part1Ms)
    .map((a) => a.completed - a.started);
  const stored = await sql<{ side: string; n: string }>(
    `select labels->>'side' as side, count(*) as n from metric_points where name like 'bench.ingest.%' group by 1`,
  );
  const storedOf = (side: string) => Number(stored.find((r) => r.side === side)?.n ?? 0);
  const windowRows = await sql<{ n: string }>(
    `select count(*) as n from metric_points where name = ? and at >= now() - interval '5 minutes'`,
    [metricName('bench.ingest', 0)],
  );

  // --- Part 2 -------------------------------------------------------------------------------------------------------
  // BREACHES rules (every EVERY), one metric each, created and evaluated once (no data: normal) before their breaching
  // points arrive, open loop, spread over SPREAD intervals (about one a second by default), so a few incidents open at
  // once as in an outage without the run turning into a throughput test. Each firing is timed twice:
  //  (a) end to end, from the POST of the breaching point to the first page email at the sink: the push wakes the
  //      monitors of its metric (at most once a second per rule), so this is the wait for that evaluation plus (b);
  //  (b) the engine's own path, from the evaluation that saw the breach to the incident's workflow running and to its
  //      first page email. The evaluation's instant is the monitor's own stamp (monitor.since of GET /rules/:id: for
  //      '0s' the instant of the evaluation that fired), the incident's is its workflow's triggeredAt (GET
  //      /incidents/:id), the email's is the sink's receivedAt: one clock, since the worker, the dev server and the sink
  //      all run on this machine. Creating a rule after its point (its monitor evaluates at start) or PATCHing it would time the
  //      same path plus a workflow start or a signal and a reload; the timer-driven evaluation is the one production sees.
  // The stamps are read once every email is in (the 10m window keeps the rules firing until then), so the bench's own
  // reads do not compete with the firings; the two workflows' histories then say where (b) goes.
  progress(`part 2: ${BREACHES} rules that will fire, one oncall operator`);
  const breachMetric = (k: number) => `bench.breach.m${pad2(k)}`;
  const breachName = (k: number) => `Breach ${pad2(k)}`;
  const breachRules: string[] = [];
  for (let k = 0; k < BREACHES; k++) {
    const rule = await call(
      'POST',
      '/rules',
      manager.token,
      {
        name: breachName(k),
        metric: breachMetric(k),
        aggregation: 'max',
        window: '10m',
        comparison: 'above',
        threshold: 100,
        severity: 'P2',
        every: EVERY,
        action: { type: 'open_incident' },
      },
      201,
    );
    breachRules.push(rule.id);
  }
  for (const until = Date.now() + 60_000; ; await sleep(200)) {
    const [counted] = await sql<{ n: string }>(
      'select count(*) as n from rules where id::text = any(?::text[]) and last_evaluated_at is not null',
      [textArray(breachRules)],
    );
    const n = Number(counted?.n ?? 0);
    if (n === BREACHES) break;
    if (Date.now() > until) throw new Error(`only ${n} of ${BREACHES} breach rules evaluated within 60 s`);
  }
  await stack.mail.clear();

  // Point k lands at the fraction (k + 0.5) / BREACHES of SPREAD intervals after its rule's first evaluation: its
  // phase in the rule's evaluation cycle is then stratified over the whole interval, as a breach at a random moment
  // would be (the cycle drifts by the evaluation's own duration, which the measured wait includes).
  const firstEvaluations = await sql<{ id: string; at: Date }>(
    'select id, last_evaluated_at as at from rules where id::text = any(?::text[])',
    [textArray(breachRules)],
  );
  const pushAt = breachRules.map((id, k) => {
    let at = new Date(firstEvaluations.find((r) => r.id === id)!.at).getTime() + ((k + 0.5) / BREACHES) * SPREAD * EVERY_MS;
    while (at < Date.now() + 200) at += EVERY_MS;
    return at;
  });
  progress(`part 2: ${BREACHES} breaching points over the next ${fmt((Math.max(...pushAt) - Date.now()) / 1000)} s`);
  const part2Cpu = cpuSnapshot(ours);
  // Everything here shares this event loop: a stalled loop would show in every figure of part 2.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const posted: number[] = [];
  const mails = await Promise.all(
    pushAt.map(async (at, k) => {
      await sleep(at - Date.now());
      posted[k] = Date.now();
      await call('POST', '/metrics', ingest.token, {
        points: [{ name: breachMetric(k), value: 1000, at: new Date(posted[k]!).toISOString(), labels: {} }],
      });
      const prefix = `[opsflow] P2 incident: ${breachName(k)}: `;
      return stack.mail
        .waitFor((m) => m.subject.startsWith(prefix) && m.to.includes(oncall.email), EVERY_MS + 60_000)
        .catch((err: unknown) => {
          errors.push(`breach ${k}: ${String(err)}`);
          return null;
        });
    }),
  );
  const part2Usage = cpuBetween(part2Cpu, cpuSnapshot(ours));
  loopDelay.disable();

  progress('part 2: reading the stamps and the histories');
  const samples: (Sample | null)[] = [];
  for (const [k, mail] of mails.entries()) {
    try {
      samples.push(mail && (await sampleOf(breachRules[k]!, posted[k]!, Date.parse(mail.receivedAt))));
    } catch (err) {
      errors.push(`breach ${k}: ${String(err)}`);
      samples.push(null);
    }
  }
  const got = samples.filter((s) => s !== null);
  const pick = (f: 'detect' | 'endToEnd' | 'toOpen' | 'toEmail' | 'openToEmail') => got.map((s) => s[f]);
  const stepKeys = [...new Set(got.flatMap((s) => s.steps.map((st) => st.key)))];
  const pages = stack.mail.messages().filter((m) => m.subject.startsWith('[opsflow] P2 incident: Breach '));
  const watchIncidents = await sql<{ n: string }>('select count(*) as n from incidents where rule_id::text = any(?::text[])', [
    textArray(watchRules),
  ]);

  // --- Report -------------------------------------------------------------------------------------------------------
  const totals = { direct: merge(runs.direct), api: merge(runs.api) };
  const rate = (r: Run) => (r.latencies.length * BATCH) / (r.wallMs / 1000);
  const ratio = rate(totals.api) / rate(totals.direct);
  /** A side's CPU by part over its rounds, weighted by their durations. */
  const sideCpu = (side: 'direct' | 'api') => {
    const weights = runs[side].map((r) => r.wallMs);
    const total = weights.reduce((a, b) => a + b, 0);
    const mean = (f: (c: ReturnType<typeof cpuBetween>) => number) =>
      cpuOf[side].reduce((sum, c, i) => sum + f(c) * weights[i]!, 0) / total;
    return { machine: mean((c) => c.machine), ...Object.fromEntries(PARTS.map((p) => [p, mean((c) => c[p])])) } as ReturnType<
      typeof cpuBetween
    >;
  };
  const widths = [34, 9, 8, 8, 8, 14, 10, 9, 7];
  const ingestRow = (label: string, side: 'direct' | 'api') => {
    const r = totals[side];
    const cpu = sideCpu(side);
    return row(
      [
        label,
        fmt(rate(r), 0),
        fmt(percentile(r.latencies, 50)),
        fmt(percentile(r.latencies, 95)),
        fmt(percentile(r.latencies, 99)),
        fmt(r.cpuMs / ((r.latencies.length * BATCH) / 1000), 1),
        fmt(cpu.machine, 0),
        fmt(cpu.others, 0),
        String(r.errors.length),
      ],
      widths,
    );
  };

  console.log(`\n${machineLine('bench:metrics')}`);
  console.log(
    `Temporal dev server via TestWorkflowEnvironment.createLocal; PostgreSQL ${stack.db.url.replace(/\/[^/]*$/, '/…')}; ` +
      'the worker is its own process (worker/main.ts, LOG_LEVEL=warn, its default pool of 10); API, SMTP sink and bench client share this one',
  );
  console.log(
    `API: own pool of ${API_POOL}, log level ${process.env.BENCH_LOG_LEVEL ?? 'silent'}; direct side: db/metrics.ts writePoints ` +
      `(the route's own statement) on its own ORM with a pool of ${API_POOL}`,
  );
  console.log(`Machine busy in the second before the run: ${fmt(busyBefore, 0)}% of one core (${os.cpus().length} cores)`);
  console.log('cpu ms/1k pts: CPU of this Node process per 1,000 points (the dev server, the worker and PostgreSQL are not counted)\n');
  console.log(
    `Part 1: ${perSide * BATCH} points per side in batches of ${BATCH}, ${REQUESTS} in flight, ${ROUNDS} rounds (alternating order); ` +
      `${RULES} rules (every ${EVERY}, window 5m) on the ${RULES} metrics, ${HOSTS} series each per side`,
  );
  console.log(row(['', 'points/s', 'p50 ms', 'p95 ms', 'p99 ms', 'cpu ms/1k pts', 'machine %', 'others %', 'errors'], widths));
  console.log(ingestRow('direct writePoints (PostgreSQL)', 'direct'));
  console.log(ingestRow('API POST /metrics', 'api'));
  console.log(
    `  latencies are per batch; machine %: busy CPU of the whole machine as % of one core (${os.cpus().length} cores); others %: ` +
      'processes that are not part of this run',
  );
  for (const side of ['direct', 'api'] as const) console.log(`  CPU during ${side} (% of one core): ${cpuLine(sideCpu(side))}`);
  console.log(
    `  stored: direct ${storedOf('direct')}, api ${storedOf('api')} of ${perSide * BATCH} each; a watched metric's 5m window holds ` +
      `${windowRows[0]?.n ?? '?'} points at the end`,
  );
  console.log(
    `  monitors: ${evaluated} evaluations in ${fmt(part1Ms / 1000)} s (${fmt((evaluated / (part1Ms / EVERY_MS) / RULES) * 100, 0)}% of ` +
      `one per rule every ${EVERY}), evaluateRule run p50 ${fmt(percentile(evaluationRuns, 50), 0)} ms, p99 ` +
      `${fmt(percentile(evaluationRuns, 99), 0)} ms; oldest last evaluation ${fmt(oldestEvaluation / 1000)} s ago; incidents opened by them: ` +
      `${watchIncidents[0]?.n ?? '?'}`,
  );
  for (const [label, r] of [
    ['direct', totals.direct],
    ['api', totals.api],
  ] as const) {
    if (r.errors.length) console.log(`  ${label}: ${r.errors.length} errors, first: ${r.errors[0]!.slice(0, 300)}`);
  }

  const widths2 = [52, 4, 8, 8, 8, 8];
  const latencyRow = (label: string, xs: number[]) =>
    row(
      [
        label,
        String(xs.length),
        fmt(percentile(xs, 50), 0),
        fmt(percentile(xs, 95), 0),
        fmt(percentile(xs, 99), 0),
        fmt(Math.max(...xs), 0),
      ],
      widths2,
    );
  console.log(
    `\nPart 2: ${BREACHES} rules (max over 10m above 100, for 0s, every ${EVERY}, open_incident P2, built-in policy: role oncall), ` +
      `one breaching point each, ${fmt(BREACHES / SPREAD, 0)} per interval at phases spread over it, the ${RULES} watch rules still active`,
  );
  console.log(row(['', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], widths2));
  console.log(latencyRow(`(a) point POSTed -> first page email (every ${EVERY})`, pick('endToEnd')));
  console.log(latencyRow('    point POSTed -> the evaluation that saw it', pick('detect')));
  console.log(latencyRow('(b) evaluation -> first page email at the sink', pick('toEmail')));
  console.log(latencyRow('    evaluation -> incident workflow running', pick('toOpen')));
  console.log(latencyRow('    incident workflow running -> first page email', pick('openToEmail')));
  console.log(
    `  (a) includes the wait for the evaluation the push asked for (a monitor evaluates at most once a second); (b) is the path after it`,
  );
  console.log(
    `  incidents measured ${got.length} of ${BREACHES}; page emails for them at the sink ${pages.length}; CPU while they fired ` +
      `(% of one core): ${cpuLine(part2Usage)}; ` +
      `this process's event loop delay p50 ${fmt(loopDelay.percentile(50) / 1e6, 0)} ms, p99 ${fmt(loopDelay.percentile(99) / 1e6, 0)} ms, ` +
      `max ${fmt(loopDelay.max / 1e6, 0)} ms`,
  );

  console.log("\nWhere (b) goes, from the two workflows' histories: each activity on the path, its wait in the task queue and its run");
  const widths4 = [52, 4, 8, 8, 8, 8];
  console.log(row(['', 'n', 'queue', 'p99', 'run', 'p99'], widths4));
  for (const key of stepKeys) {
    const steps = got.flatMap((s) => s.steps.filter((st) => st.key === key));
    const queue = steps.map((st) => st.queue);
    const run = steps.map((st) => st.run);
    console.log(
      row(
        [
          key,
          String(steps.length),
          fmt(percentile(queue, 50), 0),
          fmt(percentile(queue, 99), 0),
          fmt(percentile(run, 50), 0),
          fmt(percentile(run, 99), 0),
        ],
        widths4,
      ),
    );
  }
  const tasks = got.flatMap((s) => s.tasks);
  const [taskWait, taskRun] = [tasks.map((t) => t.queue), tasks.map((t) => t.run)];
  console.log(
    row(
      [
        `workflow tasks on the path (${fmt(tasks.length / Math.max(1, got.length), 1)} per firing)`,
        String(tasks.length),
        fmt(percentile(taskWait, 50), 0),
        fmt(percentile(taskWait, 99), 0),
        fmt(percentile(taskRun, 50), 0),
        fmt(percentile(taskRun, 99), 0),
      ],
      widths4,
    ),
  );
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(
    `  ms; per firing on average: activities queued ${fmt(sum(got.flatMap((s) => s.steps.map((st) => st.queue))) / got.length, 0)}, ` +
      `ran ${fmt(sum(got.flatMap((s) => s.steps.filter((st) => !st.key.endsWith('saveIncident (in parallel)')).map((st) => st.run))) / got.length, 0)}; ` +
      `workflow tasks queued ${fmt(sum(taskWait) / got.length, 0)}, ran ${fmt(sum(taskRun) / got.length, 0)}`,
  );
  for (const e of errors.slice(0, 5)) console.log(`  error: ${e.slice(0, 300)}`);
  console.log(
    `\nWorker log lines at warn or above: ${workerLog.length}${workerLog.length ? `; first: ${workerLog[0]!.slice(0, 300)}` : ''}`,
  );

  const p99b = percentile(pick('toEmail'), 99);
  const p99a = percentile(pick('endToEnd'), 99);
  const widths3 = [48, 10, 10, 14];
  console.log('\nSummary');
  console.log(row(['metric', 'value', 'target', 'verdict'], widths3));
  console.log(row(['ingest points/s, API / direct PostgreSQL', fmt(ratio, 2), '>= 0.50', verdict(ratio >= 0.5)], widths3));
  console.log(row(['evaluation -> first page email p99 (ms)', fmt(p99b, 0), '<= 2000', verdict(p99b <= 2000)], widths3));
  console.log(row(['point -> first page email p99 (ms)', fmt(p99a, 0), '<= 2000', verdict(p99a <= 2000)], widths3));
  console.log(
    "(b) is the engine's path from the evaluation that fired; (a) is end to end, from the breaching point: a push wakes " +
      `the monitors of its metric at once (at most once a second each), so it does not wait for their interval (every ${EVERY}).`,
  );
  console.log(
    `\nTotal run time ${fmt((performance.now() - started) / 1000, 0)} s; errors: ${errors.length + totals.direct.errors.length + totals.api.errors.length}`,
  );
} finally {
  progress('tearing down');
  // SIGTERM: the worker drains its in-flight tasks; SIGKILL after 30 s.
  if (worker.exitCode === null && worker.signalCode === null) {
    worker.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      workerExit,
      new Promise<'killed'>((r) => {
        timer = setTimeout(() => r('killed'), 30_000);
      }),
    ]);
    clearTimeout(timer);
    if (code === 'killed') worker.kill('SIGKILL');
    else if (code !== 0) console.log(`the worker exited with ${code}`);
  }
  await directOrm.close();
  await measured.close();
  await stack.close();
}
