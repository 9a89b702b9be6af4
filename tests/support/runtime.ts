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

/** The time-skipping test server, for day- and month-scale timers. */
export const timeSkippingEnvironment = () =>
  startEphemeral(() =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: temporalTestServer() } },
    }),
  );

/** Runs `run` with a worker on a fresh task queue of `env`, with these (fake) activities, and stops the worker after. */
export async function runWithWorker<T>(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  activities: object,
  run: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  return worker.runUntil(run(taskQueue));
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
 */
export function timeSkippingSuite() {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: Awaited<ReturnType<typeof bundleWorkflows>> | undefined;
  beforeAll(async () => {
    quietRuntime();
    env = await timeSkippingEnvironment();
    bundle = await bundleWorkflows();
  });
  afterAll(async () => {
    await env?.teardown();
  });
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
