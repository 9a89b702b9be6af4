// What a policy needs to be served at GET and PUT /policies/<name>: each family declares one in its own file here,
// and api/app.ts registers it with the family's routers.
import { z } from 'zod';
import type { SettingKey } from '../../db/settings.ts';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

export interface PolicyRoute<T extends { version: number }> {
  path: string;
  key: SettingKey;
  /** The code's defaults (from the family's domain file), which the stored document is merged over. */
  defaults: T;
  /** The document a PUT takes; GET answers it with its version. */
  schema: z.ZodObject;
  /** Names the policy in the OpenAPI summaries: "The <what>", "Replace the <what>". */
  what: string;
}

/** An amount per currency, keyed by ISO 4217 code (the approval thresholds). */
export const amountPerCurrency = () =>
  z.record(z.string().regex(/^[A-Z]{3}$/, 'keys must be ISO 4217 codes such as USD'), z.number().min(0).max(1e12));

export const definePolicy = <T extends { version: number }>(policy: PolicyRoute<T>): PolicyRoute<T> => policy;
