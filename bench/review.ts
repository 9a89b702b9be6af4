// `npm run bench:review`: what the API costs on top of a bare Temporal client, on a local dev server.
// Part 1: content submissions (POST /content) against bare workflow starts. Part 2: task completions
// (POST /tasks/:id/complete) against bare executeUpdate calls. Prints figures and verdicts; never fails on timings.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { startStack } from '../tests/support/stack.ts';
import type { ContentReviewInput } from '../domain/content.ts';
import { contentReviewId } from '../domain/ids.ts';
import type { Actor } from '../domain/actors.ts';
import { completeTask } from '../workflows/messages.ts';
import { selfTimes, startProfile } from './cpu-profile.ts';
import { fmt, machineLine, merge, percentile, row, runConcurrent, verdict, type Run, serveMeasuredApi } from './lib.ts';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const STARTS = int('BENCH_STARTS', 500);
const CONCURRENCY = int('BENCH_CONCURRENCY', 25);
const ROUNDS = int('BENCH_ROUNDS', 2);
const UPDATES = int('BENCH_UPDATES', 200);
const WARM_STARTS = 50; // the API's first hundred requests still pay for JIT and ORM metadata
const WARM_UPDATES = 10;
// The production default (DATABASE_POOL_MAX); the worker keeps the harness's own pool, as separate processes would.
const API_POOL = int('BENCH_API_POOL', 10);
// One more round per side under the sampling profiler, after the measured ones (0: none).
const PROFILE_STARTS = int('BENCH_PROFILE_STARTS', STARTS);
// Where to keep those profiles (review-bare.cpuprofile, review-api.cpuprofile), for `node bench/cpu-profile.ts <file>`.
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;

const stack = await startStack();
const { env, taskQueue } = stack;
const client = env.client;
const author = await stack.operator(['ops_manager'], 'Mia');
const reviewer = await stack.operator(['reviewer'], 'Rita');
await stack.operator(['reviewer'], 'Rob');
const reviewerActor: Actor = { id: reviewer.id, name: 'Rita', roles: reviewer.roles };
const channel = await stack.api('POST', '/channels', {
  body: { name: 'blog', url: stack.hooks.url('/blog'), secret: 'bench-secret-0123456789' },
});
if (channel.status !== 201) throw new Error(`could not create the blog channel: ${JSON.stringify(channel.body)}`);

const measured = await serveMeasuredApi({ dbUrl: stack.db.url, client, taskQueue, pool: API_POOL });
const { baseUrl, orm: apiOrm } = measured;

// The caller's side of HTTP, in this process too: node:http on kept-alive connections, as a service calling the API
// would. (fetch cost this process 1.5-1.7 ms more CPU per call in an API-only run: WHATWG streams, header checks.)
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function post(path: string, token: string, body: unknown, expected: number): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${path}`,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === expected) resolve();
          else reject(new Error(`${path} answered ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Waits until the worker finished every workflow, so one side's runs do not slow the next side down. */
