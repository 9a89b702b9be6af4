// CPU by part of a bench run, from /proc: this process, the worker, this run's PostgreSQL backends, the dev server,
// and what the rest of the machine used (a shared 2-core machine must show it next to the figures).
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const TICK = 10; // /proc/stat counts CPU in USER_HZ ticks, 100 a second on Linux
/** Busy CPU of the whole machine (ms, all cores), as bench/campaign.ts reads it: user, nice, system, irq, softirq, steal. */
export function machineCpuMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK;
}
export const PARTS = ['this process', 'worker', 'postgres', 'dev server', 'others'] as const;
export type Part = (typeof PARTS)[number];
/**
 * CPU (ms, from /proc) of every process by its part in this run: this one, the worker (or workers), this run's PostgreSQL backends
 * (their command line names the database), the dev server (a child of this process); the machine's remaining busy
 * time is someone else's, which a shared 2-core machine must show next to the figures.
 */
export function cpuSnapshot(ours: { worker: number | number[]; database: string }) {
  const workers = [ours.worker].flat();
  const byPid = new Map<number, { part: Part; ms: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the third (state) on
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const part: Part | null =
        pid === process.pid
          ? 'this process'
          : workers.includes(pid)
            ? 'worker'
            : comm === 'postgres' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(ours.database)
              ? 'postgres'
              : Number(fields[1]) === process.pid
                ? 'dev server'
                : null;
      if (part) byPid.set(pid, { part, ms: (Number(fields[11]) + Number(fields[12])) * TICK });
    } catch {
      /* the process has exited */
    }
  }
  return { at: performance.now(), machine: machineCpuMs(), byPid };
}
export type CpuSnapshot = ReturnType<typeof cpuSnapshot>;
/** Busy CPU between two snapshots, by part, as a percentage of one core. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): Record<Part, number> & { machine: number } {
  const ms = b.at - a.at;
  const out = Object.fromEntries(PARTS.map((p) => [p, 0])) as Record<Part, number>;
  for (const [pid, { part, ms: used }] of b.byPid) out[part] += used - (a.byPid.get(pid)?.ms ?? 0);
  const machine = b.machine - a.machine;
  out.others = machine - PARTS.filter((p) => p !== 'others').reduce((sum, p) => sum + out[p], 0);
  for (const p of PARTS) out[p] = Math.max(0, (100 * out[p]) / ms); // ticks round: "others" may come out a hair below 0
  return { ...out, machine: (100 * machine) / ms };
}
