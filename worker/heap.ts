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
 * Limits the old space of the V8 isolates created from now on: the workflow threads of the workers created after it.
 * The process's own main thread keeps the limit it started with (V8 reads the flag when it sets up an isolate's heap).
 * An operator's own --max-old-space-size wins: nothing is changed then, nor for 0. Returns the limit set, or null.
 */
export function capWorkflowThreadHeap(mib: number): number | null {
  if (mib === 0 || explicitHeapLimit(process.execArgv, process.env)) return null;
  setFlagsFromString(`--max-old-space-size=${mib}`);
  return mib;
}
