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
    // Activities finish their current send before the worker stops.
    shutdownGraceTime: '30s',
    ...options,
  });
}
