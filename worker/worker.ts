// The shared worker bootstrap: one place that knows which workflows and activities a worker runs.
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../activities/index.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per file); otherwise the worker bundles workflows/ at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  options?: Partial<WorkerOptions>;
}

export async function createWorker({ connection, namespace, taskQueue, deps, workflowBundle, options }: WorkerSetup) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: createActivities(deps, { client: new Client({ connection, namespace }), taskQueue }),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    // On shutdown (SIGTERM) activities hear it at once, as a WORKER_SHUTDOWN cancellation: the campaign sender
    // finishes only the transfers already talking to the mail server and hands its pass to another worker. Activities
    // that do not listen run to their end; the process gives up at WORKER_SHUTDOWN_DEADLINE (worker/run.ts).
    shutdownGraceTime: 0,
    ...options,
  });
}
