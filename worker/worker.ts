// The shared worker bootstrap: one place that knows which workflows and activities a worker runs. A worker process
// polls two task queues: the main one (every workflow and activity) and the event dispatchers' own
// (dispatcherTaskQueue), so a dispatcher's next pass never waits behind the lifecycle tasks its signals queued.
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type State, type WorkerOptions } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEventDeliveryActivities } from '../activities/event-delivery.ts';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { EVENT_SHARDS } from '../domain/event-shards.ts';
import { dispatcherTaskQueue } from '../workflows/event-dispatch.messages.ts';

export { workflowsPath } from './workflows-path.ts';

const run = promisify(execFile);

/**
 * Bundles the workflows in a child process (worker/bundle.ts). Bundled in the worker itself, webpack's memory stayed
 * in its resident set for good (about 180 MiB here: 353 MiB after bundling against 170 before, garbage collected); a
 * child's leaves with it. About a second longer at start-up.
 */
async function bundleApart(): Promise<{ code: string }> {
  const started = Date.now();
  const { stdout, stderr } = await run(process.execPath, [fileURLToPath(new URL('./bundle.ts', import.meta.url))], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  for (const line of stderr.split('\n').filter(Boolean)) Runtime.instance().logger.warn(`workflow bundling: ${line}`);
  Runtime.instance().logger.info('Workflow bundle created', { sizeKiB: Math.round(stdout.length / 1024), ms: Date.now() - started });
  return { code: stdout };
}

/** Workflow-task long polls a worker keeps open (WORKER_WORKFLOW_POLLERS), unless told otherwise. */
const DEFAULT_WORKFLOW_POLLERS = 40;

/**
 * How a worker polls for workflow tasks: `pollers` long polls, half on the shared queue (new and evicted workflows:
 * nearly every customer lifecycle's task, since a million never fit the cache) and half on its own sticky queue
 * (workflows it has cached); or 'auto': as many as the server's feedback asks for (Temporal Server 1.27+, Cloud).
 * The SDK caps them at its 40 workflow-task slots. In bench:lifecycle at 6,000 (one worker, a cache of 1,000, the dev
 * server) the new lifecycles went idle in 91 s with 40 fixed against 137 s with 'auto'; the SDK's own fixed 10 (2 on
 * the shared queue) took about 11 new ones a second.
 */
function workflowPolling(pollers: number | 'auto'): Pick<WorkerOptions, 'workflowTaskPollerBehavior' | 'nonStickyToStickyPollRatio'> {
  if (pollers === 'auto') return { workflowTaskPollerBehavior: { type: 'autoscaling' } };
  return { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: pollers }, nonStickyToStickyPollRatio: 0.5 };
}

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per file); otherwise the workflows/ are bundled once at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The main worker's options; the dispatchers' worker takes the shutdown ones. */
  options?: Partial<WorkerOptions>;
  /** The main worker's workflow-task polling (workflowPolling); DEFAULT_WORKFLOW_POLLERS unless given. */
  workflowPollers?: number | 'auto';
}

/** The two workers of a process, run and stopped together. */
export interface Workers {
  /** Settles when both have stopped; rejects (after stopping the other) when one fails. */
  run(): Promise<void>;
  shutdown(): void;
  /** The main worker's state. */
  getState(): State;
}

export async function createWorker({
  connection,
  namespace,
  taskQueue,
  deps,
  workflowBundle,
  options,
  workflowPollers = DEFAULT_WORKFLOW_POLLERS,
}: WorkerSetup): Promise<Workers> {
  const client = new Client({ connection, namespace });
  // Bundled once for both, apart from this process.
  const bundle = workflowBundle ?? (await bundleApart());
  const main = await Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: createActivities(deps, { client, taskQueue }),
    workflowBundle: bundle,
    // On shutdown (SIGTERM) activities hear it at once, as a WORKER_SHUTDOWN cancellation: the campaign sender
    // finishes only the transfers already talking to the mail server and hands its pass to another worker. Activities
    // that do not listen run to their end; the process gives up at WORKER_SHUTDOWN_DEADLINE (worker/run.ts).
    shutdownGraceTime: 0,
    ...workflowPolling(workflowPollers),
    ...options,
  });
  // The dispatchers (one per shard, each with at most one pass running) and their passes; the lifecycles they signal
  // stay on the main queue (deps.taskQueue).
  const dispatch = await Worker.create({
    connection,
    namespace,
    taskQueue: dispatcherTaskQueue(taskQueue),
    activities: createEventDeliveryActivities({ orm: deps.orm, temporal: client, taskQueue }),
    workflowBundle: bundle,
    maxCachedWorkflows: EVENT_SHARDS * 2,
    maxConcurrentWorkflowTaskExecutions: EVENT_SHARDS,
    maxConcurrentActivityTaskExecutions: EVENT_SHARDS * 2,
    shutdownGraceTime: options?.shutdownGraceTime ?? 0,
    ...(options?.shutdownForceTime !== undefined ? { shutdownForceTime: options.shutdownForceTime } : {}),
  });
  const stop = (w: Worker) => {
    if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    async run() {
      const runs = [main, dispatch].map((w) =>
        w.run().catch((err: unknown) => {
          stop(main);
          stop(dispatch);
          throw err;
        }),
      );
      await Promise.all(runs.map((r) => r.catch(() => undefined)));
      await Promise.all(runs);
    },
    shutdown() {
      stop(main);
      stop(dispatch);
    },
    getState: () => main.getState(),
  };
}
