// API process: `npm run start:api`. Stateless; run as many as the load needs behind a load balancer.
import { openOrm } from '../db/orm.ts';
import { configOrExit } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { createMailer } from '../runtime/mailer.ts';
import { prepareDatabase } from './bootstrap.ts';
import { serveApi } from './serve.ts';

const config = configOrExit(['DATABASE_URL', 'TEMPORAL_ADDRESS'], 'a standalone API');
const log = createLogger(config.LOG_LEVEL);

const orm = await openOrm({ clientUrl: config.DATABASE_URL!, poolMax: config.DATABASE_POOL_MAX });
const admin = await prepareDatabase(orm, config.OPSFLOW_ADMIN_TOKEN, log);
if (admin.token) console.log(`\nFirst admin created. Admin token (shown once, store it now):\n  ${admin.token}\n`);

// The console's sign-in links go out through SMTP_URL; without it only API tokens sign in.
const mailer = config.SMTP_URL ? createMailer(config.SMTP_URL) : undefined;
if (!mailer) log.warn('SMTP_URL is not set: sign-in links cannot be emailed (POST /auth/email-link answers 503)');
const api = await serveApi({ config, orm, temporalAddress: config.TEMPORAL_ADDRESS!, log, ...(mailer ? { mailer } : {}) });
log.info({ url: api.url }, 'API listening');

const stop = async () => {
  log.info('shutting down');
  await api.close();
  mailer?.close();
  await orm.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
