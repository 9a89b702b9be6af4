import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type Logger } from '@temporalio/worker';
import { startEphemeral } from '../../runtime/temporal-dev.ts';
import { workflowsPath } from '../../worker/worker.ts';
import { temporalCli, temporalTestServer } from './binaries.ts';

const noop = () => {};
export const silentLogger: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** Worker logs at WARN in tests. The runtime is a process singleton, and jest gives each file fresh modules. */
export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger(process.env.TEST_TEMPORAL_LOG_LEVEL as 'WARN' ?? 'WARN') });
  } catch {
    // Already installed by an earlier test file in this process.
  }
}

/** The workflow bundle, built once per test file (the bundler's own output silenced). */
export const bundleWorkflows = () => bundleWorkflowCode({ workflowsPath, logger: silentLogger });

/** The time-skipping test server, for day- and month-scale timers. */
export const timeSkippingEnvironment = () => startEphemeral(() => TestWorkflowEnvironment.createTimeSkipping({
  server: { executable: { type: 'existing-path', path: temporalTestServer() } },
}));

/** The Temporal CLI's dev server (in memory), for integration tests. */
export const devServerEnvironment = () => startEphemeral(() => TestWorkflowEnvironment.createLocal({
  server: { executable: { type: 'existing-path', path: temporalCli() }, log: { format: 'pretty', level: 'error' } },
}));
