// Every recorded history must replay against the current workflow code: a change that would break runs in flight
// fails here (use patched() for such changes, see STYLE.md).
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { readdir, readFile } from 'node:fs/promises';
import { bundleWorkflows, quietRuntime } from '../support/runtime.ts';

const dir = new URL('./histories/', import.meta.url);

test('recorded histories replay without nondeterminism', async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  expect(files.length).toBeGreaterThanOrEqual(5);
  quietRuntime();
  const workflowBundle = await bundleWorkflows();
  const histories = files.map(async (file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: JSON.parse(await readFile(new URL(file, dir), 'utf8')),
  }));
  const options: ReplayWorkerOptions = { workflowBundle };
  const results = [];
  for await (const result of Worker.runReplayHistories(
    options,
    (async function* () {
      for (const h of histories) yield await h;
    })(),
  )) {
    results.push({ workflowId: result.workflowId, error: result.error?.message ?? null });
  }
  expect(results).toEqual(files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), error: null })));
});
