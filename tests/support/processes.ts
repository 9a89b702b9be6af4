// Parts of the system in processes of their own, for the crash and fault tests: the worker and the API as production
// runs them (`node worker/main.ts`, `node api/server.ts`), a Temporal dev server on a database file that can be
// stopped and started again, and an SMTP sink that takes its time; startProcessStack puts them together.
import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { temporalCli } from './binaries.ts';
import { createTestDb, type TestDb } from './db.ts';

const workerMain = fileURLToPath(new URL('../../worker/main.ts', import.meta.url));
const apiMain = fileURLToPath(new URL('../../api/server.ts', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  exited: Promise<Exit>;
}

const started: ChildProcess[] = [];

/** SIGKILLs every process these helpers started that is still running (for afterAll). */
export function killStarted(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts `command` and resolves once its output shows `ready`; rejects with the output if it exits or takes too long. */
export async function startProcess(
  command: string,
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    ready: string | RegExp;
    what: string;
    timeoutMs?: number;
  },
): Promise<Proc> {
  const child = spawn(command, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.what} did not start:\n${output}`)), opts.timeoutMs ?? 60_000);
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (typeof opts.ready === 'string' ? output.includes(opts.ready) : opts.ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${opts.what} exited (${code ?? signal}):\n${output}`));
    });
  });
  return { child, output: () => output, exited };
}

/**
 * The worker as production runs it (`npm run start:worker`); resolves once it polls. It bundles the workflows first:
 * give several started at once on a busy machine more than the default minute.
 */
export const spawnWorker = (
  env: { DATABASE_URL: string; TEMPORAL_ADDRESS: string; SMTP_URL: string; TEMPORAL_TASK_QUEUE: string },
  timeoutMs?: number,
) =>
  startProcess(process.execPath, [workerMain], {
    env: { LOG_LEVEL: 'info', PUBLIC_URL: 'http://opsflow.test', ...env },
    ready: 'worker started',
    what: 'the worker',
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });

