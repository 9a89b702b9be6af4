// Schemas more than one router (or policy) takes: ids, pages, instants, durations, locales, metric names and labels.
import { z } from 'zod';
import { parseDuration } from '../domain/durations.ts';

const FIRST_INSTANT = Date.UTC(1970, 0, 1);
const LAST_INSTANT = Date.UTC(10000, 0, 1) - 1;
/**
 * An instant with its offset ('2026-12-03T10:00:00+08:00'), as UTC ISO text, from 1970 through 9999 once the offset is
 * applied (PostgreSQL refuses year 0, which '0001-01-01T01:00+03:00' becomes). `overwrite`, not `transform`: the text
 * stays a string, so a response schema that holds one (a campaign's schedule) documents it as one. An overwrite runs
 * after failed checks too, so text that is no time at all is left as it is (the checks have refused it).
 */
export const instant = z.iso
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) >= FIRST_INSTANT && Date.parse(s) <= LAST_INSTANT, {
    message: 'must be from 1970 through 9999 (in UTC)',
    params: { code: 'years_1970_9999' },
  })
  .overwrite((s) => (Number.isNaN(Date.parse(s)) ? s : new Date(s).toISOString()));

/** Page parameters shared by list routes. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

export const idParams = z.object({ id: z.uuid() }).strict();

/** A BCP 47 language tag (zh-CN, en, pt-BR), kept in its canonical form (zh-cn becomes zh-CN). */
export const locale = z
  .string()
  .min(2)
  .max(35)
  .refine((s) => {
    try {
      return Intl.getCanonicalLocales(s).length === 1;
    } catch {
      return false;
    }
  }, 'must be a BCP 47 language tag such as zh-CN or en')
  .transform((s) => Intl.getCanonicalLocales(s)[0]!);

/** A duration as people write it ('30s', '5m', '24h', '14d'), from `min` to `max` ms; `label` names the bounds. */
export const durationBetween = (min: number, max: number, label: string) =>
  z.string().refine(
    (s) => {
      const v = parseDuration(s);
      return v !== undefined && v >= min && v <= max;
    },
    { message: `must be a duration from ${label}, such as '30s', '5m', '24h' or '14d'`, params: { code: 'duration', range: label } },
  );

/** The most items a batch route takes in one request (customers, events). */
export const BATCH_LIMIT = 10_000;

/** A metric's name, as pushed and as rules watch it. */
export const metricName = z
  .string()
  .regex(/^[A-Za-z_:][A-Za-z0-9_:.-]{0,199}$/, 'must start with a letter, _ or : and hold only letters, digits, _ : . - (at most 200)');

/** A label's name. */
export const labelKey = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Labels on metric points, and the labels rules, incidents and escalation policies match on. */
export const labels = z
  .record(
    z.string().regex(labelKey, 'label names start with a letter or _ and hold letters, digits and _ (at most 64)'),
    z.string().max(200),
  )
  .refine((l) => Object.keys(l).length <= 20, 'at most 20 labels');

/** The service an incident is about, and the one an escalation policy covers. */
export const service = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/, 'must be 1-100 letters, digits, _ . : / or -');
