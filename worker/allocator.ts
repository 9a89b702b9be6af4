// glibc's malloc gives each thread that allocates its own arena (up to 8 per core) and keeps what is freed in it for
// reuse: the Temporal core's threads, libuv's pool and V8's helpers held ~115 MiB in 23 arenas in a worker that had
// brought 90 lifecycles to idle (bench:lifecycle), against ~25 MiB in 2 to 3 with the cap. The cap must be in the
// environment before node starts (glibc reads it once), so the start scripts and the image set it; a process started
// any other way can only say that it is missing.

/** What `npm start`, `npm run start:worker`, the Docker image and bench:lifecycle's worker run with. */
export const ALLOCATOR_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** A warning for a worker started without the arena cap on Linux (glibc), else null. */
export function allocatorWarning(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | null {
  if (platform !== 'linux' || env.MALLOC_ARENA_MAX) return null;
  return (
    `MALLOC_ARENA_MAX is not set: glibc keeps one malloc arena per thread and the worker's memory grows with them; ` +
    `start it with npm run start:worker (or npm start), the Docker image, or MALLOC_ARENA_MAX=${ALLOCATOR_ENV.MALLOC_ARENA_MAX} in its environment`
  );
}
