// Runs the API on a port: used by api/server.ts (production) and start/main.ts (npm start).
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import type { Transporter } from 'nodemailer';
import type { Orm } from '../db/orm.ts';
import { durationMs, publicUrl, type Config } from '../runtime/config.ts';
import type { Logger } from '../runtime/logger.ts';
import { ensureSchedules } from './schedules.ts';
import { temporalConnectionOptions } from '../runtime/temporal.ts';
import { createApp } from './app.ts';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function serveApi({
  config,
  orm,
  temporalAddress,
  log,
  mailer,
}: {
  config: Config;
  orm: Orm;
  temporalAddress: string;
  log: Logger;
  /** Sends the console's sign-in links (none: POST /auth/email-link answers 503). */
  mailer?: Transporter;
}): Promise<RunningApi> {
  // Reconnect within a couple of seconds of Temporal coming back (grpc-js backs off up to 120 s by default), so the
  // API's 503s end when the outage does.
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config, temporalAddress),
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 2000 },
  });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  await ensureSchedules({ client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, rfmCron: config.RFM_SCHEDULE, log });
  const app = createApp({
    orm,
    temporal,
    log,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    publicUrl: publicUrl(config),
    temporalDeadlineMs: durationMs(config.API_TEMPORAL_DEADLINE),
    webhookAllowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
    mailFrom: config.MAIL_FROM,
    sessionTtlMs: durationMs(config.SESSION_TTL),
    ...(mailer ? { mailer } : {}),
    ...(config.TRUST_PROXY !== undefined ? { trustProxy: config.TRUST_PROXY } : {}),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  return {
    url: `http://localhost:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await connection.close();
    },
  };
}
