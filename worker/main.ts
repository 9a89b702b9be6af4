// Worker process: `npm run start:worker`. Scale out by running more of these on the same task queue.
import { openOrm } from '../db/orm.ts';
import { configOrExit, durationMs } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { createMailer } from '../runtime/mailer.ts';
import { allocatorWarning } from './allocator.ts';
import { runWorker, WORKER_SHUTDOWN_DEADLINE } from './run.ts';

const config = configOrExit(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL'], 'a standalone worker');
const log = createLogger(config.LOG_LEVEL);
const allocator = allocatorWarning(process.env, process.platform);
if (allocator) log.warn(allocator);

const orm = await openOrm({ clientUrl: config.DATABASE_URL!, poolMax: config.DATABASE_POOL_MAX });
const mailer = createMailer(config.SMTP_URL!);
const worker = await runWorker({ config, orm, mailer, temporalAddress: config.TEMPORAL_ADDRESS!, log });
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');

// SIGTERM/SIGINT: the SDK's own handler stops polling and tells running activities (the campaign sender finishes
// the sends talking to the mail server and hands its pass on); once they are done the ORM closes and the process exits.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'worker stopping');
    // Should closing hang after the SDK gave up on running activities, the process still ends before a SIGKILL would.
    setTimeout(
      () => {
        log.error('the worker did not stop in time; exiting');
        process.exit(1);
      },
      durationMs(WORKER_SHUTDOWN_DEADLINE) + 5000,
    ).unref();
  });
}
let failed = false;
try {
  await worker.done;
} catch (err) {
  // Includes the shutdown deadline passing with activities still running: they are retried elsewhere.
  log.error({ err }, 'the worker failed');
  failed = true;
} finally {
  mailer.close();
  await orm.close();
  log.info('worker stopped');
}
process.exit(failed ? 1 : 0);
