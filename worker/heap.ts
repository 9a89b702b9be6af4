// The workflow threads' V8 heap limit. The SDK runs every cached workflow in one worker thread (reuseV8Context), and V8
// sizes a thread's heap like a process's: on this 24 GiB machine it may grow to about 4 GiB before it must collect, so
// during a burst (10,000 new lifecycles brought to idle, bench:lifecycle) the thread's heap saw-toothed between 470
// and 790 MiB while what it kept alive after a full collection was about 180 MiB for 1,000 cached lifecycles. A limit
// twice the live set makes V8 collect sooner instead: at 6,000 lifecycles the worker peaked at 858 MiB against 1,559
// without one, at the same rate. The limit follows the cache, so an operator who raises WORKER_MAX_CACHED_WORKFLOWS
// raises it too; a fixed one would kill a worker whose cache outgrew it.
import { setFlagsFromString } from 'node:v8';

/** The thread's own live heap with no workflow cached (the bundle, the SDK's runtime), rounded up. */
const BASE_MIB = 32;
/** A cached lifecycle's live heap: about 150 KB each in heap snapshots and full collections (README, Worker memory). */
const PER_CACHED_KIB = 160;
/** The limit over the live set: V8 collects well before the limit, and a heavier workflow than a lifecycle fits. */
const HEADROOM = 2;
/** Never below this: a small cache may still hold a heavy workflow, and V8 needs room to move objects while it collects. */
const FLOOR_MIB = 256;

/** The old-space limit for the workflow threads of a worker caching `maxCachedWorkflows`, in MiB. */
export function workflowHeapLimitMiB(maxCachedWorkflows: number): number {
  return Math.max(FLOOR_MIB, Math.ceil(HEADROOM * (BASE_MIB + (maxCachedWorkflows * PER_CACHED_KIB) / 1024)));
}

/** The limit the operator set for the whole process (node --max-old-space-size, in its arguments or NODE_OPTIONS), if any. */
export function explicitHeapLimit(execArgv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const flags = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.find((f) => /^--max[-_]old[-_]space[-_]size\b/.test(f)) ?? null;
}

/**
 * The workflow threads' limit a worker takes, in MiB: the setting (WORKER_WORKFLOW_HEAP_MIB) or the cache's; null
 * when the thread keeps another one: V8's own (a setting of 0) or an operator's --max-old-space-size, which wins.
 */
export function workflowHeapPlan(
  { setting, maxCachedWorkflows }: { setting: number | undefined; maxCachedWorkflows: number },
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
): number | null {
  if (setting === 0 || explicitHeapLimit(execArgv, env)) return null;
  return setting ?? workflowHeapLimitMiB(maxCachedWorkflows);
}

/**
 * Limits the old space of the V8 isolates created from now on: the workflow threads of the workers created after it.
 * The process's own main thread keeps the limit it started with (V8 reads the flag when it sets up an isolate's heap).
 */
export function capWorkflowThreadHeap(mib: number): void {
  setFlagsFromString(`--max-old-space-size=${mib}`);
}
