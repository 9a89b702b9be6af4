// `npm start`: the whole system in one process. Each outside part is used when configured, else run embedded:
// Temporal (TEMPORAL_ADDRESS, else `temporal server start-dev`), PostgreSQL (DATABASE_URL, else PGlite under
// .data/), email (SMTP_URL, else a local mail catcher). Then migrations, the first admin, the worker and the API.
import path from 'node:path';
import { prepareDatabase } from '../api/bootstrap.ts';
import { serveApi } from '../api/serve.ts';
import { openOrm } from '../db/orm.ts';
import { configOrExit, durationMs } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { createMailer } from '../runtime/mailer.ts';
import { installTemporalLogging } from '../worker/logging.ts';
import { runWorker, WORKER_SHUTDOWN_DEADLINE } from '../worker/run.ts';
import { startEmbeddedDb } from './embedded-db.ts';
import { startMailCatcher } from './mail-catcher.ts';
import { findTemporalCli, startTemporalDev, TemporalCliMissing } from './temporal-dev.ts';

const config = configOrExit();
const log = createLogger(config.LOG_LEVEL);
const dataDir = path.resolve(config.OPSFLOW_DATA_DIR);
const cleanups: (() => Promise<void>)[] = [];
// Before anything creates Temporal's runtime (the dev server launcher does).
installTemporalLogging(log);

async function stopAll() {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (err) {
      log.warn({ err }, 'while shutting down');
    }
  }
}

try {
  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi = config.TEMPORAL_UI_URL ?? null;
  if (!temporalAddress) {
    log.info(`starting the local Temporal dev server (${path.join(dataDir, 'temporal.db')})`);
    const dev = await startTemporalDev({
      cliPath: findTemporalCli(config.TEMPORAL_CLI_PATH),
      dataDir,
      port: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_DEV_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
    });
    cleanups.push(dev.close);
    temporalAddress = dev.address;
    temporalUi = dev.uiUrl;
  }

  let databaseUrl = config.DATABASE_URL;
  let poolMax = config.DATABASE_POOL_MAX;
  let sharedSession = false;
  if (!databaseUrl) {
    log.info(`starting the embedded PostgreSQL-compatible database (${path.join(dataDir, 'pgdata')})`);
    const db = await startEmbeddedDb({ dir: path.join(dataDir, 'pgdata'), port: config.EMBEDDED_DB_PORT });
    cleanups.push(db.close);
    databaseUrl = db.url;
    poolMax = 1;
    sharedSession = true;
  }

  let smtpUrl = config.SMTP_URL;
  let mailUi: string | null = null;
  if (!smtpUrl) {
    const catcher = await startMailCatcher({
      smtpPort: config.MAIL_CATCHER_SMTP_PORT,
      httpPort: config.MAIL_CATCHER_HTTP_PORT,
      dir: path.join(dataDir, 'mail'),
    });
    cleanups.push(catcher.close);
    smtpUrl = catcher.smtpUrl;
    mailUi = catcher.webUrl;
  }

  const orm = await openOrm({ clientUrl: databaseUrl, poolMax, sharedSession });
  cleanups.push(() => orm.close());
  const admin = await prepareDatabase(orm, config.OPSFLOW_ADMIN_TOKEN, log);

  const mailer = createMailer(smtpUrl);
  cleanups.push(async () => mailer.close());
  const worker = await runWorker({ config, orm, mailer, temporalAddress, log });
  cleanups.push(worker.shutdown);
  const api = await serveApi({ config, orm, temporalAddress, log, mailer });
  cleanups.push(api.close);

  const lines = [
    '',
    'opsflow is running.',
    `  Console       ${api.url}/`,
    `  API           ${api.url}`,
    `  API docs      ${api.url}/docs   (OpenAPI: ${api.url}/openapi.json)`,
    `  Temporal UI   ${temporalUi ?? '(set TEMPORAL_UI_URL to show it here)'}`,
    `  Mail          ${mailUi ?? `sent through ${smtpUrl.replace(/\/\/[^@]*@/, '//***@')}`}`,
    admin.token
      ? `  Admin token   ${admin.token}\n                (generated on first start and shown only now: store it, or set OPSFLOW_ADMIN_TOKEN)`
      : `  Admin token   ${config.OPSFLOW_ADMIN_TOKEN ? 'as set in OPSFLOW_ADMIN_TOKEN' : 'printed on first start (set OPSFLOW_ADMIN_TOKEN to choose one)'}`,
    '',
  ];
  console.log(lines.join('\n'));

  let stoppingSince: number | null = null;
  const stop = async (signal: string) => {
    if (stoppingSince !== null) {
      // One Ctrl-C arrives twice (the terminal signals the process group, npm forwards it again): only a second
      // press, later, means "do not wait".
      if (Date.now() - stoppingSince < 1500) return;
      log.warn({ signal }, 'a second signal: exiting without waiting');
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info({ signal }, 'stopping');
    // The worker stops within its deadline (the campaign sender within about a second); should anything else hang,
    // the process still ends before the SIGKILL an orchestrator sends 30 s after SIGTERM.
    setTimeout(
      () => {
        log.error('shutting down took too long; exiting');
        process.exit(1);
      },
      durationMs(WORKER_SHUTDOWN_DEADLINE) + 5000,
    ).unref();
    await stopAll();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  worker.done.catch(async (err) => {
    log.fatal({ err }, 'the worker failed');
    await stopAll();
    process.exit(1);
  });
} catch (err) {
  if (err instanceof TemporalCliMissing) console.error(`\n${err.message}\n`);
  else log.fatal({ err }, 'opsflow could not start');
  await stopAll();
  process.exit(1);
}
