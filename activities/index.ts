import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { Orm } from '../db/orm.ts';
import { createAuditActivities } from './audit.ts';
import { createCampaignActivities } from './campaign.ts';
import type { CheckRules } from './content-checks.ts';
import { createContentActivities } from './content.ts';
import { createContractActivities } from './contract.ts';
import { createCustomerEmailActivities } from './customer-email.ts';
import { createEmailActivities, type EmailDeps } from './email.ts';
import { createEventDeliveryActivities } from './event-delivery.ts';
import { createIncidentActivities } from './incident.ts';
import { createKpiZoneActivities } from './kpi-zones.ts';
import { createLifecycleActivities } from './lifecycle.ts';
import { createTemplateActivities } from './message-templates.ts';
import { createMonitorActivities } from './monitor.ts';
import { createRfmActivities } from './rfm.ts';
import { createTaskMailActivities } from './task-mail.ts';
import { createTaskActivities } from './tasks.ts';
import { campaignTemplates } from './templates/campaign.ts';
import type { Template } from './templates/compose.ts';
import { contentTemplates } from './templates/content.ts';
import { contractTemplates } from './templates/contract.ts';
import { incidentTemplates } from './templates/incident.ts';
import { monitorTemplates } from './templates/monitor.ts';
import { taskTemplates } from './templates/tasks.ts';
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

/** What a family's factory is built from: the worker's dependencies, the email ledger's, the worker's Temporal client. */
interface FamilyDeps {
  deps: ActivityDeps;
  mail: EmailDeps;
  temporal: TemporalDeps;
}

/** A family's activities and the operator emails its workflows send through notify (templates/<family>.ts). */
interface Family {
  activities: (given: FamilyDeps) => object;
  templates: Record<string, Template<never>>;
}

/** Every family, registered once: a new family adds its entry here, its factory and its templates (`{}` for none). */
export const families = {
  audit: { activities: ({ deps }) => createAuditActivities(deps), templates: {} },
  tasks: { activities: ({ deps }) => createTaskActivities(deps), templates: {} },
  taskMail: { activities: ({ mail }) => createTaskMailActivities(mail), templates: taskTemplates },
  customerEmail: { activities: ({ mail }) => createCustomerEmailActivities(mail), templates: {} },
  lifecycle: { activities: ({ deps }) => createLifecycleActivities(deps), templates: {} },
  rfm: { activities: ({ deps }) => createRfmActivities(deps), templates: {} },
  kpiZones: { activities: ({ deps }) => createKpiZoneActivities(deps), templates: {} },
  messageTemplates: { activities: ({ deps }) => createTemplateActivities(deps), templates: {} },
  content: { activities: ({ deps }) => createContentActivities(deps), templates: contentTemplates },
  campaign: { activities: ({ mail }) => createCampaignActivities(mail), templates: campaignTemplates },
  contract: { activities: ({ mail }) => createContractActivities(mail), templates: contractTemplates },
  monitor: {
    activities: ({ deps, temporal }) => createMonitorActivities({ orm: deps.orm, client: temporal.client }),
    templates: monitorTemplates,
  },
  incident: {
    activities: ({ deps, temporal }) => createIncidentActivities({ orm: deps.orm, client: temporal.client, taskQueue: temporal.taskQueue }),
    templates: incidentTemplates,
  },
  eventDelivery: {
    activities: ({ deps, temporal }) =>
      createEventDeliveryActivities({ orm: deps.orm, temporal: temporal.client, taskQueue: temporal.taskQueue }),
    templates: {},
  },
} satisfies Record<string, Family>;

/**
 * Every activity the worker registers, built with its dependencies: sendEmail, which renders any family's templates
 * (so it stands apart from the list), and each family's.
 */
export function createActivities(deps: ActivityDeps, temporal: TemporalDeps): Record<string, unknown> {
  const mail: EmailDeps = { orm: deps.orm, mailer: deps.mailer, from: deps.mailFrom, publicUrl: deps.publicUrl };
  const activities: Record<string, unknown> = createEmailActivities(mail);
  for (const family of Object.values(families)) Object.assign(activities, family.activities({ deps, mail, temporal }));
  return activities;
}
