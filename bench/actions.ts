// Temporal Cloud actions per workflow family, counted from event histories the way Temporal Cloud bills them
// (docs.temporal.io/cloud/actions), and what 1 million live customer lifecycles cost in actions per second.
// `npm run bench:actions [-- <history.json or directory> ...]`; default: tests/replay/histories (the recorded flows
// of every family; the old code's v0-*, v1-* left out). No server needed. What a history does not show is modelled
// and said so: queries, activity heartbeats, rejected updates, Schedule runs, the event dispatchers' wakes.
import { Worker } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflows, quietRuntime } from '../tests/support/runtime.ts';
import { fmt, row } from './lib.ts';

/** Billable kinds, as the Cloud docs name them. */
const KINDS = [
  'start',
  'signal',
  'update',
  'activity',
  'timer',
  'child',
  'continueAsNew',
  'searchAttributes',
  'localActivity',
  'schedule',
] as const;
type Kind = (typeof KINDS)[number];
type Counts = Record<Kind, number>;
/** What set a chain of workflow tasks going: an event delivered (start or signal), a decision (update), time (a timer). */
type Cause = 'delivery' | 'decision' | 'time' | 'other';

interface HistoryEvent {
  eventId: string;
  eventType: string;
  [attributes: string]: any;
}

interface Chain {
  cause: Cause;
  deliveries: number;
  actions: number;
  activities: number;
}

interface Measured {
  name: string;
  family: string;
  events: number;
  counts: Counts;
  total: number;
  chains: Chain[];
  timerFires: number;
}

const zero = (): Counts => Object.fromEntries(KINDS.map((k) => [k, 0])) as Counts;
const type = (e: HistoryEvent) => e.eventType.replace(/^EVENT_TYPE_/, '');
const sum = (c: Counts) => KINDS.reduce((s, k) => s + c[k], 0);

/**
 * Counts one run's billable actions. Each run is counted on its own: a continue-as-new in the run that ends, not as
 * the next run's start; a child's start (two actions) in the parent, not in the child; a signal-with-start is one
 * action (the start), a Schedule's run three (two for the Schedule, one for the start). Activity attempts are the
 * `attempt` of their started event (retries are billed); patch markers and TemporalChangeVersion upserts are free.
 */
