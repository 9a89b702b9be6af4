// Builds the activities' dependencies from configuration: the same wiring for worker/main.ts and npm start.
import type { Transporter } from 'nodemailer';
import type { ActivityDeps } from '../activities/index.ts';
import type { Orm } from '../db/orm.ts';
import { durationMs, publicUrl, type Config } from '../runtime/config.ts';

export function activityDeps(config: Config, orm: Orm, mailer: Transporter): ActivityDeps {
  return {
    orm,
    mailer,
    mailFrom: config.MAIL_FROM,
    publicUrl: publicUrl(config),
    webhookTimeoutMs: durationMs(config.WEBHOOK_TIMEOUT),
    webhookGuard: { allowedHosts: config.WEBHOOK_ALLOWED_HOSTS },
    checkRules: {
      bannedWords: config.CONTENT_BANNED_WORDS,
      allowedLinkDomains: config.CONTENT_ALLOWED_LINK_DOMAINS,
      titleMax: config.CONTENT_TITLE_MAX,
      bodyMin: config.CONTENT_BODY_MIN,
      bodyMax: config.CONTENT_BODY_MAX,
    },
  };
}
