// Input schemas more than one router takes (the route-level ones, ids, pages, instants, live in http.ts).
import { z } from 'zod';

/** The most items a batch route takes in one request (customers, events). */
export const BATCH_LIMIT = 10_000;

/** A metric's name, as pushed and as rules watch it. */
export const metricName = z.string().regex(/^[A-Za-z_:][A-Za-z0-9_:.-]{0,199}$/,
  'must start with a letter, _ or : and hold only letters, digits, _ : . - (at most 200)');

/** A label's name. */
export const labelKey = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Labels on metric points, and the labels rules, incidents and escalation policies match on. */
export const labels = z.record(
  z.string().regex(labelKey, 'label names start with a letter or _ and hold letters, digits and _ (at most 64)'),
  z.string().max(200),
).refine((l) => Object.keys(l).length <= 20, 'at most 20 labels');

/** The service an incident is about, and the one an escalation policy covers. */
export const service = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/, 'must be 1-100 letters, digits, _ . : / or -');