export function countActions(events: HistoryEvent[]): { counts: Counts; chains: Chain[]; timerFires: number } {
  const counts = zero();
  const chains: Chain[] = [];
  let chain: Chain | undefined;
  /** Since the last completed workflow task: what woke the workflow. */
  let woke: { cause: Cause; deliveries: number; activityChain?: Chain } = { cause: 'other', deliveries: 0 };
  const activityChain = new Map<string, Chain>();
  const timerChain = new Map<string, Chain>();
  let localActivityInTask = false;
  let timerFires = 0;
  const charge = (kind: Kind, n: number, to: Chain | undefined) => {
    counts[kind] += n;
    if (to) {
      to.actions += n;
      if (kind === 'activity') to.activities += 1;
    }
  };
  const wake = (cause: Cause, deliveries = 0, from?: Chain) => {
    // A delivery outranks a decision, which outranks time, which outranks an activity completing.
    const rank: Cause[] = ['delivery', 'decision', 'time', 'other'];
    if (rank.indexOf(cause) < rank.indexOf(woke.cause)) woke = { cause, deliveries: woke.deliveries + deliveries };
    else woke = { ...woke, deliveries: woke.deliveries + deliveries, ...(from && !woke.activityChain ? { activityChain: from } : {}) };
  };

  for (const [i, e] of events.entries()) {
    switch (type(e)) {
      case 'WORKFLOW_EXECUTION_STARTED': {
        const a = e.workflowExecutionStartedEventAttributes ?? {};
        const scheduled = a.searchAttributes?.indexedFields?.TemporalScheduledById !== undefined;
        if (!a.parentWorkflowExecution && !a.continuedExecutionRunId) charge('start', 1, undefined);
        if (scheduled) charge('schedule', 2, undefined);
        wake('delivery', 0);
        break;
      }
      case 'WORKFLOW_EXECUTION_SIGNALED': {
        const a = e.workflowExecutionSignaledEventAttributes ?? {};
        // Signal-with-start: the signal right after the start, before the first task; billed as the start alone.
        const withStart = i === 1 && type(events[0]!) === 'WORKFLOW_EXECUTION_STARTED';
        // A signal from another workflow is billed where it was sent (SIGNAL_EXTERNAL_..._INITIATED).
        if (!withStart && !a.externalWorkflowExecution) counts.signal += 1;
        wake('delivery', 1);
        break;
      }
      case 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        counts.update += 1;
        wake('decision');
        break;
      case 'TIMER_FIRED':
        timerFires += 1;
        wake('time', 0, timerChain.get(e.timerFiredEventAttributes?.startedEventId));
        break;
      case 'ACTIVITY_TASK_COMPLETED':
      case 'ACTIVITY_TASK_FAILED':
      case 'ACTIVITY_TASK_TIMED_OUT':
      case 'ACTIVITY_TASK_CANCELED': {
        const attrs = e[Object.keys(e).find((k) => k.startsWith('activityTask') && k.endsWith('Attributes'))!] ?? {};
        wake('other', 0, activityChain.get(String(attrs.scheduledEventId)));
        break;
      }
      case 'WORKFLOW_TASK_COMPLETED': {
        // The commands that follow belong to what woke this task; an activity's completion continues its chain.
        if (woke.cause === 'other' && woke.activityChain) chain = woke.activityChain;
        else {
          chain = { cause: woke.cause, deliveries: woke.deliveries, actions: 0, activities: 0 };
          chains.push(chain);
          // The delivery's own signal is part of what it costs (a signal-with-start's is its start).
          chain.actions += woke.deliveries;
        }
        woke = { cause: 'other', deliveries: 0 };
        localActivityInTask = false;
        break;
      }
      case 'ACTIVITY_TASK_SCHEDULED':
        if (chain) activityChain.set(String(e.eventId), chain);
        break;
      case 'ACTIVITY_TASK_STARTED':
        charge(
          'activity',
          Number(e.activityTaskStartedEventAttributes?.attempt ?? 1),
          activityChain.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId)),
        );
        break;
      case 'TIMER_STARTED':
        charge('timer', 1, chain);
        if (chain) timerChain.set(String(e.eventId), chain);
        break;
      case 'START_CHILD_WORKFLOW_EXECUTION_INITIATED':
        charge('child', 2, chain);
        break;
      case 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED':
        charge('signal', 1, chain);
        break;
      case 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW':
        charge('continueAsNew', 1, chain);
        break;
      case 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
        const fields = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (fields.some((f) => f !== 'TemporalChangeVersion')) charge('searchAttributes', 1, chain);
        break;
      }
      case 'MARKER_RECORDED': {
        // Local activities: one action per workflow task however many; patch markers are free.
        const name = e.markerRecordedEventAttributes?.markerName ?? '';
        if (/local_activity|LocalActivity/.test(name) && !localActivityInTask) {
          localActivityInTask = true;
          charge('localActivity', 1, chain);
          // The lifecycle's save runs as one: the delivery did work beyond its signal and timer.
          if (chain) chain.activities += 1;
        }
        break;
      }
      case 'WORKFLOW_EXECUTION_OPTIONS_UPDATED':
        counts.update += 1;
        break;
      default:
    }
  }
  return { counts, chains, timerFires };
}

/** The family a recorded history belongs to, from its file name. */
const familyOf = (name: string) => {
  const families = [
    'lifecycle',
    'campaign',
    'content',
    'contract',
    'incident',
    'monitor',
    'rfm',
    'template-review',
    'unsubscribe-confirmation',
    'redelivery-sweep',
  ];
  return families.find((f) => name.startsWith(f)) ?? name.replace(/-.*/, '');
};

async function historyFiles(args: string[]): Promise<string[]> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const paths = args.length ? args : [path.join(here, '../tests/replay/histories')];
  const files: string[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      for (const f of (await readdir(p)).sort()) if (f.endsWith('.json') && (args.length || !/^v\d+-/.test(f))) files.push(path.join(p, f));
    } else files.push(p);
  }
  return files;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const int = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

