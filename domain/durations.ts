// Durations as people write them ('24h', '14d', '30m', '10s'): one parser (the `ms` notation Temporal uses) for
// workflows, activities, the API and the configuration.
import type { Duration } from '@temporalio/common';
import ms from 'ms';

/** Milliseconds of a duration in the `ms` notation, or undefined when it is not one. */
export function parseDuration(s: string): number | undefined {
  try {
    const value = ms(s as ms.StringValue);
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined; // ms throws on '' and on strings over 100 characters
  }
}

/** A number is already milliseconds; a string that is not a duration throws (a workflow task then retries). */
export function durationToMs(d: Duration): number {
  if (typeof d === 'number') return d;
  const value = parseDuration(d);
  if (value === undefined) throw new TypeError(`Invalid duration string: '${d}'`);
  return value;
}

/** Milliseconds from now (workflow time) until an ISO instant; zero when it has passed. */
export const msUntil = (iso: string, now: number): number => Math.max(0, Date.parse(iso) - now);
