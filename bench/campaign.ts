// `npm run bench:campaign`: a campaign to BENCH_RECIPIENTS customers (10,000) through the whole product (API import,
// approval, the campaign workflow and its send pass in a worker process) into the local SMTP sink, against bare
// nodemailer sending as many comparable messages to the same sink in the same run (the baseline runs first). Counts
// at the sink: recipients reached, duplicates, lost. Samples the worker's resident memory during the send. Exits 1 on
// a duplicate, a lost recipient or an error; never fails on timings. With the campaign still running after its last
// send, it times the campaign's counts as GET /campaigns/:id and the guard read them (counters, db/campaign-counts.ts)
// against the ledger scans they replaced, and checks that both give the same figures.
//
// Each sender is its own process (the worker: node worker/main.ts; the baseline: this file with --bare-sender) and the
// sink runs in this one, so neither side shares an event loop with the sink that parses every message.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SEND_CONCURRENCY } from '../activities/campaign-sender.ts';
import { composeMessage } from '../domain/message-data.ts';
import { DEFAULT_TEMPLATES } from '../domain/message-templates.defaults.ts';
import type { CaughtMessage } from '../start/mail-catcher.ts';
import { createMailer, SMTP_CONNECTIONS } from '../runtime/mailer.ts';
import type { Stack, TestOperator } from '../tests/support/stack.ts';
import { eventually } from '../tests/support/wait.ts';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RECIPIENTS = int('BENCH_RECIPIENTS', 10_000);
/** The baseline's messages (its rate is what is compared): fewer than the audience saves time on a busy machine. */
const BARE_MESSAGES = int('BENCH_BARE_MESSAGES', RECIPIENTS);
/** As many sends in flight as one campaign pass keeps (activities/campaign-sender.ts). */
const BARE_CONCURRENCY = int('BENCH_BARE_CONCURRENCY', SEND_CONCURRENCY);
const SEND_RATE = 10_000; // the API's maximum: the pacing must not be what is measured
/** BATCH_LIMIT of POST /customers. */
const IMPORT_BATCH = 10_000;
const SAMPLE_MS = 500;
/** Shares of the audience at the sink at which the worker's RSS is printed. */
const RSS_MARKS = [0.1, 0.25, 0.5, 0.75, 1];
/** Timed reads of the counts: the counters and GET /campaigns/:id, and the scans they replaced. */
const COUNT_READS = 100;
const SCAN_READS = 10;
/** Give up on a side when nothing new reached the sink for this long. */
const STALL_MS = int('BENCH_STALL_MS', 60_000);
const SETTLE_MS = int('BENCH_SETTLE_MS', 5_000);
/**
 * BENCH_READS_BESIDE=1: the counts are timed beside the sends (from a tenth of the audience on), as before; by default
 * after the last send, the campaign still running: 100 GET /campaigns/:id are 100 workflow queries the worker answers
 * and requests this process (the sink) serves, which slowed the sends they were beside and not the baseline's.
 */
const READS_BESIDE = process.env.BENCH_READS_BESIDE === '1';
// Both sides render this through the shipped campaign template (English: the bench's customers have no language, the
// platform's default is en) with composeMessage, so their messages are the same size and shape.
const MESSAGE = {
  subject: 'Spring sale, {{firstName|friend}}: 20% off this week',
  body:
    'Hello {{firstName|there}},\n\nEverything in the spring collection is 20% off until Sunday, for {{email}}.\n\n' +
    'Pick what you like, and the discount is applied at checkout. See you soon.',
};
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024; // /proc reports kB

const person = (side: 'campaign' | 'bare', i: number) => ({
  name: `Customer${i} Bench`,
  email: `${side}-${i}@${side}.example.com`,
});

/**
 * The baseline, in its own process: the product's transport (createMailer: pooled) and what deliverOnce hands it
 * (the message composed as the worker composes it for this customer, a Message-ID, the unsubscribe and idempotency
 * headers), without the ledger, the messaging policy or Temporal. Prints its errors as JSON on stdout.
 */
