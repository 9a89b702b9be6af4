// RECORD_HISTORIES=1 refreshes tests/replay/histories from the test scenarios that call this.
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { mkdir, writeFile } from 'node:fs/promises';

const dir = new URL('../replay/histories/', import.meta.url);

/** Writes the history of a workflow run (the latest run unless `runId` names one) as `<name>.json`. */
export async function recordHistory(client: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  await mkdir(dir, { recursive: true });
  await writeFile(new URL(`${name}.json`, dir), historyToJSON(history));
}
