// Worker process: `npm run start:worker`. Scale out by running more of these on the same task queue.
import { openOrm } from '../db/orm.ts';
import { configOrExit } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { createMailer } from '../runtime/mailer.ts';
import { runWorker } from './run.ts';

const config = configOrExit(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL'], 'a standalone worker');
const log = createLogger(config.LOG_LEVEL);

const orm = await openOrm({ clientUrl: config.DATABASE_URL!, poolMax: config.DATABASE_POOL_MAX });
const mailer = createMailer(config.SMTP_URL!);
const worker = await runWorker({ config, orm, mailer, temporalAddress: config.TEMPORAL_ADDRESS!, log });
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');

// SIGTERM/SIGINT: the SDK's own handler stops polling and drains in-flight tasks; then the ORM closes.
try {
  await worker.done;
} finally {
  mailer.close();
  await orm.close();
  log.info('worker stopped');
}
