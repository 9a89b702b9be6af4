// The workflow threads' heap limit (worker/heap.ts): it follows the cache, it reaches the threads created after it and
// not the process's main thread, and an operator's own --max-old-space-size wins.
import { execFileSync } from 'node:child_process';
import { explicitHeapLimit, workflowHeapLimitMiB } from '../../worker/heap.ts';

const heapModule = new URL('../../worker/heap.ts', import.meta.url).href;
const MiB = 2 ** 20;

/** In a fresh node: caps the workflow heap at `mib` (the setting), starts a thread, and reports both isolates' limits in MiB. */
function limitsUnder(mib: number, nodeOptions = ''): { set: number | null; main: number; thread: number } {
  const script = `
    import { Worker } from 'node:worker_threads';
    import { getHeapStatistics } from 'node:v8';
    import { capWorkflowThreadHeap, workflowHeapPlan } from ${JSON.stringify(heapModule)};
    // As worker/run.ts does, with WORKER_WORKFLOW_HEAP_MIB=mib.
    const set = workflowHeapPlan({ setting: ${mib}, maxCachedWorkflows: 1000 }, process.execArgv, process.env);
    if (set !== null) capWorkflowThreadHeap(set);
    const thread = await new Promise((resolve, reject) => {
      const w = new Worker("import { parentPort } from 'node:worker_threads'; import { getHeapStatistics } from 'node:v8'; parentPort.postMessage(getHeapStatistics().heap_size_limit);", { eval: true });
      w.once('message', (limit) => { resolve(limit); w.terminate(); });
      w.once('error', reject);
    });
    process.stdout.write(JSON.stringify({ set, main: getHeapStatistics().heap_size_limit, thread }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    encoding: 'utf8',
  });
  const { set, main, thread } = JSON.parse(out) as { set: number | null; main: number; thread: number };
  return { set, main: main / MiB, thread: thread / MiB };
}

test('the limit is twice what the cache keeps alive, and never below 256 MiB', () => {
  // 1,000 cached lifecycles kept about 180 MiB alive (bench:lifecycle); the limit leaves twice that.
  expect(workflowHeapLimitMiB(1000)).toBeGreaterThanOrEqual(360);
  expect(workflowHeapLimitMiB(1000)).toBeLessThanOrEqual(512);
  // An operator who raises the cache raises the limit with it.
  expect(workflowHeapLimitMiB(5000)).toBeGreaterThanOrEqual((2 * (5000 * 150)) / 1024);
  expect(workflowHeapLimitMiB(0)).toBe(256);
  expect(workflowHeapLimitMiB(100)).toBe(256);
});

test('the cap reaches the threads started after it, not the main thread', () => {
  const capped = limitsUnder(300);
  const own = limitsUnder(0);
  expect(capped.set).toBe(300);
  expect(own.set).toBeNull();
  // The old space plus the young generation (up to three 64 MiB semi-spaces on a large heap).
  expect(capped.thread).toBeGreaterThanOrEqual(300);
  expect(capped.thread).toBeLessThanOrEqual(300 + 192);
  expect(own.thread).toBeGreaterThan(capped.thread);
  expect(capped.main).toBe(own.main);
});

test("an operator's own --max-old-space-size wins, and 0 leaves V8's own", () => {
  const explicit = limitsUnder(300, '--max-old-space-size=1000');
  expect(explicit.set).toBeNull();
  expect(explicit.thread).toBeGreaterThanOrEqual(1000);
  expect(explicitHeapLimit(['--max_old_space_size=512'], {})).toBe('--max_old_space_size=512');
  expect(explicitHeapLimit([], { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=2048' })).toBe('--max-old-space-size=2048');
  expect(explicitHeapLimit(['--max-semi-space-size=64'], { NODE_OPTIONS: '' })).toBeNull();
});