/** The API as production runs it (`npm run start:api`); resolves once it listens (within a minute unless told). */
export const spawnApi = (
  env: {
    DATABASE_URL: string;
    TEMPORAL_ADDRESS: string;
    TEMPORAL_TASK_QUEUE: string;
    PORT: number;
    OPSFLOW_ADMIN_TOKEN: string;
    API_TEMPORAL_DEADLINE?: string;
  },
  timeoutMs?: number,
) =>
  startProcess(process.execPath, [apiMain], {
    env: { LOG_LEVEL: 'info', PUBLIC_URL: 'http://opsflow.test', ...env, PORT: String(env.PORT) },
    ready: 'API listening',
    what: 'the API',
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface TemporalServer {
  address: string;
  /** Stops the server process (SIGTERM unless told) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and database file; resolves once it answers. */
  start(): Promise<void>;
}

/** The dev server quit before it answered; portTaken when a port it chose was bound by then. */
class DevServerExited extends Error {
  readonly portTaken: boolean;
  constructor(code: number, output: string) {
    super(`the Temporal dev server exited (${code}):\n${output}`);
    this.portTaken = /bind: address already in use/.test(output);
  }
}

/**
 * `temporal server start-dev` on a SQLite file, with the settings the SDK's test environment uses. Unlike the
 * in-memory test environment, it can be stopped and started again with its workflows intact.
 */
export async function startTemporalServer(dbFile: string): Promise<TemporalServer> {
  let port = await freePort();
  const args = () => [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--db-filename',
    dbFile,
    '--headless',
    '--log-level',
    'error',
    '--namespace',
    'default',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  ];
  let proc: Proc | null = null;
  const startOnce = async () => {
    const address = `127.0.0.1:${port}`;
    const child = spawn(temporalCli(), args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(child);
    let output = '';
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    proc = { child, output: () => output, exited };
    // Ready when the default namespace answers.
    const until = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new DevServerExited(child.exitCode, output);
      try {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return;
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > until) {
          child.kill('SIGKILL'); // not left running: its output pipe would keep jest from exiting
          throw new Error(`the Temporal dev server did not answer: ${String(err)}\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  // The dev server picks its internal services' ports itself (free when it looked), as freePort does for its frontend;
  // another process may bind one first. A CI run lost a suite to that ('Failed to start gRPC listener ... bind: address
  // already in use', service=worker, then a panic). Only that failure is tried again, on a new frontend port the
  // first time (the restart keeps its address: the test's clients know it).
  const start = async (newPortOnCollision: boolean) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce();
      } catch (err) {
        if (attempt >= 3 || !(err instanceof DevServerExited) || !err.portTaken) throw err;
        if (newPortOnCollision) port = await freePort();
      }
    }
  };
  await start(true);
  return {
    address: `127.0.0.1:${port}`,
    start: () => start(false),
    async stop(signal = 'SIGTERM') {
      const running = proc;
      if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
      running.child.kill(signal);
      await running.exited;
    },
  };
}

export interface SunkMessage {
  to: string[];
  messageId: string | null;
  subject: string;
  /** When the sink answered 250 (the sender then counts it as sent). */
  acceptedAt: number;
}

export interface SmtpSink {
  smtpUrl: string;
  /** Every message accepted so far. */
  messages(): SunkMessage[];
  /** Transfers under way: from MAIL FROM to the sink's answer. */
  inFlight(): number;
  close(): Promise<void>;
}

/** An SMTP server that answers each message `delayMs` after its data arrived, like a busy relay. */
export async function startSmtpSink({ delayMs }: { delayMs: number }): Promise<SmtpSink> {
  const accepted: SunkMessage[] = [];
  const transferring = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onMailFrom: (_address, session, done) => {
      transferring.add(session.id);
      done();
    },
    onClose: (session) => {
      transferring.delete(session.id);
    },
    onData: (stream, session, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', done);
      const accept = async () => {
        const email = await PostalMime.parse(Buffer.concat(chunks));
        await new Promise((r) => setTimeout(r, delayMs));
        transferring.delete(session.id);
        accepted.push({
          to: session.envelope.rcptTo.map((a) => a.address),
          messageId: email.messageId ?? null,
          subject: email.subject ?? '',
          acceptedAt: Date.now(),
        });
      };
      // A message PostalMime cannot parse is refused to the sender rather than left hanging.
      stream.on('end', () => {
        accept().then(() => done(), done);
      });
    },
  });
  server.on('error', () => {}); // a sender killed mid-transfer resets its connection
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return {
    smtpUrl: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    messages: () => [...accepted],
    inFlight: () => transferring.size,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One message per recipient, by Message-ID: what the campaign tests count. */
export function tally(messages: { to: string[]; messageId: string | null }[]): Map<string, { messages: number; ids: Set<string> }> {
  const byRecipient = new Map<string, { messages: number; ids: Set<string> }>();
  for (const m of messages) {
    for (const to of m.to) {
      const entry = byRecipient.get(to) ?? { messages: 0, ids: new Set<string>() };
      entry.messages += 1;
      entry.ids.add(m.messageId ?? '');
      byRecipient.set(to, entry);
    }
  }
  return byRecipient;
}

/** An API answer with its timing; status 0 when none came (connection refused or reset, or the 30 s timeout). */
export interface Answer {
  status: number;
  /** Parsed JSON, else the text. */
  body: any;
  retryAfter: string | null;
  start: number;
  end: number;
}

export interface ProcessStack {
  temporal: TemporalServer;
  db: TestDb;
  sink: SmtpSink;
  /** A client of the test's own Temporal server, for reading histories. */
  client: Client;
  taskQueue: string;
  /** OPSFLOW_ADMIN_TOKEN of every API this stack starts. */
  adminToken: string;
  /** The port every API this stack starts listens on (one at a time: a restarted API comes back on it). */
  apiPort: number;
  /** Starts `node api/server.ts` on apiPort; resolves once it listens. */
  startApi(timeoutMs?: number): Promise<Proc>;
  /** Starts a `node worker/main.ts` on the stack's queue; resolves once it polls. */
  startWorker(timeoutMs?: number): Promise<Proc>;
  /** Calls the API as a client with `token` would. */
  call(method: string, route: string, token: string, body?: unknown): Promise<Answer>;
  /** A new operator with these roles, created by the admin; its bearer token. */
  operator(roles: string[]): Promise<string>;
  /** Kills every process started, drops the database, removes the Temporal database file. */
  close(): Promise<void>;
}

/**
 * A Temporal dev server on a file, a test database, an SMTP sink answering after `smtpDelayMs`, and a client; the API
 * and the workers are started by the test (how many, and when, is what it tests). `name` prefixes the task queue.
 */
export async function startProcessStack({ name, smtpDelayMs }: { name: string; smtpDelayMs: number }): Promise<ProcessStack> {
  const dir = await mkdtemp(path.join(tmpdir(), `opsflow-${name}-`));
  const parts = await Promise.allSettled([
    startTemporalServer(path.join(dir, 'temporal.db')),
    createTestDb(),
    startSmtpSink({ delayMs: smtpDelayMs }),
    freePort(),
  ] as const);
  // What did start is stopped when a part fails: a listening sink or a running server would keep jest from exiting
  // after the failed suite (a CI run then sat out its time limit after a dev server that failed to start).
  const stopStarted = async () => {
    const [temporalPart, dbPart, sinkPart] = parts;
    await Promise.allSettled([
      temporalPart.status === 'fulfilled' ? temporalPart.value.stop('SIGKILL') : undefined,
      dbPart.status === 'fulfilled' ? dbPart.value.drop() : undefined,
      sinkPart.status === 'fulfilled' ? sinkPart.value.close() : undefined,
    ]);
    await rm(dir, { recursive: true, force: true });
  };
  const failed = parts.find((p) => p.status === 'rejected');
  if (failed) {
    await stopStarted();
    throw failed.reason;
  }
  const value = <T>(part: PromiseSettledResult<T>) => (part as PromiseFulfilledResult<T>).value;
  const [temporal, db, sink, apiPort] = [value(parts[0]), value(parts[1]), value(parts[2]), value(parts[3])];
  const client = new Client({
    connection: await Connection.connect({ address: temporal.address }).catch(async (err: unknown) => {
      await stopStarted();
      throw err;
    }),
  });
  const taskQueue = `${name}-${randomUUID()}`;
  const adminToken = randomBytes(32).toString('hex');
  const base = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue };

  async function call(method: string, route: string, token: string, body?: unknown): Promise<Answer> {
    const start = Date.now();
    try {
      const res = await fetch(`http://127.0.0.1:${apiPort}${route}`, {
        method,
        signal: AbortSignal.timeout(30_000),
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, retryAfter: res.headers.get('retry-after'), start, end: Date.now() };
    } catch (err) {
      return { status: 0, body: String(err), retryAfter: null, start, end: Date.now() };
    }
  }

  return {
    temporal,
    db,
    sink,
    client,
    taskQueue,
    adminToken,
    apiPort,
    call,
    startApi: (timeoutMs) => spawnApi({ ...base, PORT: apiPort, OPSFLOW_ADMIN_TOKEN: adminToken }, timeoutMs),
    startWorker: (timeoutMs) => spawnWorker({ ...base, SMTP_URL: sink.smtpUrl }, timeoutMs),
    async operator(roles) {
      const email = `${randomUUID()}@example.com`;
      const res = await call('POST', '/operators', adminToken, { name: `op-${randomBytes(3).toString('hex')}`, email, roles });
      if (res.status !== 201) throw new Error(`POST /operators answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async close() {
      killStarted();
      await client.connection.close();
      await sink.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