async function main() {
  const measured: Measured[] = [];
  for (const file of await historyFiles(process.argv.slice(2))) {
    const { events } = JSON.parse(await readFile(file, 'utf8')) as { events: HistoryEvent[] };
    const { counts, chains, timerFires } = countActions(events);
    const name = path.basename(file, '.json');
    measured.push({ name, family: familyOf(name), events: events.length, counts, total: sum(counts), chains, timerFires });
  }

  console.log('opsflow bench:actions  Temporal Cloud billable actions counted from workflow histories');
  console.log('Per docs.temporal.io/cloud/actions: workflow started (client, continue-as-new, child x2, signal-with-start once), signal,');
  console.log(
    'update, activity attempt, timer started, search attribute upsert (not TemporalChangeVersion), local activities (one per task).',
  );
  console.log('Not in a history (modelled below): queries, activity heartbeats, rejected updates, Schedule runs (3 each).\n');
  const short: Record<Kind, string> = {
    start: 'start',
    signal: 'sig',
    update: 'upd',
    activity: 'act',
    timer: 'timer',
    child: 'child',
    continueAsNew: 'CAN',
    searchAttributes: 'SA',
    localActivity: 'LA',
    schedule: 'sched',
  };
  const widths = [48, 7, ...KINDS.map(() => 6), 7];
  console.log(row(['history', 'events', ...KINDS.map((k) => short[k]), 'total'], widths));
  for (const m of measured) console.log(row([m.name, String(m.events), ...KINDS.map((k) => String(m.counts[k])), String(m.total)], widths));

  console.log('\nPer family (median actions per run of the recorded flows)');
  const families = [...new Set(measured.map((m) => m.family))];
  const familyWidths = [26, 6, 8, 8, 8];
  console.log(row(['family', 'runs', 'median', 'min', 'max'], familyWidths));
  const perFamily = new Map<string, number>();
  for (const f of families) {
    const totals = measured.filter((m) => m.family === f).map((m) => m.total);
    perFamily.set(f, median(totals));
    console.log(
      row([f, String(totals.length), fmt(median(totals), 1), String(Math.min(...totals)), String(Math.max(...totals))], familyWidths),
    );
  }

  // Lifecycle unit costs from the chains: what one delivered event (or batch) costs, and what a timer's wake costs.
  const lifecycle = measured.filter((m) => m.family === 'lifecycle');
  const deliveries = lifecycle.flatMap((m) => m.chains.filter((c) => c.cause === 'delivery' && c.deliveries > 0));
  // A lone event to a lifecycle with nothing to do: its signal (the inactivity alarm is not re-armed; it rings early
  // once and is set again). A stage change adds its save, a signup its welcome.
  const lone = deliveries.filter((c) => c.activities === 0 && c.deliveries === 1);
  const burst = deliveries.filter((c) => c.activities === 0 && c.deliveries > 1);
  const wakes = lifecycle.flatMap((m) => m.chains.filter((c) => c.cause === 'time'));
  const mean = (cs: Chain[]) =>
    cs.reduce((s, c) => s + c.actions, 0) /
    Math.max(
      1,
      cs.reduce((s, c) => s + c.deliveries, 0),
    );
  const perDelivery = lone.length ? mean(lone) : 1;
  const perWake = wakes.reduce((s, c) => s + c.actions, 0) / Math.max(1, wakes.length);
  const arc = measured.find((m) => m.name === 'lifecycle-recalled')?.total ?? perFamily.get('lifecycle') ?? NaN;
  console.log('\nLifecycle, from its histories (each chain: the workflow tasks one wake sets going, with the activities they run)');
  console.log(
    `  a lone event to a lifecycle with nothing else to do: ${fmt(perDelivery, 2)} actions (${lone.length} seen: its signal, ` +
      `no timer); in a burst delivered together: ${fmt(mean(burst), 2)} per event (${burst.reduce((s, c) => s + c.deliveries, 0)} events)`,
  );
  console.log(
    `  every delivery seen, stage changes (a save), signups (save and welcome) and returns included: ${fmt(mean(deliveries), 2)} ` +
      `actions per event (${deliveries.length} deliveries)`,
  );
  console.log(
    `  a timer's wake (nurture step, policy refresh, inactivity, win-back deadline): ${fmt(perWake, 2)} actions (${wakes.length} wakes)`,
  );
  console.log(
    `  a customer's whole arc (signup, nurture emails, inactivity, win-back with a coupon, recall): ${arc} actions (lifecycle-recalled)`,
  );

  // The model: 1 million live lifecycles. Every figure here is an assumption, printed, and can be changed by env.
  const customers = int('BENCH_CUSTOMERS', 1_000_000);
  const eventsPerDay = int('BENCH_EVENTS_PER_DAY', 5);
  const newPerDay = int('BENCH_NEW_PER_DAY', Math.round(customers * 0.01));
  const recipients = int('BENCH_CAMPAIGN_RECIPIENTS', 100_000);
  const sendRate = int('BENCH_SEND_RATE', 50);
  const peak = int('BENCH_PEAK_FACTOR', 3);
  const lookupsPerDay = int('BENCH_LIFECYCLE_QUERIES_PER_DAY', 20_000);
  const campaignRun = perFamily.get('campaign') ?? NaN;
  const total = (name: string) => measured.find((m) => m.name === name)?.total;
  // The send pass heartbeats at most every 80% of its 15 s heartbeat timeout (the SDK's throttle).
  const campaignHeartbeats = Math.ceil(recipients / sendRate / 12);
  // Event dispatchers (asynchronous ingest): per pass a wake (signal-with-start) and one activity; at most one wake per
  // shard per 500 ms per API process, so a busy shard costs at most 4 actions/s, however many events; and every 30 s
  // its idle check (a timer, then a pass of its own).
  const shards = int('BENCH_EVENT_SHARDS', 8);
  // An active customer's inactivity alarm rings early about once per inactivity window (the events moved the deadline):
  // a timer's wake that finds nothing due and sets the alarm again.
  const inactivityDays = int('BENCH_INACTIVITY_DAYS', 14);
  const dispatchPerDay = Math.min(shards * 2 * 2 * 86_400, customers * eventsPerDay * 2) + shards * 2 * (86_400 / 30);
  const day = [
    {
      what: `lifecycle events: ${customers.toLocaleString('en')} x ${eventsPerDay}/day, each its own delivery`,
      actions: customers * eventsPerDay * perDelivery,
    },
    {
      what: `inactivity alarms ringing early: ${customers.toLocaleString('en')} / ${inactivityDays} days x a timer's wake`,
      actions: (customers / inactivityDays) * perWake,
    },
    { what: `new customers: ${newPerDay.toLocaleString('en')}/day x a whole arc`, actions: newPerDay * arc },
    { what: `lifecycle lookups (queries): ${lookupsPerDay.toLocaleString('en')}/day`, actions: lookupsPerDay },
    { what: `event dispatchers (async ingest): ${shards} shards woken every 500 ms all day, bound`, actions: dispatchPerDay },
    {
      what: `one ${recipients.toLocaleString('en')}-recipient campaign/day (run + ${campaignHeartbeats} heartbeats)`,
      actions: campaignRun + campaignHeartbeats,
    },
    // A Schedule's run is 2 actions besides its workflow's own (the recorded sweep was started by hand: +2).
    {
      what: 'schedules: RFM nightly, redelivery sweep every 5 min',
      actions: (total('rfm-scheduled') ?? 5) + 288 * ((total('redelivery-sweep-unsubscribe-confirmations') ?? 3) + 2),
    },
  ];
  const all = day.reduce((s, d) => s + d.actions, 0);
  console.log(`\n1 million live lifecycles: actions per day and per second (assumptions in the rows; BENCH_* env changes them)`);
  const modelWidths = [78, 14, 10, 8];
  console.log(row(['', 'actions/day', 'avg APS', 'share'], modelWidths));
  for (const d of day)
    console.log(
      row(
        [d.what, Math.round(d.actions).toLocaleString('en'), fmt(d.actions / 86_400, 2), `${fmt((100 * d.actions) / all, 1)}%`],
        modelWidths,
      ),
    );
  console.log(row(['total', Math.round(all).toLocaleString('en'), fmt(all / 86_400, 1), '100%'], modelWidths));
  console.log(
    `  at a peak of ${peak}x the daily average: ${fmt((peak * all) / 86_400, 0)} APS; ` +
      `per campaign recipient: ${fmt((campaignRun + campaignHeartbeats) / recipients, 4)} actions; per lifecycle per day: ${fmt(all / customers, 2)}`,
  );

  const replays = int('BENCH_REPLAYS', 20);
  if (replays > 0) {
    console.log(`
Worker: replaying each lifecycle history ${replays} times (what an event to an evicted lifecycle costs first)`);
    const fit = await replayCost(replays);
    const at = (events: number) => fit.fixed + fit.slope * events;
    // A lone event adds about 4 history events (its signal and the task's three).
    const coresFor = (runEvents: number) => (customers * eventsPerDay * at(runEvents / 2)) / 1000 / 86_400;
    console.log(
      `  fit: ${fmt(fit.fixed, 1)} ms + ${fmt(fit.slope * 1000, 0)} µs per history event; a run continued at the server's suggestion ` +
        `(4,096 events) costs ${fmt(at(4096), 0)} ms at its end, one continued every 300 events ${fmt(at(300), 0)} ms`,
    );
    console.log(
      `  replay CPU for ${(customers * eventsPerDay).toLocaleString('en')} events a day to evicted lifecycles, on this machine: ` +
        `${fmt(coresFor(4096), 1)} cores on average with runs of up to 4,096 events, ${fmt(coresFor(300), 1)} with runs of up to 300`,
    );
    await withoutVmWatchdog(fit);
  }
}

