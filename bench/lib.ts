// What every benchmark script shares: concurrent runs with their latencies and CPU, percentiles, the report's
// number formats, table rows and the machine line.
import type { Client } from '@temporalio/client';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createApp } from '../api/app.ts';
import { openOrm, type Orm } from '../db/orm.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Stack } from '../tests/support/stack.ts';

/** cpuMs: this process's CPU (bench client, API, worker activities), the cost a 2-core box cannot hide. */
export interface Run {
  wallMs: number;
  cpuMs: number;
  latencies: number[];
  errors: string[];
}

export const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
};

/** Calls `op(i)` for i < n with at most `concurrency` in flight; records each latency and every failure. */
export async function runConcurrent(n: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Run> {
  const run: Run = { wallMs: 0, cpuMs: 0, latencies: [], errors: [] };
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now();
        try {
          await op(i);
        } catch (err) {
          run.errors.push(String(err));
        }
        run.latencies.push(performance.now() - t);
      }
    }),
  );
  run.wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  run.cpuMs = (used.user + used.system) / 1000;
  return run;
}

export const merge = (runs: Run[]): Run => ({
  wallMs: runs.reduce((s, r) => s + r.wallMs, 0),
  cpuMs: runs.reduce((s, r) => s + r.cpuMs, 0),
  latencies: runs.flatMap((r) => r.latencies),
  errors: runs.flatMap((r) => r.errors),
});

export const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
export const verdict = (ok: boolean) => (ok ? 'target met' : 'target missed');
/** A table row: the first cell left-aligned, the others right-aligned, each padded to its width. */
export const row = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

/** The report's first line: which benchmark, on what machine. */
export function machineLine(name: string): string {
  const cpus = os.cpus();
  return (
    `opsflow ${name}  node ${process.version}  ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}  ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB  ${os.platform()} ${os.release()}`
  );
}

/**
 * The measured API, in this process: its own pool (the production default size unless told) and a silent logger
 * (LOG_LEVEL=info would add one stdout line per request).
 */
export async function serveMeasuredApi({
  dbUrl,
  client,
  taskQueue,
  pool,
}: {
  dbUrl: string;
  client: Client;
  taskQueue: string;
  pool: number;
}): Promise<{ baseUrl: string; orm: Orm; close(): Promise<void> }> {
  const orm = await openOrm({ clientUrl: dbUrl, poolMax: pool });
  const app = createApp({
    orm,
    temporal: client,
    taskQueue,
    temporalDeadlineMs: 10_000,
    publicUrl: 'http://opsflow.bench',
    log: createLogger(process.env.BENCH_LOG_LEVEL ?? 'silent'),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    orm,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await orm.close();
    },
  };
}

/**
 * What a bench's `node worker/main.ts` child needs of its stack: the Temporal server and task queue, the database and
 * the mail sink, logging at warn. Spread after `process.env` (the caller's own settings go after it).
 */
export const workerEnv = (stack: Pick<Stack, 'env' | 'db' | 'mail' | 'taskQueue'>) => ({
  LOG_LEVEL: 'warn',
  TEMPORAL_ADDRESS: stack.env.address,
  TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
  TEMPORAL_TASK_QUEUE: stack.taskQueue,
  DATABASE_URL: stack.db.url,
  SMTP_URL: stack.mail.smtpUrl,
});
