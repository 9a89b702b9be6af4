// Policies set through the API: the lifecycle's windows and nurture sequence, and the customer messaging policy.
// Running lifecycles pick up a new lifecycle policy with their next event; the messaging policy applies to the next send.
import { Router } from 'express';
import { z } from 'zod';
import { readSetting, SETTINGS, writeSetting, type SettingKey } from '../../db/settings.ts';
import { DEFAULT_MESSAGING_POLICY, type MessagingPolicy } from '../../domain/messaging-policy.ts';
import { parseDuration } from '../../domain/durations.ts';
import { DEFAULT_CAMPAIGN_APPROVAL_POLICY, type CampaignApprovalPolicy } from '../../domain/campaign.ts';
import { DEFAULT_CONTRACT_POLICY, type ContractPolicy } from '../../domain/contract.ts';
import { DEFAULT_INCIDENT_POLICY, SEVERITIES, type IncidentPolicy } from '../../domain/incident.ts';
import {
  DEFAULT_LIFECYCLE_POLICY,
  FUNNEL_STAGES,
  MESSAGE_CATEGORIES,
  NURTURE_TEMPLATES,
  type LifecyclePolicy,
} from '../../domain/lifecycle.types.ts';
import type { ApiDeps } from '../app.ts';
import { defineRoute, durationBetween, locale, type RouteRegistry } from '../http.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

const lifecyclePolicyIn = z.object({
  activationWindow: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
  retentionPeriod: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
  inactivity: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
  winBackWait: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
  couponValidity: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'"),
  nurture: z.object({
    goal: z.enum(FUNNEL_STAGES).nullable().describe('reaching it ends the sequence at once'),
    staleAfter: durationBetween(MINUTE, 30 * DAY, "'1m' to '30d'").describe('a step this late is skipped, not sent'),
    steps: z.array(z.object({
      name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be 1-40 lowercase letters, digits, _ or -'),
      after: durationBetween(0, 365 * DAY, "'0s' to '365d'").describe('offset from signup'),
      template: z.enum(NURTURE_TEMPLATES),
      category: z.enum(MESSAGE_CATEGORIES),
      skipWhenReached: z.enum(FUNNEL_STAGES).optional(),
    }).strict()).max(20)
      .refine((steps) => new Set(steps.map((s) => s.name)).size === steps.length, 'step names must be unique')
      .refine((steps) => steps.every((s, i) => i === 0 || parseDuration(s.after)! >= parseDuration(steps[i - 1]!.after)!),
        'steps must be in order of their offsets'),
  }).strict(),
}).strict();

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day such as '21:00'");
const messagingPolicyIn = z.object({
  frequencyCap: z.object({
    max: z.int().min(1).max(100),
    window: durationBetween(60 * MINUTE, 90 * DAY, "'1h' to '90d'"),
  }).strict().nullable().describe('at most `max` marketing emails per customer per `window`; null: no cap'),
  quietHours: z.object({ start: hhmm, end: hhmm }).strict()
    .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] })
    .nullable().describe("in the customer's timezone; a send is deferred to `end`; null: none"),
  defaultLocale: locale.optional().describe("the language of a customer's messages when they have no locale, or the message none in theirs (default en)"),
  platform: z.object({
    name: z.string().trim().min(1).max(100).describe('the brand customers know, as templates name it (platform.name)'),
    url: z.url({ protocol: /^https?$/ }).max(2000).nullable().describe('its site, for the links in templates (platform.url); null: none'),
  }).strict().optional().describe('default: opsflow, no site'),
}).strict();

const campaignApprovalPolicyIn = z.object({
  secondApprovalAbove: z.record(z.string().regex(/^[A-Z]{3}$/, 'keys must be ISO 4217 codes such as USD'), z.number().min(0).max(1e12))
    .describe('per currency: a budget above this needs an admin approval too; a currency not named always needs both'),
}).strict();

const ackSla = durationBetween(10_000, DAY, "'10s' to '24h'").nullable();
const incidentPolicyIn = z.object({
  ackSla: z.object({ P1: ackSla, P2: ackSla, P3: ackSla, P4: ackSla }).strict()
    .describe('time to acknowledge per severity before the next escalation level is paged; null: no SLA'),
  postmortemFor: z.array(z.enum(SEVERITIES)).max(4).describe('severities whose resolution opens a postmortem task'),
  postmortemDue: durationBetween(MINUTE, 90 * DAY, "'1m' to '90d'").describe('the postmortem is due this long after resolution; then a reminder goes out'),
}).strict();

const contractPolicyIn = z.object({
  secondApprovalAbove: z.record(z.string().regex(/^[A-Z]{3}$/, 'keys must be ISO 4217 codes such as USD'), z.number().min(0).max(1e12))
    .describe("per currency: a contract worth more needs an admin approval besides legal's; a currency not named always does"),
  approvalOrder: z.enum(['parallel', 'sequential']).describe('legal and admin at once, or legal first'),
  linkValidity: durationBetween(MINUTE, 90 * DAY, "'1m' to '90d'").describe("how long a partner's signing link works"),
  signatureReminderEvery: durationBetween(MINUTE, 90 * DAY, "'1m' to '90d'").describe('a new link and reminder this often while unsigned'),
  signatureExpiry: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'").describe('unsigned this long after the internal signature, the contract expires'),
}).strict();

const versioned = <T extends z.ZodObject>(s: T) => s.extend({ version: z.number().describe('0: the built-in defaults') });

export function policiesRouter({ orm, audit }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'policies';

  const policy = <T extends { version: number }>(path: string, key: SettingKey, schema: z.ZodObject, defaults: T, what: string) => {
    defineRoute(router, registry, {
      method: 'get', path, tag, summary: `The ${what}`, access: ['admin', 'ops_manager', 'analyst'],
      response: versioned(schema),
    }, async () => readSetting<T>(orm, key, defaults));
    defineRoute(router, registry, {
      method: 'put', path, tag, summary: `Replace the ${what}`, access: ['admin', 'ops_manager'],
      body: schema, response: versioned(schema), errors: [400, 401, 403],
    }, async ({ body, actor }) => {
      const version = await writeSetting(orm, key, body, actor.id);
      await audit(actor, 'policy.updated', 'policy', key, { version, value: body });
      return { ...(body as object), version };
    });
  };
  policy<LifecyclePolicy>('/policies/lifecycle', SETTINGS.lifecyclePolicy, lifecyclePolicyIn, DEFAULT_LIFECYCLE_POLICY,
    'customer lifecycle policy (windows and the onboarding nurture sequence)');
  policy<MessagingPolicy>('/policies/messaging', SETTINGS.messagingPolicy, messagingPolicyIn, DEFAULT_MESSAGING_POLICY,
    'customer messaging policy (frequency cap, quiet hours, default language, brand)');
  policy<CampaignApprovalPolicy>('/policies/campaign-approval', SETTINGS.campaignApprovalPolicy, campaignApprovalPolicyIn,
    DEFAULT_CAMPAIGN_APPROVAL_POLICY, 'campaign budget approval policy (when an admin approves too)');
  policy<ContractPolicy>('/policies/contracts', SETTINGS.contractPolicy, contractPolicyIn, DEFAULT_CONTRACT_POLICY,
    'contract policy (approvals, signing links, reminders and expiry); it applies to contracts from their next step');
  policy<IncidentPolicy>('/policies/incidents', SETTINGS.incidentPolicy, incidentPolicyIn, DEFAULT_INCIDENT_POLICY,
    'incident policy (acknowledgement SLAs by severity, postmortems); it applies to incidents opened from now on');
  return router;
}
