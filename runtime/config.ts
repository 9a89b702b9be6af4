import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { z } from 'zod';
import { parseDuration } from '../domain/durations.ts';
import { parseAllowedHost } from '../domain/webhook-targets.ts';

/** A duration in the `ms` notation people write in env files: '24h', '14d', '30m', '10s'. */
const duration = z.string().refine((s) => parseDuration(s) !== undefined, {
  message: "must be a duration such as '10s', '30m', '24h' or '14d'",
});

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const url = (protocols: string[]) =>
  z.string().refine((s) => URL.canParse(s) && protocols.includes(new URL(s).protocol), {
    message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  });

/** A whole number from an env string, with the range in the message. */
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);
const port = int(0, 65535);

const envSchema = z.object({
  PORT: port.default(3000),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OPSFLOW_DATA_DIR: z.string().min(1).default('.data'),
  OPSFLOW_ADMIN_TOKEN: z
    .string()
    .superRefine((token, ctx) => {
      const problem = weakTokenReason(token);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  // Which proxies' X-Forwarded-For names the client, for the rate limits: 'true', a hop count, or addresses/subnets
  // ('loopback', '10.0.0.0/8'); unset trusts none (the socket's address is the client).
  TRUST_PROXY: z
    .string()
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v))
    .optional(),

  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_MAX: int(1, 100).default(10),
  EMBEDDED_DB_PORT: port.default(5433),

  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('opsflow'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_UI_URL: url(['http:', 'https:']).optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  API_TEMPORAL_DEADLINE: duration.default('10s'),
  // How long a console session lasts after signing in (the cookie's Max-Age and the session row's expiry).
  SESSION_TTL: z
    .string()
    .refine(
      (s) => (parseDuration(s) ?? 0) >= 60_000 && parseDuration(s)! <= 30 * 86_400_000,
      "must be a duration from '1m' to '30d', such as '12h'",
    )
    .default('12h'),
  // Workflows kept in the worker's memory; idle ones beyond it are evicted and replayed when an event arrives. The
  // SDK's own default (from the heap limit: ~2,400 here) peaked at 1.6 GiB with 20,000 lifecycles; 1,000 at 1.1 GiB.
  WORKER_MAX_CACHED_WORKFLOWS: int(0, 1_000_000).default(1000),
  // Workflow-task long polls per worker (worker/worker.ts workflowPolling); unset: 40; 'auto': the server's feedback.
  WORKER_WORKFLOW_POLLERS: z.union([z.literal('auto'), int(2, 40)], { error: "must be 'auto' or a whole number from 2 to 40" }).optional(),
  // The workflow thread's V8 heap limit in MiB (worker/heap.ts); unset: twice what the cache keeps alive, at least
  // 256; 0: V8's own (from the machine's memory: 4 GiB here).
  WORKER_WORKFLOW_HEAP_MIB: int(0, 65_536)
    .refine((n) => n === 0 || n >= 128, "must be 0 (V8's own limit) or a whole number from 128 to 65536")
    .optional(),

  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('opsflow <opsflow@localhost>'),
  MAIL_CATCHER_SMTP_PORT: port.default(1025),
  MAIL_CATCHER_HTTP_PORT: port.default(1080),

  CONTENT_BANNED_WORDS: csv.default([]),
  CONTENT_ALLOWED_LINK_DOMAINS: csv.default([]),
  CONTENT_TITLE_MAX: int(1, 1000).default(120),
  CONTENT_BODY_MIN: int(0, 100_000).default(20),
  CONTENT_BODY_MAX: int(1, 200_000).default(20000),
  // Below the send profile's one-minute start-to-close timeout, so an attempt ends before Temporal retries it.
  WEBHOOK_TIMEOUT: duration.refine((s) => (parseDuration(s) ?? 0) <= 45_000, 'must be at most 45s').default('10s'),
  // Webhook hosts that may be private (loopback, private networks, metadata): exact host or host:port matches.
  WEBHOOK_ALLOWED_HOSTS: csv
    .refine(
      (hosts) => hosts.every((h) => parseAllowedHost(h)),
      'must be host names or IP addresses, each with an optional :port ([::1]:8080 for IPv6), separated by commas',
    )
    .default([]),
  RFM_SCHEDULE: z
    .string()
    .trim()
    .regex(
      /^[\w*?,/-]+(\s+[\w*?,/-]+){4}$/,
      "must be a five-field cron expression (minute hour day-of-month month day-of-week, UTC) such as '0 3 * * *'",
    )
    .default('0 3 * * *'),
});

export type Config = z.infer<typeof envSchema>;

/** Bits an admin token must carry: guessing one is as hard as a 128-bit key. */
export const ADMIN_TOKEN_MIN_BITS = 128;

/**
 * Why a chosen admin token is too weak to guard every operation, or undefined when it is strong enough: zxcvbn's
 * estimate of the guesses it takes (it sees repeats, sequences, keyboard patterns and words, which a count of
 * characters does not).
 */
export function weakTokenReason(token: string): string | undefined {
  if (token.length < 24) return `must be at least 24 characters (it has ${token.length}); generate one with: openssl rand -hex 32`;
  const bits = Math.floor(strength.check(token).guessesLog10 * Math.log2(10));
  if (bits < ADMIN_TOKEN_MIN_BITS) {
    return `is too easy to guess (about ${bits} bits where ${ADMIN_TOKEN_MIN_BITS} are needed); generate one with: openssl rand -hex 32`;
  }
  return undefined;
}
const strength = new ZxcvbnFactory();

export class ConfigError extends Error {}

/** Reads and validates the environment once; a bad value stops the process with the variable named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function durationMs(value: string): number {
  const parsed = parseDuration(value);
  if (parsed === undefined) throw new ConfigError(`not a duration: ${value}`);
  return parsed;
}

export function publicUrl(config: Config): string {
  return config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
}

/**
 * For process mains: the configuration, or exit 2 with the reason. `required` names variables that process cannot
 * run without (npm start embeds what is missing; the standalone API and worker need the real parts).
 */
export function configOrExit(required: (keyof Config)[] = [], process_: string = ''): Config {
  try {
    const config = loadConfig();
    const missing = required.filter((k) => config[k] === undefined);
    if (missing.length) {
      throw new ConfigError(`${missing.join(', ')} must be set for ${process_} (npm start runs an embedded stack instead)`);
    }
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}
