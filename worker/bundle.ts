// `node worker/bundle.ts`: bundles the workflows (webpack) and writes the code to stdout; warnings and errors go to
// stderr. A worker runs it as a child process (worker.ts, bundleApart) so that webpack's memory leaves with it.
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from './workflows-path.ts';

const toStderr = (level: string) => (message: string, meta?: Record<string, unknown>) =>
  process.stderr.write(`${JSON.stringify({ level, msg: message, ...meta })}\n`);
const quiet = () => undefined;
const { code } = await bundleWorkflowCode({
  workflowsPath,
  logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: toStderr('warn'), error: toStderr('error') },
});
process.stdout.write(code);
