import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { Orm } from '../db/orm.ts';
import { createAuditActivities } from './audit.ts';
import { createCampaignActivities } from './campaign.ts';
import type { CheckRules } from './content-checks.ts';
import { createContentActivities } from './content.ts';
import { createContractActivities } from './contract.ts';
import { createCustomerEmailActivities } from './customer-email.ts';
import { createEmailActivities } from './email.ts';
import { createEventDeliveryActivities } from './event-delivery.ts';
import { createIncidentActivities } from './incident.ts';
import { createKpiZoneActivities } from './kpi-zones.ts';
import { createLifecycleActivities } from './lifecycle.ts';
import { createTemplateActivities } from './message-templates.ts';
import { createMonitorActivities } from './monitor.ts';
import { createRfmActivities } from './rfm.ts';
import { createTaskMailActivities } from './task-mail.ts';
import { createTaskActivities } from './tasks.ts';
import type { WebhookGuard } from './webhooks.ts';

export interface ActivityDeps {
  orm: Orm;
  mailer: Transporter;
  mailFrom: string;
  publicUrl: string;
  checkRules: CheckRules;
  webhookTimeoutMs: number;
  /** Which webhook targets may be private (WEBHOOK_ALLOWED_HOSTS), and the resolver deliveries use. */
  webhookGuard: WebhookGuard;
}

/** The worker's own Temporal client: activities that start or signal workflows (event redelivery) use it. */
export interface TemporalDeps {
  client: Client;
  taskQueue: string;
}

/** Every activity the worker registers, built with its dependencies. */
export function createActivities(deps: ActivityDeps, temporal: TemporalDeps) {
  const mail = { orm: deps.orm, mailer: deps.mailer, from: deps.mailFrom, publicUrl: deps.publicUrl };
  return {
    ...createAuditActivities(deps),
    ...createTaskActivities(deps),
    ...createEmailActivities(mail),
    ...createTaskMailActivities(mail),
    ...createCustomerEmailActivities(mail),
    ...createLifecycleActivities(deps),
    ...createRfmActivities(deps),
    ...createKpiZoneActivities(deps),
    ...createTemplateActivities(deps),
    ...createContentActivities(deps),
    ...createCampaignActivities(mail),
    ...createContractActivities(mail),
    ...createMonitorActivities({ orm: deps.orm, client: temporal.client }),
    ...createIncidentActivities({ orm: deps.orm, client: temporal.client, taskQueue: temporal.taskQueue }),
    ...createEventDeliveryActivities({ orm: deps.orm, temporal: temporal.client, taskQueue: temporal.taskQueue }),
  };
}