interface Fit {
  fixed: number;
  slope: number;
  /** CPU ms per replay of each history, by name. */
  perHistory: Record<string, number>;
}

/**
 * What the worker pays when a lifecycle is not in its cache (with 1 M lifecycles and a cache of 1,000 per worker,
 * nearly never): the event's workflow task first replays the run's history. CPU of this process per replay (the
 * worker's own cost, not the server's, all threads), per history, then a straight line through them: fixed + per event.
 */
async function replayCost(replays: number): Promise<Fit> {
  quietRuntime();
  const workflowBundle = await bundleWorkflows();
  const files = (await historyFiles(process.argv.slice(2))).filter((f) => familyOf(path.basename(f)) === 'lifecycle');
  const replay = async (history: unknown, times: number) => {
    const all = (async function* () {
      for (let i = 0; i < times; i++) yield { workflowId: `replay-${i}`, history };
    })();
    for await (const r of Worker.runReplayHistories({ workflowBundle }, all)) if (r.error) throw r.error;
  };
  const points: { events: number; cpuMs: number }[] = [];
  const perHistory: Record<string, number> = {};
  for (const f of files) {
    const history = JSON.parse(await readFile(f, 'utf8')) as { events: unknown[] };
    await replay(history, 2); // warm-up
    const cpu = process.cpuUsage();
    const t = performance.now();
    await replay(history, replays);
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000 / replays;
    points.push({ events: history.events.length, cpuMs });
    perHistory[path.basename(f, '.json')] = cpuMs;
    console.log(
      `  ${path.basename(f, '.json').padEnd(34)} ${String(history.events.length).padStart(4)} events  ${fmt(cpuMs, 1).padStart(6)} ms CPU, ` +
        `${fmt((performance.now() - t) / replays, 1)} ms wall per replay`,
    );
  }
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.events, 0) / n;
  const my = points.reduce((s, p) => s + p.cpuMs, 0) / n;
  const slope =
    points.reduce((s, p) => s + (p.events - mx) * (p.cpuMs - my), 0) /
    Math.max(
      1e-9,
      points.reduce((s, p) => s + (p.events - mx) ** 2, 0),
    );
  return { fixed: my - slope * mx, slope, perHistory };
}

