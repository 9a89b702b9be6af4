import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { countAudience, firstOfAudience, previewCustomerById, saveCampaignRow, type PreviewCustomer } from '../../db/campaigns.ts';
import { recipientPage, sendProgress } from '../../db/campaign-recipients.ts';
import { ledgerCounts } from '../../db/campaign-counts.ts';
import { liveTemplate } from '../../db/message-templates.ts';
import { operatorNames } from '../../db/operators.ts';
import { readMessagingPolicy } from '../../db/settings.ts';
import { composeMessage } from '../../domain/message-data.ts';
import { Campaign, CampaignReport } from '../../db/entities/index.ts';
import { RECIPIENT_STATUSES } from '../../db/entities/campaign.ts';
import {
  cancelCampaign,
  editCampaign,
  endCampaign,
  getCampaign,
  pauseCampaign,
  resumeCampaign,
  submitCampaign,
} from '../../workflows/campaign.messages.ts';
import {
  CAMPAIGN_STAGES,
  cents,
  DEFAULT_GUARDS,
  GOAL_METRICS,
  GUARD_METRICS,
  isClosed,
  TEMPLATE_FIELDS,
  templateFields,
  WINNING_METRICS,
  type CampaignInput,
  type CampaignSpec,
  type CampaignState,
} from '../../domain/campaign.ts';
import type { campaign } from '../../workflows/campaign.ts';
import { campaignWorkflowId } from '../../domain/ids.ts';
import type { Actor } from '../../domain/actors.ts';
import { LIFECYCLE_STAGES } from '../../domain/lifecycle.types.ts';
import { SEGMENTS } from '../../domain/rfm.ts';
import type { ApiDeps } from '../app.ts';
import { badRequest, conflict, forbidden, HttpError, notFound, unprocessable, zodFields } from '../errors.ts';
import { defineRoute, iso, type RouteRegistry } from '../http.ts';
import { durationBetween, idParams, instant, pageQuery } from '../schemas.ts';
import { workflowResource } from '../resource.ts';
import { containsPattern } from '../../db/sql.ts';

const READERS = ['admin', 'ops_manager', 'analyst'] as const;
const MANAGERS = ['admin', 'ops_manager'] as const;
const DAY = 86_400_000;

/** A subject or body: every {{field}} must be a customer field the sender knows. */
const template = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      for (const { field, known } of templateFields(text)) {
        if (!known)
          ctx.addIssue({
            code: 'custom',
            message: `unknown template field {{${field}}}; the fields are ${TEMPLATE_FIELDS.join(', ')}`,
            params: { code: 'unknown_template_field', field, fields: [...TEMPLATE_FIELDS] },
          });
      }
    });
const message = z.object({ subject: template(300), body: template(100_000) }).strict();

const variant = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, _ or -'),
    subject: template(300),
    body: template(100_000),
    split: z.number().positive().max(100).optional().describe('percent of the test group (default: equal shares)'),
  })
  .strict();

const abTest = z
  .object({
    variants: z
      .array(variant)
      .min(2)
      .max(10)
      .refine((v) => new Set(v.map((x) => x.name)).size === v.length, {
        message: 'variant names must be unique',
        params: { code: 'names_repeat' },
      })
      .refine((v) => v.every((x) => x.split === undefined) || v.every((x) => x.split !== undefined), {
        message: 'give every variant a split, or none',
        params: { code: 'splits_some' },
      })
      .refine((v) => v.some((x) => x.split === undefined) || Math.abs(v.reduce((s, x) => s + x.split!, 0) - 100) < 1e-6, {
        message: 'the splits must add up to 100',
        params: { code: 'splits_sum' },
      }),
    testShare: z.number().gt(0).lt(1).describe('fraction of the audience in the test (0.2 = 20%); the rest gets the winner'),
    testDuration: durationBetween(10_000, 30 * DAY, "'10s' to '30d'").describe(
      'results collected after the test sends, before the winner is chosen',
    ),
    winningMetric: z
      .enum(WINNING_METRICS)
      .describe('conversions (purchases) or clicks per email sent, from events carrying the campaign id'),
  })
  .strict();