async function bareSender(): Promise<void> {
  const { smtpUrl, n, concurrency } = JSON.parse(process.env.BENCH_BARE!) as { smtpUrl: string; n: number; concurrency: number };
  const mailer = createMailer(smtpUrl);
  const errors: string[] = [];
  const send = (i: number) => {
    const { name, email } = person('bare', i);
    const unsubscribe = `http://localhost:3000/unsubscribe/${randomUUID()}`;
    const { senderName, subject, html, text } = composeMessage(
      'campaign',
      { ...DEFAULT_TEMPLATES.campaign.en, locale: 'en' },
      {
        customer: { name, email, externalId: `bare-${i}`, stage: null, segment: null, locale: null, timezone: 'UTC' },
        platform: { name: 'opsflow', url: null },
        unsubscribeUrl: unsubscribe,
        resubscribeUrl: unsubscribe,
        values: MESSAGE,
      },
    );
    const key = `bare:send:${i}`;
    return mailer.sendMail({
      from: `"${senderName}" <opsflow@localhost>`,
      to: [email],
      subject,
      html,
      text,
      messageId: `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@localhost>`,
      headers: {
        'List-Unsubscribe': `<${unsubscribe}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'X-Opsflow-Idempotency-Key': key,
      },
    });
  };
  // runConcurrent in bench/lib.ts would load the API and the ORM into this process and its memory figure.
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      for (let i = next++; i < n; i = next++) {
        try {
          await send(i);
        } catch (err) {
          errors.push(String(err));
        }
      }
    }),
  );
  mailer.close();
  process.stdout.write(JSON.stringify({ errors }));
}

interface Sample {
  at: number;
  rss: number;
  cpuMs: number;
}

/** Samples a process (or the machine) every SAMPLE_MS: resident memory in MiB and cumulative CPU in ms. */
function sampler(probe: () => Omit<Sample, 'at'>) {
  const samples: Sample[] = [];
  const timer = setInterval(() => {
    try {
      samples.push({ at: Date.now(), ...probe() });
    } catch {
      /* the process has exited */
    }
  }, SAMPLE_MS);
  const within = (from: number, to: number) => samples.filter((s) => s.at >= from && s.at <= to);
  return {
    stop: () => clearInterval(timer),
    /** The highest resident memory sampled in [from, to] (epoch ms). */
    peak: (from: number, to: number) => Math.max(...within(from, to).map((s) => s.rss)),
    /** Average CPU in [from, to] as a percentage of one core (a 2-core machine tops out at 200). */
    cpu(from: number, to: number): number {
      const inside = within(from, to);
      const [a, b] = [inside[0], inside.at(-1)];
      return a && b && b.at > a.at ? (100 * (b.cpuMs - a.cpuMs)) / (b.at - a.at) : NaN;
    },
  };
}

const TICK_MS = 10; // /proc counts CPU in USER_HZ ticks, 100 a second on Linux
/** VmRSS, VmHWM (MiB) and user + system CPU (ms) of a process, from /proc. */
function procStats(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the third (state) on
  return { rss: kb('VmRSS:') / MiB, hwm: kb('VmHWM:') / MiB, cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
}
/** Busy CPU of the whole machine (ms, all cores): user, nice, system, irq, softirq, steal. */
function machineCpuMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
}

/** A child Node process with its output kept, sampled from /proc. */
function child(args: string[], env: Record<string, string>) {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const log: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => log.push(...chunk.split('\n').filter((l) => l.trim())));
  // BENCH_LOG_DIR: each child's output is kept in <dir>/<pid>.log as well (the worker's log, to diagnose a stall).
  if (process.env.BENCH_LOG_DIR) {
    mkdirSync(process.env.BENCH_LOG_DIR, { recursive: true });
    const file = createWriteStream(`${process.env.BENCH_LOG_DIR}/${proc.pid}.log`);
    proc.stdout!.pipe(file);
    proc.stderr!.pipe(file);
  }
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const stats = () => procStats(proc.pid!);
  const sampled = sampler(stats);
  void exit.then(sampled.stop);
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    out,
    log,
    exit,
    stats,
    running,
    peak: sampled.peak,
    cpu: sampled.cpu,
    /** SIGTERM (the worker drains), SIGKILL after 60 s; the exit code, or 'killed'. */
    async stop(): Promise<number | null | 'killed'> {
      if (!running()) return exit;
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exit,
        new Promise<'killed'>((r) => {
          timer = setTimeout(() => r('killed'), 60_000);
        }),
      ]);
      clearTimeout(timer);
      if (code === 'killed') proc.kill('SIGKILL');
      return code;
    },
  };
}
type Child = ReturnType<typeof child>;

interface Tally {
  recipients: number;
  received: number;
  messages: number;
  /** Recipients with more than one message, and the messages beyond the first. */
  duplicates: number;
  extra: number;
  lost: number;
  /** Messages to the side's domain for someone outside its audience. */
  strays: number;
  first: number;
  last: number;
}

/**
 * What the sink received for one side's audience (addresses on `domain`), with the first and last arrival (epoch ms).
 * Incremental: each call counts the messages it is given on top of those given before (each message once).
 */
function tallier(audience: string[], domain: string): (messages: CaughtMessage[]) => Tally {
  const wanted = new Set(audience);
  const per = new Map<string, number>();
  let [first, last, count, received, duplicates, extra, strays] = [Infinity, -Infinity, 0, 0, 0, 0, 0];
  return (messages) => {
    for (const m of messages) {
      const ours = m.to.map((t) => t.toLowerCase()).filter((t) => t.endsWith(domain));
      if (ours.length === 0) continue;
      count += 1;
      for (const to of ours) {
        const n = (per.get(to) ?? 0) + 1;
        per.set(to, n);
        if (n === 1) {
          if (wanted.has(to)) received += 1;
          else strays += 1;
        } else {
          extra += 1;
          if (n === 2) duplicates += 1;
        }
      }
      const at = Date.parse(m.receivedAt);
      first = Math.min(first, at);
      last = Math.max(last, at);
    }
    return {
      recipients: audience.length,
      received,
      messages: count,
      duplicates,
      extra,
      lost: audience.length - received,
      strays,
      first,
      last,
    };
  };
}

/**
 * The messages the sink caught since the last call, taken out of it: it parses every message, and holding a whole
 * side's (100,000 parsed messages, text and HTML) grew its heap and its garbage collection through a run, CPU the two
 * sides' senders share with it (the sink's CPU per message was 1.3 ms at 20,000 and 2.0 ms at 100,000).
 */
function drain(stack: Stack): CaughtMessage[] {
  const caught = stack.mail.messages();
  void stack.mail.clear(); // without a directory, clear() empties the store before it returns
  return caught;
}

/**
 * Polls the sink until every address in `audience` has a message, or nothing new arrived for STALL_MS, counting a
 * side's messages as they arrive (`count`: a tallier, which keeps counting what arrives after); `progress` is told
 * each time the count of recipients reached changes.
 */
async function collect(
  stack: Stack,
  audience: string[],
  count: ReturnType<typeof tallier>,
  progress?: (received: number) => void,
): Promise<Tally> {
  let seen = -1;
  let since = Date.now();
  for (;;) {
    const t = count(drain(stack));
    progress?.(t.received);
    if (t.received === audience.length) return t;
    if (t.messages !== seen) {
      seen = t.messages;
      since = Date.now();
    }
    if (Date.now() - since > STALL_MS) return t;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function bench(): Promise<void> {
  // Loaded here, not at the top: the --bare-sender process must not carry the API, the ORM and the Temporal SDK.
  const { startStack } = await import('../tests/support/stack.ts');
  const { fmt, machineLine, percentile, row, verdict, workerEnv } = await import('./lib.ts');
  const started = performance.now();
  const progress = (msg: string) => process.stderr.write(`[${fmt((performance.now() - started) / 1000, 0)}s] ${msg}\n`);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const seconds = (ms: number) => fmt(ms / 1000, 2);

  const stack = await startStack();
  const { env, taskQueue } = stack;
  // The product's worker runs as its own process below, so its resident memory is its own.
  await stack.stopWorker();
  const errors: string[] = [];
  const children: Child[] = [];
  // This process holds the sink (and the API, idle during the sends); the machine adds PostgreSQL and the dev server.
  const self = sampler(() => {
    const used = process.cpuUsage();
    return { rss: process.memoryUsage.rss() / 2 ** 20, cpuMs: (used.user + used.system) / 1000 };
  });
  const machine = sampler(() => ({ rss: NaN, cpuMs: machineCpuMs() }));
  let failed = true;
  try {
    const ingest = await stack.operator(['ingest'], 'Importer');
    const owner = await stack.operator(['ops_manager'], 'Olga');
    const approver = await stack.operator(['ops_manager'], 'Pete');
    const call = async (method: string, path: string, who: TestOperator, body?: unknown, expected = 200) => {
      const res = await stack.api(method, path, { token: who.token, ...(body === undefined ? {} : { body }) });
      if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      return res.body;
    };

    // Every recipient is sent: no frequency cap, no quiet hours (the time of day of a run must not matter).
    await call('PUT', '/policies/messaging', owner, { frequencyCap: null, quietHours: null });
    const tag = `bench-${randomUUID().slice(0, 8)}`;
    progress(`importing ${RECIPIENTS} customers`);
    for (let from = 0; from < RECIPIENTS; from += IMPORT_BATCH) {
      const customers = Array.from({ length: Math.min(IMPORT_BATCH, RECIPIENTS - from) }, (_, k) => ({
        externalId: `${tag}-${from + k}`,
        ...person('campaign', from + k),
        tags: [tag],
        timezone: 'UTC',
        marketingConsent: true,
      }));
      const res = await call('POST', '/customers', ingest, { customers });
      if (res.created !== customers.length) throw new Error(`POST /customers created ${res.created} of ${customers.length}`);
    }
    const campaignAudience = Array.from({ length: RECIPIENTS }, (_, i) => person('campaign', i).email);
    const bareAudience = Array.from({ length: BARE_MESSAGES }, (_, i) => person('bare', i).email);

    // The baseline first: no worker process exists yet, so nothing else competes for the two sides' CPU.
    progress(`baseline: bare nodemailer, ${BARE_MESSAGES} messages, ${BARE_CONCURRENCY} in flight`);
    await stack.mail.clear();
    const bare = child([fileURLToPath(import.meta.url), '--bare-sender'], {
      BENCH_BARE: JSON.stringify({ smtpUrl: stack.mail.smtpUrl, n: BARE_MESSAGES, concurrency: BARE_CONCURRENCY }),
    });
    children.push(bare);
    const bareSpawned = Date.now();
    const bareTally = await collect(stack, bareAudience, tallier(bareAudience, '@bare.example.com'));
    const bareCode = await bare.exit; // it exits by itself once its pool is closed
    const bareDone = Date.now();
    if (bareCode !== 0) errors.push(`the bare sender exited with ${bareCode}: ${bare.log.slice(0, 3).join(' | ')}`);
    const bareErrors = bareCode === 0 ? (JSON.parse(bare.out.join('')) as { errors: string[] }).errors : [];
    errors.push(...bareErrors);
    const bareRssPeak = bare.peak(bareSpawned, bareDone);
    await stack.mail.clear();

    progress('starting the worker process (it bundles the workflows first)');
    // BENCH_WORKER_ARGS: Node options for the worker, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' (written at its exit).
    const worker = child([...(process.env.BENCH_WORKER_ARGS ?? '').split(' ').filter(Boolean), 'worker/main.ts'], {
      ...workerEnv(stack),
      LOG_LEVEL: process.env.BENCH_WORKER_LOG_LEVEL ?? 'warn',
    });
    children.push(worker);
    // Within the default approval threshold (10,000 USD), so one ops_manager approves; 500,000 sends affordable.
    const budget = { total: 5000, currency: 'USD', costPerSend: 0.01 };
    const created = (await call(
      'POST',
      '/campaigns',
      owner,
      {
        name: `Spring sale ${tag}`,
        budget,
        audience: { filters: { tags: [tag] } },
        message: MESSAGE,
        schedule: { startAt: new Date(Date.now() - 60_000).toISOString(), endAt: new Date(Date.now() + 2 * 3_600_000).toISOString() },
        sendRate: SEND_RATE,
      },
      202,
    )) as { id: string; audienceNow: number };
    const id = created.id;
    if (created.audienceNow !== RECIPIENTS) throw new Error(`the audience is ${created.audienceNow} customers, not ${RECIPIENTS}`);
    const task = await eventually(
      async () => {
        const res = await call('GET', `/tasks?entityType=campaign&entityId=${id}&status=open`, owner);
        return res.items[0] as { id: string } | undefined;
      },
      'the approval task',
      120_000,
    );
    await sleep(2000); // the worker's start-up (bundling) settles before the idle figure
    const rssIdle = worker.stats().rss;

    progress(`campaign: approving; ${RECIPIENTS} recipients at up to ${SEND_RATE}/s`);
    const approvedAt = Date.now();
    await call('POST', `/tasks/${task.id}/complete`, approver, { decision: 'approve' });
    // The counts as GET /campaigns/:id and the guard read them, against the scans they replaced, in this run: timed
    // after the last send (the ledger holds the whole audience), or beside the sends (READS_BESIDE).
    const { guardCounts, ledgerCounts, scanCampaignCounts, scanGuardFigures } = await import('../db/campaign-counts.ts');
    const orm = stack.db.orm;
    const timed = async (n: number, op: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await op();
        ms.push(performance.now() - t);
      }
      return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
    };
    const timeReads = async () => ({
      getCounters: await timed(COUNT_READS, () => call('GET', `/campaigns/${id}`, owner)),
      ledgerCounters: await timed(COUNT_READS, () => ledgerCounts(orm, id)),
      ledgerScan: await timed(SCAN_READS, () => scanCampaignCounts(orm, id)),
      guardCounters: await timed(COUNT_READS, () => guardCounts(orm, id)),
      guardScan: await timed(SCAN_READS, () => scanGuardFigures(orm, id)),
    });
    let timing: ReturnType<typeof timeReads> | null = null;
    const readLine = (r: Awaited<ReturnType<typeof timeReads>>) =>
      `p50 ms: GET /campaigns/:id ${fmt(r.getCounters.p50, 2)}, ` +
      `ledgerCounts ${fmt(r.ledgerCounters.p50, 2)} (scan ${fmt(r.ledgerScan.p50, 2)}), guardCounts ${fmt(r.guardCounters.p50, 2)} (scan ${fmt(r.guardScan.p50, 2)})`;

    // The worker's RSS as the sends reach these shares of the audience: flat, or growing with it.
    const marks = RSS_MARKS.map((share) => ({ share, at: Math.ceil(RECIPIENTS * share), rss: NaN }));
    const campaignCount = tallier(campaignAudience, '@campaign.example.com');
    const sendTally = await collect(stack, campaignAudience, campaignCount, (received) => {
      for (const m of marks) {
        if (Number.isNaN(m.rss) && received >= m.at) {
          m.rss = worker.stats().rss;
          progress(
            `campaign: ${received} of ${RECIPIENTS} at the sink (${fmt(received / ((Date.now() - approvedAt) / 1000))}/s since the approval); ` +
              `worker RSS ${fmt(m.rss, 0)} MiB`,
          );
        }
      }
      if (READS_BESIDE && !timing && received >= RECIPIENTS / 10) {
        timing = timeReads();
        void timing.then(
          (r) => progress(`counts with ${RECIPIENTS} recipients in the ledger, ${readLine(r)}`),
          () => undefined,
        );
      }
    });
    const sendDone = Date.now();
    const rssAtLast = worker.stats().rss;
    const reads = await (timing ?? timeReads());
    progress('campaign: every recipient at the sink; checking the counters against the scans');
    const [countersNow, scanNow, guardNow, guardScanNow] = [
      await ledgerCounts(orm, id),
      await scanCampaignCounts(orm, id),
      await guardCounts(orm, id),
      await scanGuardFigures(orm, id),
    ];
    const countersAgree =
      JSON.stringify(countersNow) === JSON.stringify(scanNow) && JSON.stringify(guardNow) === JSON.stringify(guardScanNow);
    if (!countersAgree)
      errors.push(
        `the counters ${JSON.stringify({ countersNow, guardNow })} differ from the scans ${JSON.stringify({ scanNow, guardScanNow })}`,
      );
    progress('campaign: ending it');

    await call('POST', `/campaigns/${id}/end`, owner, { reason: 'benchmark done' });
    const view = await eventually(
      async () => {
        const v = await call('GET', `/campaigns/${id}`, owner);
        return v.stage === 'reported' && v;
      },
      'the retrospective',
      300_000,
    ); // generous: the 2 shared cores may be busy with others' work
    await sleep(SETTLE_MS);
    const settled = worker.stats();
    const runningAt = Date.parse(view.history.find((h: { to: string }) => h.to === 'running')?.at ?? '');
    const launchedAt = Date.parse(view.launchedAt ?? '');
    const rssPeak = worker.peak(approvedAt, sendDone);
    progress('stopping the worker');
    const workerCode = await worker.stop();
    if (workerCode !== 0) errors.push(`the worker exited with ${workerCode}`);
    // Counted after the end and the worker's exit: a duplicate sent late would be here too.
    const campaignTally = campaignCount(drain(stack));
    const counts = view.counts as { sent: number; pending: number; failed: number; skipped: Record<string, number> };
    const skipped = Object.values(counts.skipped).reduce((s, n) => s + n, 0);

    // Report.
    const rate = (t: Tally) => t.received / ((t.last - t.first) / 1000);
    const bareRate = rate(bareTally);
    const campaignRate = rate(campaignTally);
    const fromRunning = campaignTally.received / ((campaignTally.last - runningAt) / 1000);
    const ratio = campaignRate / bareRate;
    const complete = (t: Tally) => t.received === t.recipients;

    console.log(`\n${machineLine('bench:campaign')}`);
    console.log(
      `Temporal dev server (in-memory SQLite) via TestWorkflowEnvironment.createLocal; PostgreSQL ${stack.db.url.replace(/\/[^/]*$/, '/…')}; ` +
        'SMTP sink start/mail-catcher.ts in this process',
    );
    console.log(
      `Both senders compose the same message (the shipped campaign template, composeMessage) and use createMailer (runtime/mailer.ts: ` +
        `pooled, ${SMTP_CONNECTIONS} connections), each in its own process; the baseline ran first, before the worker process started`,
    );
    console.log(
      `Campaign: ${RECIPIENTS} recipients, sendRate ${SEND_RATE}/s, budget ${budget.total} ${budget.currency} at ${budget.costPerSend} per send, ` +
        'messaging policy without cap or quiet hours, the default guard rule',
    );
    console.log('msgs/s: messages received over the window from the first to the last arrival at the sink (the same for both sides)\n');

    const widths = [44, 9, 9, 9, 7];
    console.log(row(['', 'messages', 'msgs/s', 'window s', 'errors'], widths));
    console.log(
      row(
        [
          `bare nodemailer, ${BARE_CONCURRENCY} in flight`,
          String(bareTally.received),
          fmt(bareRate),
          seconds(bareTally.last - bareTally.first),
          String(bareErrors.length),
        ],
        widths,
      ),
    );
    console.log(
      row(
        [
          'campaign (worker/main.ts, its send pass)',
          String(campaignTally.received),
          fmt(campaignRate),
          seconds(campaignTally.last - campaignTally.first),
          String(counts.failed),
        ],
        widths,
      ),
    );
    console.log(row(['  campaign from its stage running', '', fmt(fromRunning), seconds(campaignTally.last - runningAt), ''], widths));
    console.log(
      `  campaign timeline: approved -> launched ${seconds(launchedAt - approvedAt)} s; launched -> running (audience frozen) ` +
        `${seconds(runningAt - launchedAt)} s; running -> first message ${seconds(campaignTally.first - runningAt)} s; ` +
        `first -> last message ${seconds(campaignTally.last - campaignTally.first)} s`,
    );
    const cpuLine = (label: string, sender: Child, t: Tally) =>
      `  CPU from the first to the last message (% of one core; the machine has ${os.cpus().length}): ${label} ${fmt(sender.cpu(t.first, t.last), 0)}, ` +
      `this process (the sink) ${fmt(self.cpu(t.first, t.last), 0)}, whole machine ${fmt(machine.cpu(t.first, t.last), 0)}`;
    console.log(cpuLine('bare sender', bare, bareTally));
    console.log(cpuLine('worker', worker, campaignTally));
    console.log(
      `  send ledger after the end: sent ${counts.sent}, skipped ${skipped}, failed ${counts.failed}, pending ${counts.pending}; stage ${view.stage}`,
    );

    const widths2 = [10, 11, 9, 9, 11, 6, 5, 7];
    console.log('\nAt the sink');
    console.log(row(['', 'recipients', 'received', 'messages', 'duplicates', 'extra', 'lost', 'strays'], widths2));
    for (const [label, t] of [
      ['bare', bareTally],
      ['campaign', campaignTally],
    ] as const) {
      console.log(
        row(
          [
            label,
            String(t.recipients),
            String(t.received),
            String(t.messages),
            String(t.duplicates),
            String(t.extra),
            String(t.lost),
            String(t.strays),
          ],
          widths2,
        ),
      );
    }

    console.log(
      `\nWorker process RSS (MiB, /proc VmRSS every ${SAMPLE_MS} ms): ${fmt(rssIdle, 0)} idle before the approval; ` +
        `peak ${fmt(rssPeak, 0)} from the approval to the last message; ${fmt(rssAtLast, 0)} at the last message; ` +
        `${fmt(settled.rss, 0)} settled (ended, reported, then ${SETTLE_MS / 1000} s); VmHWM since start ${fmt(settled.hwm, 0)} (bundling included)`,
    );
    console.log(
      `Worker RSS (MiB) as the sink reached ${marks.map((m) => `${m.share * 100}%`).join(' / ')} of the audience: ` +
        `${marks.map((m) => fmt(m.rss, 0)).join(' / ')}; from 10% to 100%: ${fmt(marks.at(-1)!.rss - marks[0]!.rss, 0)} MiB ` +
        `(${fmt(((marks.at(-1)!.rss - marks[0]!.rss) / (RECIPIENTS * 0.9)) * 1024, 2)} KiB per recipient sent)`,
    );
    console.log(`Bare sender process RSS peak (MiB): ${fmt(bareRssPeak, 0)}`);

    const widths4 = [58, 9, 9];
    console.log(
      `\nCounts of the running campaign (${RECIPIENTS} recipients in its ledger, ${READS_BESIDE ? `timed from ${RECIPIENTS / 10} sends on, beside them` : 'timed after its last send'}), ms; ` +
        `${COUNT_READS} reads of each counter read, ${SCAN_READS} of each scan, one after another from this process`,
    );
    console.log(row(['', 'p50', 'p95'], widths4));
    const readRow = (label: string, r: { p50: number; p95: number }) => console.log(row([label, fmt(r.p50, 2), fmt(r.p95, 2)], widths4));
    readRow('GET /campaigns/:id (HTTP, the workflow query and the counters)', reads.getCounters);
    readRow('  its counts now: ledgerCounts (campaign_counts)', reads.ledgerCounters);
    readRow('  its counts before: the ledger scan (scanCampaignCounts)', reads.ledgerScan);
    readRow('guard check now: guardCounts (campaign_counts)', reads.guardCounters);
    readRow('guard check before: the ledger scan joined with customers', reads.guardScan);
    console.log(
      `Counters equal the scans: ${countersAgree ? 'yes' : 'NO'} (sent ${countersNow.sent}, pending ${countersNow.pending}, ` +
        `spend ${countersNow.spend}; guard ${JSON.stringify(guardNow)})`,
    );
    console.log(
      `Worker log lines at warn or above: ${worker.log.length}${worker.log.length ? `; first: ${worker.log[0]!.slice(0, 300)}` : ''}`,
    );
    for (const e of errors.slice(0, 5)) console.log(`  error: ${e.slice(0, 300)}`);

    const widths3 = [40, 10, 10, 14];
    console.log('\nSummary');
    console.log(row(['metric', 'value', 'target', 'verdict'], widths3));
    console.log(row(['msgs/s, campaign / bare nodemailer', fmt(ratio, 2), '>= 0.80', verdict(ratio >= 0.8)], widths3));
    console.log(row(['duplicates at the sink', String(campaignTally.duplicates), '0', verdict(campaignTally.duplicates === 0)], widths3));
    console.log(row(['lost at the sink', String(campaignTally.lost), '0', verdict(campaignTally.lost === 0)], widths3));
    console.log(row(['worker RSS peak during the send (MiB)', fmt(rssPeak, 0), '', ''], widths3));
    console.log(row(['worker RSS settled (MiB)', fmt(settled.rss, 0), '', ''], widths3));
    console.log(row(['worker RSS 100% - 10% of sends (MiB)', fmt(marks.at(-1)!.rss - marks[0]!.rss, 0), '', ''], widths3));
    console.log(
      row(
        ['guard check p50, counters / scan (ms)', `${fmt(reads.guardCounters.p50, 2)} / ${fmt(reads.guardScan.p50, 1)}`, '', ''],
        widths3,
      ),
    );
    console.log(row(['counters equal the scans', countersAgree ? 'yes' : 'no', 'yes', verdict(countersAgree)], widths3));
    console.log(`\nTotal run time ${fmt((performance.now() - started) / 1000, 0)} s; errors: ${errors.length}`);
    failed =
      errors.length > 0 ||
      campaignTally.duplicates > 0 ||
      campaignTally.lost > 0 ||
      campaignTally.strays > 0 ||
      !complete(bareTally) ||
      bareTally.duplicates > 0;
  } finally {
    self.stop();
    machine.stop();
    for (const c of children) if (c.running()) c.proc.kill('SIGKILL');
    progress('tearing down the dev server and the database');
    await stack.close();
    progress('done');
  }
  if (failed) process.exitCode = 1;
}

// At the end: every constant above is initialised before either side runs.
if (process.argv[2] === '--bare-sender') await bareSender();
else await bench();