async function drain(): Promise<void> {
  const until = Date.now() + 10 * 60_000;
  while ((await client.workflow.count(`TaskQueue="${taskQueue}" AND ExecutionStatus="Running"`)).count > 0) {
    if (Date.now() > until) throw new Error('workflows still running after 10 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Part 1. B tier with clean checks: auto-approved and published at once, so every run can be drained.
const submission = { title: 'Bench post', body: 'A short, clean post for the benchmark.', tier: 'B' as const, channels: ['blog'] };
const bareStart = async () => {
  const input: ContentReviewInput = { contentId: randomUUID(), authorId: author.id, ...submission, publishAt: null };
  await client.workflow.start('contentReview', { taskQueue, workflowId: contentReviewId(input.contentId), args: [input] });
};
const apiStart = () => post('/content', author.token, submission, 202);

await runConcurrent(WARM_STARTS, CONCURRENCY, bareStart);
await runConcurrent(WARM_STARTS, CONCURRENCY, apiStart);
await drain();
// Rounds alternate the order (bare, api | api, bare | ...): whatever drifts during the run (JIT, the dev server's
// growing SQLite history, caches) lands on both sides equally. Figures are over all rounds: total ops / total time.
const startRuns = { bare: [] as Run[], api: [] as Run[] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (['bare', 'api'] as const) : (['api', 'bare'] as const);
  for (const side of order) {
    startRuns[side].push(await runConcurrent(STARTS, CONCURRENCY, side === 'bare' ? bareStart : apiStart));
    await drain();
  }
}

// Where the API's CPU goes: the profiled rounds (sampling slows them, so they are not in the figures above), this
// thread's self time per call by script group. The worker's workflow threads and the SDK's core run elsewhere.
const profiles: Partial<Record<'bare' | 'api', ReturnType<typeof selfTimes>>> = {};
if (PROFILE_STARTS > 0) {
  for (const side of ['bare', 'api'] as const) {
    const profiler = await startProfile();
    await runConcurrent(PROFILE_STARTS, CONCURRENCY, side === 'bare' ? bareStart : apiStart);
    const profile = await profiler.stop();
    if (PROFILE_DIR) writeFileSync(`${PROFILE_DIR}/review-${side}.cpuprofile`, JSON.stringify(profile));
    profiles[side] = selfTimes(profile);
    await drain();
  }
}

// Part 2. A tier: one open review task per item. Sequential calls, alternating bare/api pair by pair.
const items = 2 * (UPDATES + WARM_UPDATES);
await runConcurrent(items, CONCURRENCY, () => post('/content', author.token, { ...submission, tier: 'A' }, 202));
let tasks: { id: string; workflow_id: string }[] = [];
for (const until = Date.now() + 5 * 60_000; tasks.length < items; await new Promise((r) => setTimeout(r, 250))) {
  if (Date.now() > until) throw new Error(`only ${tasks.length} of ${items} review tasks opened`);
  // A fresh database and B-tier items that never open tasks: every open task here is one of these items.
  tasks = await apiOrm.em.fork().getConnection().execute(`select id, workflow_id from tasks where status = 'open'`);
}
const bareComplete = async (t: { id: string; workflow_id: string }) => {
  await client.workflow
    .getHandle(t.workflow_id)
    .executeUpdate(completeTask, { args: [{ taskId: t.id, decision: 'approve', actor: reviewerActor }] });
};
const apiComplete = (t: { id: string }) => post(`/tasks/${t.id}/complete`, reviewer.token, { decision: 'approve' }, 200);

const updateRuns = { bare: [] as Run[], api: [] as Run[] };
for (let i = 0; i < UPDATES + WARM_UPDATES; i++) {
  const bareTask = tasks[2 * i]!;
  const apiTask = tasks[2 * i + 1]!;
  const pair = [
    ['bare', () => bareComplete(bareTask)],
    ['api', () => apiComplete(apiTask)],
  ] as const;
  for (const [side, op] of i % 2 === 0 ? pair : [...pair].reverse()) {
    const run = await runConcurrent(1, 1, op);
    if (i >= WARM_UPDATES) updateRuns[side].push(run);
  }
}
await drain();

// Report.
const latencyRow = (label: string, r: Run, ops = true) =>
  row(
    [
      label,
      ops ? fmt(r.latencies.length / (r.wallMs / 1000)) : '',
      fmt(percentile(r.latencies, 50)),
      fmt(percentile(r.latencies, 95)),
      fmt(percentile(r.latencies, 99)),
      // Sequential calls overlap the worker publishing earlier items, so CPU per call means nothing in part 2.
      ops ? fmt(r.cpuMs / r.latencies.length, 2) : '',
      String(r.errors.length),
    ],
    [32, 8, 8, 8, 8, 10, 6],
  );
const header = row(['', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'cpu ms/op', 'errors'], [32, 8, 8, 8, 8, 10, 6]);

const starts = { bare: merge(startRuns.bare), api: merge(startRuns.api) };
const updates = { bare: merge(updateRuns.bare), api: merge(updateRuns.api) };
const throughputRatio = starts.api.latencies.length / starts.api.wallMs / (starts.bare.latencies.length / starts.bare.wallMs);
const apiP99 = percentile(updates.api.latencies, 99);
const medianRatio = percentile(updates.api.latencies, 50) / percentile(updates.bare.latencies, 50);

console.log(`\n${machineLine('bench:review')}`);
console.log(
  `API: own pool of ${API_POOL}, log level ${process.env.BENCH_LOG_LEVEL ?? 'silent'}; worker, API and bench client share one Node process`,
);
console.log('cpu ms/op: CPU of this Node process per call (the dev server and PostgreSQL are not counted)\n');
console.log(`Part 1: ${STARTS} starts per side per round, concurrency ${CONCURRENCY}, ${ROUNDS} rounds (alternating order), B tier`);
console.log(header);
console.log(latencyRow('bare client.workflow.start', starts.bare));
console.log(latencyRow('API POST /content', starts.api));
console.log(`\nPart 2: ${UPDATES} completions per side, sequential (concurrency 1), bare and API alternating, A tier`);
console.log(header);
console.log(latencyRow('bare executeUpdate(completeTask)', updates.bare, false));
console.log(latencyRow('API POST /tasks/:id/complete', updates.api, false));
for (const [label, r] of [
  ['starts bare', starts.bare],
  ['starts api', starts.api],
  ['updates bare', updates.bare],
  ['updates api', updates.api],
] as const) {
  if (r.errors.length) console.log(`  ${label}: ${r.errors.length} errors, first: ${r.errors[0]}`);
}

if (profiles.bare && profiles.api) {
  const { bare, api } = profiles as Required<typeof profiles>;
  const perCall = (ms: number | undefined) => (ms ?? 0) / PROFILE_STARTS;
  console.log(`\nWhere the CPU goes (Part 1, one more profiled round of ${PROFILE_STARTS} per side): main-thread self time per call, ms`);
  const pw = [34, 8, 8, 8];
  console.log(row(['script group', 'bare', 'API', 'API-bare'], pw));
  console.log(
    row(
      ['all (main thread busy)', fmt(perCall(bare.totalMs), 3), fmt(perCall(api.totalMs), 3), fmt(perCall(api.totalMs - bare.totalMs), 3)],
      pw,
    ),
  );
  const groups = [...new Set([...api.groups.keys(), ...bare.groups.keys()])]
    .map((g) => [g, perCall(bare.groups.get(g)), perCall(api.groups.get(g))] as const)
    .filter(([, b, a]) => Math.max(a, b) >= 0.02)
    .sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
  for (const [g, b, a] of groups) console.log(row([g, fmt(b, 3), fmt(a, 3), fmt(a - b, 3)], pw));
  console.log('top API functions (self ms per call):');
  for (const [f, ms] of [...api.functions].slice(0, 15)) console.log(`  ${fmt(perCall(ms), 3).padStart(7)}  ${f}`);
}

console.log('\nSummary');
const widths = [36, 10, 10, 14];
console.log(row(['metric', 'value', 'target', 'verdict'], widths));
console.log(row(['start throughput API / bare', fmt(throughputRatio, 2), '>= 0.90', verdict(throughputRatio >= 0.9)], widths));
console.log(
  row(
    [
      'start CPU ms/call API | bare',
      `${fmt(starts.api.cpuMs / starts.api.latencies.length, 2)} | ${fmt(starts.bare.cpuMs / starts.bare.latencies.length, 2)}`,
      '',
      '',
    ],
    widths,
  ),
);
console.log(row(['completion p99 API (ms)', fmt(apiP99), '<= 250', verdict(apiP99 <= 250)], widths));
console.log(row(['completion median API / bare', fmt(medianRatio, 2), '<= 1.50', verdict(medianRatio <= 1.5)], widths));

agent.destroy();
await measured.close();
await stack.close();
