import type { Transporter } from 'nodemailer';
import type { Orm } from '../db/orm.ts';
import { createAuditActivities } from './audit.ts';
import type { CheckRules } from './content-checks.ts';
import { createContentActivities } from './content.ts';
import { createEmailActivities } from './email.ts';
import { createTaskActivities } from './tasks.ts';

export interface ActivityDeps {
  orm: Orm;
  mailer: Transporter;
  mailFrom: string;
  publicUrl: string;
  checkRules: CheckRules;
  webhookTimeoutMs: number;
}

/** Every activity the worker registers, built with its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities(deps),
    ...createTaskActivities(deps),
    ...createEmailActivities({ orm: deps.orm, mailer: deps.mailer, from: deps.mailFrom, publicUrl: deps.publicUrl }),
    ...createContentActivities(deps),
  };
}
