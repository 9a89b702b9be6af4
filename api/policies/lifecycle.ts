// The lifecycle's windows and nurture sequence; running lifecycles pick up a new one with their next event.
import { z } from 'zod';
import { SETTINGS } from '../../db/settings.ts';
import { parseDuration } from '../../domain/durations.ts';
import {
  DEFAULT_LIFECYCLE_POLICY,
  FUNNEL_STAGES,
  MESSAGE_CATEGORIES,
  NURTURE_TEMPLATES,
  type LifecyclePolicy,
} from '../../domain/lifecycle.types.ts';
import { durationBetween } from '../schemas.ts';
import { DAY, definePolicy, MINUTE } from './policy.ts';

const lifecyclePolicyIn = z
  .object({
    activationWindow: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
    retentionPeriod: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
    inactivity: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
    winBackWait: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
    couponValidity: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
    nurture: z
      .object({
        goal: z.enum(FUNNEL_STAGES).nullable().describe('reaching it ends the sequence at once'),
        staleAfter: durationBetween(MINUTE, 30 * DAY, "'1m' to '30d'").describe('a step this late is skipped, not sent'),
        steps: z
          .array(
            z
              .object({
                name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be 1-40 lowercase letters, digits, _ or -'),
                after: durationBetween(0, 365 * DAY, "'0s' to '365d'").describe('offset from signup'),
                template: z.enum(NURTURE_TEMPLATES),
                category: z.enum(MESSAGE_CATEGORIES),
                skipWhenReached: z.enum(FUNNEL_STAGES).optional(),
              })
              .strict(),
          )
          .max(20)
          .refine((steps) => new Set(steps.map((s) => s.name)).size === steps.length, 'step names must be unique')
          .refine(
            (steps) => steps.every((s, i) => i === 0 || parseDuration(s.after)! >= parseDuration(steps[i - 1]!.after)!),
            'steps must be in order of their offsets',
          ),
      })
      .strict(),
  })
  .strict();

export const lifecyclePolicy = definePolicy<LifecyclePolicy>({
  path: '/policies/lifecycle',
  key: SETTINGS.lifecyclePolicy,
  defaults: DEFAULT_LIFECYCLE_POLICY,
  schema: lifecyclePolicyIn,
  what: 'customer lifecycle policy (windows and the onboarding nurture sequence)',
});
