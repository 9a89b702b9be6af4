// The whole system for integration tests, with real parts: the Temporal dev server, PostgreSQL, the SMTP sink, a
// webhook receiver, a worker and the HTTP API on an ephemeral port.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflows, devServerEnvironment, quietRuntime } from './runtime.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { createApp } from '../../api/app.ts';
import type { RateLimits } from '../../api/rate-limits.ts';
import { hashToken } from '../../api/tokens.ts';
import { Operator } from '../../db/entities/index.ts';
import { startMailCatcher, type MailCatcher } from '../../start/mail-catcher.ts';
import { createMailer } from '../../runtime/mailer.ts';
import { createLogger } from '../../runtime/logger.ts';
import { TEST_RULES } from './rules.ts';
import type { Role } from '../../domain/actors.ts';
import { createWorker, type Workers } from '../../worker/worker.ts';
import { createTestDb, type TestDb } from './db.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
import type { Resolve } from '../../activities/webhooks.ts';

export interface TestOperator {
  id: string;
  token: string;
  roles: Role[];
  email: string;
}

export type ApiCall = (
  method: string,
  path: string,
  opts?: { token?: string | null; body?: unknown; raw?: string },
) => Promise<{ status: number; body: any }>;

export interface Stack {
  env: TestWorkflowEnvironment;
  db: TestDb;
  mail: MailCatcher;
  hooks: WebhookReceiver;
  baseUrl: string;
  taskQueue: string;
  admin: TestOperator;
  /** Adds an operator straight to the database (the API route is tested on its own). */
  operator(roles: Role[], name?: string): Promise<TestOperator>;
  api: ApiCall;
  /** A second API on the same stack with another Temporal deadline. */
  serveApi(temporalDeadlineMs: number): Promise<{ api: ApiCall; close(): Promise<void> }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

const MAIL_FROM = 'opsflow <opsflow@test.local>';

export interface StackOptions {
  temporalDeadlineMs?: number;
  /** WEBHOOK_ALLOWED_HOSTS beyond the test receiver's own host:port, and the worker's name resolution for webhooks. */
  webhooks?: { allowedHosts?: string[]; resolve?: Resolve };
  /** The API's abuse limits (all clients are 127.0.0.1 here). */
  rateLimits?: RateLimits;
  /** The dev server's SQLite file; in memory when not given. */
  temporalDbFile?: string;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  quietRuntime();
  // When a part fails to start, the parts started before it are stopped (last first): a dev server or a listening
  // socket left behind would keep jest from exiting after the failed suite, and CI would sit out its time limit.
  const stops: (() => unknown)[] = [];
  try {
    return await assembleStack(opts, stops);
  } catch (err) {
    for (const stop of stops.reverse())
      await Promise.resolve()
        .then(stop)
        .catch(() => {});
    throw err;
  }
}

async function assembleStack(opts: StackOptions, stops: (() => unknown)[]): Promise<Stack> {
  const env = await devServerEnvironment(opts.temporalDbFile);
  stops.push(() => env.teardown());
  const db = await createTestDb();
  stops.push(() => db.drop());
  const mail = await startMailCatcher({ smtpPort: 0 });
  stops.push(() => mail.close());
  const hooks = await startWebhookReceiver();
  stops.push(() => hooks.close());
  const webhookAllowedHosts = [new URL(hooks.url('/')).host, ...(opts.webhooks?.allowedHosts ?? [])];
  const taskQueue = `test-${randomUUID()}`;
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const workflowBundle = await bundleWorkflows();
  const mailer = createMailer(mail.smtpUrl);
  stops.push(() => mailer.close());

  let worker: Workers | undefined;
  let running: Promise<void> | undefined;
  const startWorker = async () => {
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle,
      deps: {
        orm: db.orm,
        mailer,
        mailFrom: MAIL_FROM,
        publicUrl: 'http://opsflow.test',
        checkRules: TEST_RULES,
        webhookTimeoutMs: 5000,
        webhookGuard: { allowedHosts: webhookAllowedHosts, ...(opts.webhooks?.resolve ? { resolve: opts.webhooks.resolve } : {}) },
      },
      options: { shutdownGraceTime: '2s' },
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    worker = undefined;
  };
  await startWorker();
  stops.push(stopWorker);

  const serveApi = async (temporalDeadlineMs: number) => {
    const app = createApp({
      orm: db.orm,
      temporal: env.client,
      taskQueue,
      log,
      publicUrl: 'http://opsflow.test',
      temporalDeadlineMs,
      webhookAllowedHosts,
      mailer,
      mailFrom: MAIL_FROM,
      ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const api: ApiCall = async (method, path, { token = admin.token, body, raw } = {}) => {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    };
    return {
      api,
      baseUrl,
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  };

  const operator = async (roles: Role[], name = `op-${randomBytes(3).toString('hex')}`): Promise<TestOperator> => {
    const em = db.orm.em.fork();
    const token = `opf_test_${randomBytes(16).toString('hex')}`;
    const email = `${name.toLowerCase()}@example.com`;
    const op = em.create(Operator, { id: randomUUID(), name, email, roles, tokenHash: hashToken(token), disabled: false });
    await em.flush();
    return { id: op.id, token, roles, email };
  };
  let admin!: TestOperator;

  admin = await operator(['admin'], 'admin');
  const main = await serveApi(opts.temporalDeadlineMs ?? 10_000);

  return {
    env,
    db,
    mail,
    hooks,
    baseUrl: main.baseUrl,
    taskQueue,
    admin,
    operator,
    api: main.api,
    serveApi,
    startWorker,
    stopWorker,
    async close() {
      await main.close();
      await stopWorker();
      await env.teardown();
      mailer.close();
      await mail.close();
      await hooks.close();
      await db.drop();
    },
  };
}
