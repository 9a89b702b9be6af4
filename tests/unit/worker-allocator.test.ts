// The worker's malloc arena cap (worker/allocator.ts) reaches every way the product starts it: without it glibc keeps
// an arena per thread and the worker's resident memory grows with them (bench:lifecycle measures it).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ALLOCATOR_ENV, allocatorWarning } from '../../worker/allocator.ts';

const root = new URL('../../', import.meta.url);
const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Runs an npm script's shell line with `node <file>` swapped for a probe that prints what node would see. */
function envUnder(script: string, env: NodeJS.ProcessEnv): string {
  const line = scripts[script]!;
  expect(line).toMatch(/node (start|worker)\/main\.ts/);
  const probe = line.replace(/node \S+\.ts/, `"${process.execPath}" -e "process.stdout.write(process.env.MALLOC_ARENA_MAX ?? 'unset')"`);
  return execFileSync('sh', ['-c', probe], { env, encoding: 'utf8' });
}

test.each(['start', 'start:worker'])('npm run %s starts node with the arena cap, or the one the environment gives', (script) => {
  const { MALLOC_ARENA_MAX: _, ...bare } = process.env;
  expect(envUnder(script, bare)).toBe(ALLOCATOR_ENV.MALLOC_ARENA_MAX);
  expect(envUnder(script, { ...bare, MALLOC_ARENA_MAX: '4' })).toBe('4');
});

test('the Docker image sets the arena cap for every process it runs', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  expect(runtimeStage).toMatch(new RegExp(`^ENV .*\\bMALLOC_ARENA_MAX=${ALLOCATOR_ENV.MALLOC_ARENA_MAX}\\b`, 'm'));
});

test('a worker started without the cap on Linux says so; with it, or elsewhere, it does not', () => {
  expect(allocatorWarning({}, 'linux')).toMatch(/MALLOC_ARENA_MAX is not set/);
  expect(allocatorWarning({ MALLOC_ARENA_MAX: '2' }, 'linux')).toBeNull();
  expect(allocatorWarning({}, 'darwin')).toBeNull();
});