const goal = z
  .object({
    metric: z.enum(GOAL_METRICS),
    target: z.number().min(0).max(1e12).describe('a count, an amount, or for conversion_rate a fraction from 0 to 1'),
    deadline: instant.describe('events up to this time count'),
  })
  .strict()
  .refine((g) => g.metric !== 'conversion_rate' || g.target <= 1, {
    message: 'a conversion_rate target is a fraction from 0 to 1',
    path: ['target'],
    params: { code: 'rate_fraction' },
  });

const audience = z
  .object({
    segment: z.enum(SEGMENTS).optional().describe('an RFM segment'),
    filters: z
      .object({
        stages: z.array(z.enum(LIFECYCLE_STAGES)).min(1).max(20).optional(),
        tags: z.array(z.string().min(1).max(100)).min(1).max(50).optional().describe('customers carrying every one of these tags'),
        rfmSegments: z.array(z.enum(SEGMENTS)).min(1).optional(),
        lastActiveBefore: instant.optional(),
        lastActiveAfter: instant.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((a) => a.segment !== undefined || Object.keys(a.filters ?? {}).length > 0, {
    message: 'name a segment or at least one filter',
    params: { code: 'no_audience' },
  });

const specFields = {
  name: z.string().trim().min(1).max(200),
  goals: z.array(goal).max(10).default([]),
  budget: z
    .object({
      total: z.number().positive().max(1e12),
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
      costPerSend: z.number().min(0).max(1e6),
    })
    .strict(),
  audience,
  message: message.nullable().optional().describe('the email, when there is no A/B test'),
  abTest: abTest.nullable().optional(),
  schedule: z
    .object({
      startAt: instant.describe('launch time; a time already past launches as soon as the budget is approved'),
      endAt: instant,
    })
    .strict()
    .refine((s) => Date.parse(s.endAt) > Date.parse(s.startAt), {
      message: 'must be after startAt',
      path: ['endAt'],
      params: { code: 'not_after', other: 'startAt' },
    }),
  sendRate: z.number().positive().max(10_000).default(50).describe('emails per second'),
  guards: z
    .array(
      z
        .object({
          metric: z.enum(GUARD_METRICS),
          above: z.number().min(0).max(1),
          minSends: z.int().min(1).max(10_000_000),
        })
        .strict(),
    )
    .max(10)
    .default(DEFAULT_GUARDS)
    .describe('pause the campaign when a rate goes above `above` after `minSends` sends'),
};
/** The campaign as stored (GET /campaigns/:id's spec): what specIn gives, with the defaults and the splits filled. */
export const specOut = z.object(specFields).strict();
const specIn = z
  .object(specFields)
  .strict()
  .refine((s) => (s.message ? 1 : 0) + (s.abTest ? 1 : 0) === 1, {
    message: 'give a message, or an abTest with variants (not both)',
    path: ['message'],
    params: { code: 'message_or_ab' },
  });
type SpecIn = z.infer<typeof specIn>;

function toSpec(s: SpecIn): CampaignSpec {
  const ab = s.abTest ?? null;
  return {
    name: s.name,
    goals: s.goals,
    budget: s.budget,
    audience: s.audience,
    message: s.message ?? null,
    abTest: ab
      ? {
          ...ab,
          variants: ab.variants.map((v) => ({ ...v, split: v.split ?? 100 / ab.variants.length })),
        }
      : null,
    schedule: s.schedule,
    sendRate: s.sendRate,
    guards: s.guards,
  };
}

/** What the schema alone cannot check: the end must be ahead, and the budget must pay for a send. */
function checkSpec(spec: CampaignSpec): void {
  const fields = [
    ...(Date.parse(spec.schedule.endAt) <= Date.now()
      ? [{ field: 'schedule.endAt', message: 'must be in the future', code: 'in_past' }]
      : []),
    ...(spec.budget.costPerSend > spec.budget.total
      ? [
          {
            field: 'budget.costPerSend',
            message: 'must not exceed budget.total: the budget would not pay for one send',
            code: 'over_budget',
          },
        ]
      : []),
  ];
  if (fields.length) throw unprocessable('the campaign could not run', fields);
}

const campaignListItem = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  name: z.string(),
  ownerId: z.uuid(),
  stage: z.enum(CAMPAIGN_STAGES),
  currency: z.string(),
  budgetTotal: z.number(),
  costPerSend: z.number(),
  startAt: z.string(),
  endAt: z.string(),
  abTest: z.boolean(),
  pauseReason: z.string().nullable(),
  launchedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const countsOut = z.object({
  audience: z.number(),
  sent: z.number(),
  pending: z.number(),
  deferred: z.number(),
  skipped: z.record(z.string(), z.number()).describe('by reason: unsubscribed, no_consent, frequency_cap, quiet_hours, rejected'),
  failed: z.number(),
  everDeferred: z.number().describe('deferred by quiet hours at least once'),
  spend: z.number(),
});
const variantOut = z.object({
  name: z.string(),
  sent: z.number(),
  conversions: z.number(),
  clicks: z.number(),
  rate: z.number().describe('the winning metric per email sent (0 when nothing was sent)'),
});
const stageChangeOut = z.object({
  at: z.string(),
  from: z.enum(CAMPAIGN_STAGES).nullable(),
  to: z.enum(CAMPAIGN_STAGES),
  actorId: z.string().nullable(),
  reason: z.string().optional(),
});
const campaignOut = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  ownerId: z.uuid(),
  stage: z.enum(CAMPAIGN_STAGES),
  revision: z.number().nullable(),
  spec: specOut.nullable().describe('the campaign as created or last edited (null from the archive)'),
  edits: z
    .array(z.object({ version: z.number(), operatorId: z.string(), at: z.string() }))
    .describe('who made each revision after the first; whoever made the revision under approval may not approve it'),
  requiredRoles: z.array(z.string()),
  approvalReason: z.string().nullable(),
  approvals: z.array(z.object({ role: z.string(), operatorId: z.string(), at: z.string(), comment: z.string().nullable() })),
  rejection: z.object({ operatorId: z.string(), comment: z.string().nullable(), at: z.string() }).nullable(),
  pause: z.object({ reason: z.string(), detail: z.string().nullable(), at: z.string() }).nullable(),
  launchedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  counts: countsOut.nullable(),
  abTest: z
    .object({
      testRecipients: z.number(),
      testEndsAt: z.string().nullable(),
      results: z.array(variantOut),
      choice: z.object({ winner: z.string(), runnerUp: z.string().nullable(), margin: z.number(), lift: z.number().nullable() }).nullable(),
    })
    .nullable(),
  history: z.array(stageChangeOut),
  source: z.enum(['workflow', 'read_model']),
  people: z
    .record(z.string(), z.string())
    .describe('id -> name of every operator this answer names (owner, approvers, editors, history actors)'),
});
type CampaignOut = z.infer<typeof campaignOut>;
/**
 * The retrospective as the workflow stored it when the campaign ended (domain/campaign.ts CampaignReport); the
 * campaigns test parses a real one with it, so a field added or changed on either side fails there.
 */
export const reportOut = z.object({
  campaignId: z.string(),
  name: z.string(),
  ownerId: z.string(),
  finalStage: z.enum(CAMPAIGN_STAGES),
  launchedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  generatedAt: z.string(),
  goals: z.array(
    z.object({
      metric: z.enum(GOAL_METRICS),
      target: z.number(),
      deadline: z.string(),
      actual: z.number().describe('from the attributed events up to the deadline'),
      achieved: z.boolean(),
      progress: z.number().describe('actual / target (1: met exactly)'),
    }),
  ),
  sends: z.object({
    audience: z.number(),
    sent: z.number(),
    skipped: z
      .record(z.string(), z.number())
      .describe('by reason: frequency cap, quiet hours still deferred at the end, unsubscribed, no consent'),
    deferredForQuietHours: z.number().describe('recipients deferred by quiet hours at least once (most were sent later)'),
    failed: z.number(),
    notSent: z.number().describe('not attempted: the campaign ended, was cancelled or ran out of budget first'),
  }),
  attribution: z
    .object({
      conversions: z.number().describe('customers with a purchase'),
      purchases: z.number(),
      gmv: z.number(),
      uv: z.number().describe('customers with any event'),
      newUsers: z.number().describe("customers whose signup carries the campaign's id"),
      clicks: z.number().describe('customers with a click'),
      conversionRate: z.number().nullable().describe('conversions per email sent (null: nothing was sent)'),
    })
    .describe("what customer events carrying the campaign's id add up to"),
  money: z.object({
    currency: z.string(),
    budget: z.number(),
    spend: z.number(),
    costPerSend: z.number(),
    gmv: z.number(),
    roi: z.number().nullable().describe('(gmv - spend) / spend (null: nothing spent)'),
  }),
  abTest: z
    .object({
      winningMetric: z.enum(WINNING_METRICS),
      variants: z.array(variantOut),
      winner: z.string().nullable(),
      runnerUp: z.string().nullable(),
      margin: z.number().nullable(),
      lift: z.number().nullable(),
    })
    .nullable(),
  timeline: z.array(stageChangeOut),
});

type CampaignCore = Omit<CampaignOut, 'people'>;

const toListItem = (c: Campaign): z.infer<typeof campaignListItem> => ({
  id: c.id,
  workflowId: c.workflowId,
  name: c.name,
  ownerId: c.ownerId,
  stage: c.stage,
  currency: c.currency,
  budgetTotal: Number(c.budgetTotal),
  costPerSend: Number(c.costPerSend),
  startAt: iso(c.startAt)!,
  endAt: iso(c.endAt)!,
  abTest: c.abTest,
  pauseReason: c.pauseReason ?? null,
  launchedAt: iso(c.launchedAt),
  endedAt: iso(c.endedAt),
  createdAt: iso(c.createdAt)!,
  updatedAt: iso(c.updatedAt)!,
});

export function campaignsRouter({ orm, temporal, taskQueue, log, deadline, publicUrl }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'campaigns';
  function requireOwner(row: Campaign, actor: Actor): void {
    if (row.ownerId !== actor.id && !actor.roles.includes('admin'))
      throw forbidden('only the creator or an admin may change this campaign');
  }
  /** id -> name of the operators named: people are shown by name, not by id. */
  const names = (ids: (string | null | undefined)[]) => operatorNames(orm, ids);
  async function named(out: CampaignCore): Promise<CampaignOut> {
    return {
      ...out,
      people: await names([
        out.ownerId,
        out.rejection?.operatorId,
        ...out.approvals.map((a) => a.operatorId),
        ...out.edits.map((e) => e.operatorId),
        ...out.history.map((h) => h.actorId),
      ]),
    };
  }
  /** The workflow's state, with the send ledger's live counts while sends are under way. */
  async function present(row: Campaign, s: CampaignState): Promise<CampaignOut> {
    const counts = s.launchedAt && !isClosed(s.stage) ? await ledgerCounts(orm, row.id) : s.counts;
    return named({
      id: row.id,
      workflowId: row.workflowId,
      ownerId: s.ownerId,
      stage: s.stage,
      revision: s.revision,
      spec: s.spec,
      edits: s.edits ?? [],
      requiredRoles: s.requiredRoles,
      approvalReason: s.approvalReason,
      approvals: s.approvals,
      rejection: s.rejection,
      pause: s.pause,
      launchedAt: s.launchedAt,
      endedAt: s.endedAt,
      counts,
      abTest: s.ab,
      history: s.history,
      source: 'workflow',
    });
  }
  async function fromReadModel(row: Campaign): Promise<CampaignOut> {
    return named({
      id: row.id,
      workflowId: row.workflowId,
      ownerId: row.ownerId,
      stage: row.stage,
      revision: null,
      spec: null,
      edits: [],
      requiredRoles: [],
      approvalReason: null,
      approvals: [],
      rejection: null,
      pause: null,
      launchedAt: iso(row.launchedAt),
      endedAt: iso(row.endedAt),
      counts: row.launchedAt ? await ledgerCounts(orm, row.id) : null,
      abTest: null,
      history: [],
      source: 'read_model',
    });
  }
  const campaigns = workflowResource<Campaign, CampaignState, CampaignOut>(
    { orm, temporal, deadline },
    {
      entity: Campaign,
      what: 'campaign',
      state: getCampaign,
      present,
      archived: fromReadModel,
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/campaigns',
      tag,
      access: MANAGERS,
      summary: 'Create a campaign; its budget approval starts at once (or when a draft is submitted). The caller owns it.',
      body: z
        .object({ ...specFields, draft: z.boolean().default(false).describe('keep it a draft until POST /campaigns/:id/submit') })
        .strict()
        .refine((s) => (s.message ? 1 : 0) + (s.abTest ? 1 : 0) === 1, {
          message: 'give a message, or an abTest with variants (not both)',
          path: ['message'],
          params: { code: 'message_or_ab' },
        }),
      status: 202,
      response: z.object({
        id: z.uuid(),
        workflowId: z.string(),
        audienceNow: z.number().describe('customers matching the audience today; it is frozen at launch'),
      }),
      errors: [400, 401, 403, 422, 503, 504],
    },
    async ({ body, actor }) => {
      const { draft, ...rest } = body;
      const spec = toSpec(rest);
      checkSpec(spec);
      const audienceNow = await countAudience(orm, spec.audience);
      const id = randomUUID();
      const workflowId = campaignWorkflowId(id);
      const input: CampaignInput = { campaignId: id, ownerId: actor.id, spec, ...(draft ? { draft } : {}) };
      await deadline(() => temporal.workflow.start<typeof campaign>('campaign', { workflowId, taskQueue, args: [input] }));
      // The list shows it at once; the workflow's own writes carry higher versions (and audit the creation).
      await saveCampaignRow(orm, {
        id,
        workflowId,
        name: spec.name,
        ownerId: actor.id,
        stage: draft ? 'draft' : 'pending_approval',
        spec,
        pauseReason: null,
        launchedAt: null,
        endedAt: null,
        version: 0,
      }).catch((err: unknown) => log.warn({ err, campaignId: id }, 'campaign list row not written; the workflow will write it'));
      return { id, workflowId, audienceNow };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/campaigns/audience-count',
      tag,
      access: READERS,
      summary: 'How many customers an audience matches now (the count POST /campaigns answers as audienceNow)',
      body: z.object({ audience }).strict(),
      response: z.object({ count: z.number() }),
      errors: [400, 401, 403],
    },
    async ({ body }) => ({ count: await countAudience(orm, body.audience) }),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/campaigns/preview',
      tag,
      access: READERS,
      summary: 'A campaign message rendered as the sender renders it, for one customer: the one named, or the first of the audience',
      body: z
        .object({
          message,
          audience: audience.optional(),
          customerId: z
            .uuid()
            .optional()
            .describe('render for this customer (default: the first customer of the audience, one with a name if any)'),
        })
        .strict(),
      response: z.object({
        customer: z
          .object({ id: z.uuid(), externalId: z.string(), name: z.string().nullable(), email: z.string() })
          .nullable()
          .describe('null when no customer matches: the fields take their fallbacks'),
        subject: z.string(),
        text: z.string(),
        html: z.string(),
      }),
      errors: [400, 401, 403, 404],
    },
    async ({ body }) => {
      let row: PreviewCustomer | undefined;
      if (body.customerId) {
        row = await previewCustomerById(orm, body.customerId);
        if (!row) throw notFound('customer');
      } else if (body.audience) {
        row = await firstOfAudience(orm, body.audience);
      }
      // The campaign message template's live version in the customer's locale: what a campaign approved now sends.
      const policy = await readMessagingPolicy(orm);
      const version = await liveTemplate(orm, 'campaign', row?.locale ?? null, policy.defaultLocale);
      if (!version) throw notFound('the campaign message template');
      // The footer's link shows its shape only: a customer's unsubscribe token is theirs alone.
      const mail = composeMessage('campaign', version, {
        customer: {
          name: row?.name ?? null,
          email: row?.email ?? '',
          externalId: row?.external_id ?? '',
          stage: row?.stage ?? null,
          segment: row?.segment ?? null,
          locale: row?.locale ?? null,
          timezone: row?.timezone ?? 'UTC',
        },
        platform: policy.platform,
        unsubscribeUrl: `${publicUrl}/unsubscribe/preview`,
        values: body.message,
      });
      return {
        customer: row ? { id: row.id, externalId: row.external_id, name: row.name, email: row.email } : null,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/campaigns',
      tag,
      summary: 'List campaigns (read model), newest first',
      access: READERS,
      query: z
        .object({
          stage: z.enum(CAMPAIGN_STAGES).optional(),
          owner: z.union([z.literal('me'), z.uuid()]).optional(),
          q: z.string().trim().min(1).max(200).optional().describe('part of the name, any case'),
          startsAfter: instant.optional(),
          startsBefore: instant.optional(),
          ...pageQuery,
        })
        .strict(),
      response: z.object({
        items: z.array(campaignListItem),
        total: z.number(),
        people: z.record(z.string(), z.string()).describe('id -> name of the owners on this page'),
      }),
    },
    async ({ query, actor }) => {
      const where = {
        ...(query.stage ? { stage: query.stage } : {}),
        ...(query.owner ? { ownerId: query.owner === 'me' ? actor.id : query.owner } : {}),
        ...(query.q ? { name: { $ilike: containsPattern(query.q) } } : {}),
        ...(query.startsAfter || query.startsBefore
          ? {
              startAt: {
                ...(query.startsAfter ? { $gte: new Date(query.startsAfter) } : {}),
                ...(query.startsBefore ? { $lt: new Date(query.startsBefore) } : {}),
              },
            }
          : {}),
      };
      const [items, total] = await orm.em.findAndCount(Campaign, where, {
        orderBy: { createdAt: 'desc', id: 'asc' },
        limit: query.limit,
        offset: query.offset,
      });
      return { items: items.map(toListItem), total, people: await names(items.map((c) => c.ownerId)) };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/campaigns/:id',
      tag,
      summary: 'Live state of one campaign from its workflow, with live send counts',
      access: READERS,
      params: idParams,
      response: campaignOut,
      errors: [401, 403, 404, 503, 504],
    },
    async ({ params }) => campaigns.read(await campaigns.find(params.id)),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/campaigns/:id/report',
      tag,
      summary: 'The retrospective, once the campaign has ended',
      access: READERS,
      params: idParams,
      response: reportOut,
      errors: [401, 403, 404, 409],
    },
    async ({ params }) => {
      const row = await campaigns.find(params.id);
      const report = await orm.em.findOne(CampaignReport, { campaignId: row.id });
      if (!report) {
        throw isClosed(row.stage) && !row.launchedAt
          ? new HttpError(404, 'not_found', `the campaign was ${row.stage} before launch; there is no retrospective`)
          : conflict(`the retrospective is written when the campaign ends; it is ${row.stage}`);
      }
      return report.report;
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/campaigns/:id/progress',
      tag,
      access: READERS,
      params: idParams,
      summary:
        'Sends over time from the send ledger, in steps of `step` seconds: emails sent, spend, and recipients skipped by the messaging policy',
      query: z
        .object({
          step: z.coerce.number().int().min(1).max(86_400).default(60).describe('seconds per point (60: per minute)'),
        })
        .strict(),
      response: z.object({
        step: z.number(),
        points: z
          .array(z.object({ at: z.string(), sent: z.number(), spend: z.number(), skipped: z.number() }))
          .describe('steps with any activity, oldest first, each stamped with its start; at most the newest 5,000'),
      }),
      errors: [401, 403, 404],
    },
    async ({ params, query }) => {
      const row = await campaigns.find(params.id);
      const points = await sendProgress(orm, row.id, query.step);
      return {
        step: query.step,
        points: points.reverse().map((p) => ({ at: iso(p.at)!, sent: p.sent, spend: cents(Number(p.spend)) / 100, skipped: p.skipped })),
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/campaigns/:id/recipients',
      tag,
      summary: 'The send ledger: who was sent, skipped (and why), deferred or not reached',
      access: READERS,
      params: idParams,
      query: z.object({ status: z.enum(RECIPIENT_STATUSES).optional(), variant: z.string().max(40).optional(), ...pageQuery }).strict(),
      response: z.object({
        items: z.array(
          z.object({
            customerId: z.uuid(),
            externalId: z.string(),
            email: z.string(),
            seq: z.number(),
            phase: z.enum(['test', 'main']),
            variant: z.string().nullable(),
            status: z.enum(RECIPIENT_STATUSES),
            reason: z.string().nullable(),
            deferredUntil: z.string().nullable(),
            cost: z.number(),
            sentAt: z.string().nullable(),
          }),
        ),
        total: z.number(),
      }),
      errors: [401, 403, 404],
    },
    async ({ params, query }) => {
      const row = await campaigns.find(params.id);
      const { rows: items, total: n } = await recipientPage(orm, row.id, query, query.limit, query.offset);
      return {
        items: items.map((r) => ({
          customerId: r.customer_id,
          externalId: r.external_id,
          email: r.email,
          seq: r.seq,
          phase: r.phase,
          variant: r.variant,
          status: r.status,
          reason: r.reason,
          deferredUntil: iso(r.deferred_until),
          cost: Number(r.cost),
          sentAt: iso(r.sent_at),
        })),
        total: n,
      };
    },
  );

  campaigns.updateRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/campaigns/:id',
      tag,
      summary:
        'Change a draft or a campaign pending approval (approvals given so far are cleared); once approved, only its schedule, until launch',
      access: MANAGERS,
      body: z
        .object(specFields)
        .partial()
        .extend({
          revision: z
            .int()
            .min(1)
            .optional()
            .describe('the revision the change is based on (GET /campaigns/:id); 409 when it has changed since'),
        })
        .strict(),
      response: campaignOut,
      errors: [400, 401, 403, 404, 409, 422, 503, 504],
    },
    async ({ row, actor, req }) => {
      requireOwner(row, actor);
      if (isClosed(row.stage)) throw conflict(`the campaign is already ${row.stage}`);
      const { revision, ...patch } = req.body as Record<string, unknown>;
      if (Object.keys(patch).length === 0)
        throw badRequest('nothing to change', [{ field: 'body', message: 'change at least one field of the campaign' }]);
      const current = await campaigns.state(row);
      // Only the fields the caller sent replace the current ones; the whole result is validated again.
      const merged: Record<string, unknown> = { ...current.spec, ...patch };
      if (patch.abTest) merged.message = null;
      if (patch.message) merged.abTest = null;
      const parsed = specIn.safeParse(merged);
      if (!parsed.success) throw badRequest('the changed campaign is invalid', zodFields(parsed.error));
      const spec = toSpec(parsed.data);
      checkSpec(spec);
      // The revision read here (or the caller's) guards against a concurrent change between the read and the update.
      const base = typeof revision === 'number' ? revision : current.revision;
      return campaigns.update(row, editCampaign, { spec, actor, revision: base });
    },
  );

  const action = (name: string, summary: string, update: typeof submitCampaign, ownerOnly: boolean) =>
    campaigns.updateRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/campaigns/:id/${name}`,
        tag,
        summary,
        access: MANAGERS,
        body: z.object({ reason: z.string().trim().min(1).max(2000).optional() }).strict(),
        response: campaignOut,
        errors: [400, 401, 403, 404, 409, 503, 504],
      },
      async ({ row, actor, body }) => {
        if (ownerOnly) requireOwner(row, actor);
        if (isClosed(row.stage)) throw conflict(`the campaign is already ${row.stage}`);
        // The workflow accepts or refuses (409) and audits with this actor.
        return campaigns.update(row, update, { actor, ...(body.reason ? { reason: body.reason } : {}) });
      },
    );
  action('submit', 'Submit a draft for budget approval', submitCampaign, true);
  action('pause', 'Pause a running campaign: no email starts after the answer, and those in flight have finished', pauseCampaign, false);
  action('resume', 'Resume a paused campaign from where its sends stopped', resumeCampaign, true);
  action('cancel', 'Cancel a campaign before it has ended (after launch it still gets a retrospective)', cancelCampaign, true);
  action('end', 'End a running or paused campaign now; its retrospective follows', endCampaign, true);

  return router;
}
