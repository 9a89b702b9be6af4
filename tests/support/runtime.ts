import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { startEphemeral } from '../../start/temporal-dev.ts';
import { workflowsPath } from '../../worker/worker.ts';
import { temporalCli, temporalTestServer } from './binaries.ts';

const noop = () => {};
export const silentLogger: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** Worker logs at WARN in tests. The runtime is a process singleton, and jest gives each file fresh modules. */
export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEST_TEMPORAL_LOG_LEVEL as 'WARN') ?? 'WARN') });
  } catch {
    // Already installed by an earlier test file in this process.
  }
}

/** The workflow bundle, built once per test file (the bundler's own output silenced). */
export const bundleWorkflows = () => bundleWorkflowCode({ workflowsPath, logger: silentLogger });

/**
 * A step of a time-skipping suite (the server's start or teardown, a sleep, a test's run, a worker's stop) that takes
 * longer than this says so on stderr, with its test. It found the minute-long stalls of CI runs: a sleep in real time
 * on a server whose time skipping a terminate had left locked (see timeSkippingSuite).
 */
const SLOW_STEP_MS = 10_000;
function reportSlow(step: string, ms: number): void {
  if (ms <= SLOW_STEP_MS) return;
  const test = expect.getState().currentTestName ?? '(outside a test)';
  process.stderr.write(`\nslow time-skipping step: ${step} took ${ms} ms, ended ${new Date().toISOString()}, in "${test}"\n`);
}
async function timed<T>(step: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    reportSlow(step, Date.now() - started);
  }
}

/** The time-skipping test server, for day- and month-scale timers (its start, sleeps and teardown timed). */
async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await timed('the server start', () =>
    startEphemeral(() =>
      TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: temporalTestServer() } },
      }),
    ),
  );
  const { sleep } = env;
  const teardown = env.teardown.bind(env);
  Object.assign(env, {
    sleep: (ms: number) => timed(`sleep(${ms})`, () => sleep(ms)),
    teardown: () => timed('the server teardown', teardown),
  });
  return env;
}

/** Runs `run` with a worker on a fresh task queue of `env`, with these (fake) activities, and stops the worker after. */
async function runWithWorker<T>(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  activities: object,
  run: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  let settledAt = 0;
  const running = timed("the test's run", () => run(taskQueue)).finally(() => {
    settledAt = Date.now();
  });
  try {
    return await worker.runUntil(running);
  } finally {
    if (settledAt) reportSlow('the worker stop', Date.now() - settledAt);
  }
}

/**
 * The Temporal CLI's dev server, for integration tests: in memory, or on a SQLite file (a bench's 100,000 lifecycles
 * outgrow the machine's memory in the in-memory database).
 */
export const devServerEnvironment = (dbFilename?: string) =>
  startEphemeral(() =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCli() },
        log: { format: 'pretty', level: 'error' },
        // On a file, SQLite's defaults (a rollback journal synced at every commit, a 2 MB page cache) held the server
        // to about 4 new lifecycles a second at 100,000; a bench's throwaway database needs neither.
        ...(dbFilename
          ? {
              dbFilename,
              extraArgs: [
                '--sqlite-pragma',
                'journal_mode=wal',
                '--sqlite-pragma',
                'synchronous=off',
                '--sqlite-pragma',
                'cache_size=-1000000',
              ],
            }
          : {}),
      },
    }),
  );

/**
 * A test file's time-skipping server and workflow bundle (one each per file, made before its tests and torn down
 * after), and a worker per test on a task queue of its own.
 *
 * `serverPerTest`: a server per test instead, for files whose tests terminate their workflows. The test server locks
 * time skipping while a workflow task is outstanding and unlocks it only when the task completes, fails or times
 * out; a terminate that meets a task in flight leaves it locked for the server's life (the worker's completion is
 * refused: "Task not found when completing ... Completed workflow"), and every later sleep runs in real time (a CI
 * run saw the next test's one-minute sleep take 60.9 s).
 */
export function timeSkippingSuite({ serverPerTest = false } = {}) {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: Awaited<ReturnType<typeof bundleWorkflows>> | undefined;
  beforeAll(async () => {
    quietRuntime();
    if (!serverPerTest) env = await timeSkippingEnvironment();
    bundle = await bundleWorkflows();
  });
  afterAll(async () => {
    await env?.teardown();
  });
  if (serverPerTest) {
    beforeEach(async () => {
      env = await timeSkippingEnvironment();
    });
    afterEach(async () => {
      await env?.teardown();
      env = undefined;
    });
  }
  const server = (): TestWorkflowEnvironment => {
    if (!env) throw new Error('the time-skipping server is not up yet (use it inside tests)');
    return env;
  };
  /** Runs `run` with a worker on a fresh task queue, with these (fake) activities. */
  const withWorker = <T>(activities: object, run: (taskQueue: string) => Promise<T>): Promise<T> =>
    runWithWorker(server(), bundle!, activities, run);
  return {
    get env() {
      return server();
    },
    withWorker,
  };
}
