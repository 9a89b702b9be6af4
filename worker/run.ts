// Runs a worker until it is shut down: used by worker/main.ts and start/main.ts.
import { NativeConnection } from '@temporalio/worker';
import type { Transporter } from 'nodemailer';
import type { Orm } from '../db/orm.ts';
import type { Config } from '../runtime/config.ts';
import type { Logger } from '../runtime/logger.ts';
import { activityDeps } from './deps.ts';
import { capWorkflowThreadHeap, workflowHeapPlan } from './heap.ts';
import { temporalConnectionOptions } from '../runtime/temporal.ts';
import { installTemporalLogging } from './logging.ts';
import { createWorker } from './worker.ts';

/**
 * How long a stopping worker waits for activities that do not listen for its shutdown before it gives up on them
 * (their attempts time out and are retried elsewhere): well inside the 30 s orchestrators allow between SIGTERM and
 * SIGKILL. The campaign sender stops within about a second.
 */
export const WORKER_SHUTDOWN_DEADLINE = '20s';

export interface RunningWorker {
  /** Stops polling, tells activities, lets in-flight tasks finish (up to the deadline), then closes the connection. */
  shutdown(): Promise<void>;
  /** Settles when the worker stops, or rejects when it fails. */
  done: Promise<void>;
}

export async function runWorker({
  config,
  orm,
  mailer,
  temporalAddress,
  log,
}: {
  config: Config;
  orm: Orm;
  mailer: Transporter;
  temporalAddress: string;
  log: Logger;
}): Promise<RunningWorker> {
  installTemporalLogging(log);
  // Before the workers exist: their workflow threads take the limit when they start.
  const workflowHeapMiB = workflowHeapPlan(
    { setting: config.WORKER_WORKFLOW_HEAP_MIB, maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS },
    process.execArgv,
    process.env,
  );
  if (workflowHeapMiB !== null) capWorkflowThreadHeap(workflowHeapMiB);
  log.info({ workflowHeapMiB: workflowHeapMiB ?? "V8's own or the process's --max-old-space-size" }, 'workflow thread heap limit');
  const connection = await NativeConnection.connect(temporalConnectionOptions(config, temporalAddress));
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: activityDeps(config, orm, mailer),
    options: { maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS, shutdownForceTime: WORKER_SHUTDOWN_DEADLINE },
    ...(config.WORKER_WORKFLOW_POLLERS !== undefined ? { workflowPollers: config.WORKER_WORKFLOW_POLLERS } : {}),
  });
  const done = worker.run().finally(() => connection.close());
  return {
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
