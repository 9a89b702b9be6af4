// Where a process's CPU goes, from a V8 CPU profile: an in-process profiler for one part of a benchmark
// (node:inspector, so the other parts run unprofiled), and self time summed by script group. As a command:
// `node bench/cpu-profile.ts <file.cpuprofile> [top]` prints the groups and the top functions of a `node --cpu-prof` file.
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Starts sampling this process (every 250 µs); `stop()` returns the profile. */
export async function startProfile(): Promise<{ stop(): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile as unknown as CpuProfile;
    },
  };
}

/** The group a script belongs to: an npm package, one of Node's internal modules, or a folder of ours. */
export function scriptGroup(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:internal/deps/undici')) return 'node:undici (fetch)';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  const ours = /\/work\/main\/([^/]+)\//.exec(url) ?? /\/([^/]+)\/[^/]+\.ts$/.exec(url);
  return ours ? `ours:${ours[1]}` : url;
}

/** Self time in ms, by script group and by function (`name url:line`), largest first. */
export function selfTimes(profile: CpuProfile): { groups: Map<string, number>; functions: Map<string, number>; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = (frame: CallFrame) =>
    frame.url.replace(/^.*node_modules\//, '').replace('file:///work/main/', '') + `:${frame.lineNumber + 1}`;
  // A native function (a socket write, a hash) is named with the nearest caller outside Node's internals: "writev :0"
  // alone does not say whose writes they are.
  const caller = (id: number): string => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const f = byId.get(p)!;
      if (f.url && !f.url.startsWith('node:')) return ` < ${f.functionName || '(anonymous)'} ${where(f)}`;
    }
    return '';
  };
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    // Idle, and the profiler's own Profiler.stop (it serializes the profile on this thread).
    if (frame.functionName === '(idle)' || frame.url.startsWith('node:inspector')) return;
    totalMs += ms;
    const group = scriptGroup(frame.url, frame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + ms);
    const fn = `${frame.functionName || '(anonymous)'} ${where(frame)}${frame.url || frame.functionName.startsWith('(') ? '' : caller(id)}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => new Map([...m].sort((a, b) => b[1] - a[1]));
  return { groups: sorted(groups), functions: sorted(functions), totalMs };
}

if (import.meta.main) {
  const [file, top = '40'] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/cpu-profile.ts <file.cpuprofile> [top]');
  const { groups, functions, totalMs } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  console.log(`busy ${totalMs.toFixed(0)} ms`);
  for (const [g, ms] of groups)
    if (ms >= totalMs / 1000) console.log(`${ms.toFixed(1).padStart(9)}  ${((100 * ms) / totalMs).toFixed(1).padStart(5)}%  ${g}`);
  console.log('');
  for (const [f, ms] of [...functions].slice(0, Number(top))) console.log(`${ms.toFixed(1).padStart(9)}  ${f}`);
}
