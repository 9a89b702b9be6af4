import { bundleWorkflowCode, DefaultLogger, Runtime, type Logger } from '@temporalio/worker';
import { workflowsPath } from '../../worker/worker.ts';

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
