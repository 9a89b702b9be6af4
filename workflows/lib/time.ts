// Durations as people write them ('24h', '14d', '30m'), parsed the way Temporal parses its own.
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';

export const durationToMs = (d: Duration): number => msToNumber(d);

/** Milliseconds from now (workflow time) until an ISO instant; zero when it has passed. */
export const msUntil = (iso: string, now: number): number => Math.max(0, Date.parse(iso) - now);