/**
 * The same replays in a child process whose workflow threads call into their V8 contexts without the SDK's
 * per-call timeout (bench/no-vm-watchdog.ts): Node starts and joins a watchdog thread for every such call (about
 * 0.19 ms of CPU here), and an activation makes several. What the deadlock guard costs, not a setting the product has.
 */
async function withoutVmWatchdog(withWatchdog: Fit): Promise<void> {
  if (process.env.BENCH_NO_VM_WATCHDOG || process.env.BENCH_VM_COMPARE === '0') return;
  console.log('\nThe same replays with no watchdog thread per call into the workflow context (a child process, bench/no-vm-watchdog.ts)');
  const preload = fileURLToPath(new URL('./no-vm-watchdog.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', preload, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    env: { ...process.env, BENCH_NO_VM_WATCHDOG: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the child replay exited with ${code}`);
  const fit = JSON.parse(/^FIT (.*)$/m.exec(out)![1]!) as Fit;
  for (const [name, ms] of Object.entries(fit.perHistory))
    console.log(
      `  ${name.padEnd(34)} ${fmt(ms, 1).padStart(6)} ms CPU per replay (${fmt(withWatchdog.perHistory[name]! / ms, 2)}x with it)`,
    );
  console.log(
    `  fit: ${fmt(fit.fixed, 1)} ms + ${fmt(fit.slope * 1000, 0)} µs per history event, against ${fmt(withWatchdog.fixed, 1)} ms + ` +
      `${fmt(withWatchdog.slope * 1000, 0)} µs with the watchdog: ${fmt(withWatchdog.slope / fit.slope, 2)}x per history event`,
  );
}

if (process.env.BENCH_NO_VM_WATCHDOG) {
  // The child of withoutVmWatchdog: the replays alone, their fit on one line for the parent.
  const fit = await replayCost(int('BENCH_REPLAYS', 20));
  console.log(`FIT ${JSON.stringify(fit)}`);
} else await main();
