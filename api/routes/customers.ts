// Customers: batch upsert by externalId, lists and details from PostgreSQL, the live lifecycle from its workflow,
// unsubscription by staff.
import { Router } from 'express';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { Orm } from '../../db/orm.ts';
import { couponPage, customerPage, customerRowById, upsertCustomers, type CustomerRow } from '../../db/customers.ts';
import { customerLifecycleId } from '../../domain/ids.ts';
import { SEGMENTS } from '../../domain/rfm.ts';
import { getLifecycle } from '../../workflows/lifecycle.messages.ts';
import { FUNNEL_STAGES, LIFECYCLE_STAGES, type LifecycleView } from '../../domain/lifecycle.types.ts';
import type { ApiDeps } from '../app.ts';
import { notFound, unprocessable } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { liveOr } from '../resource.ts';
import { BATCH_LIMIT, idParams, locale, pageQuery } from '../schemas.ts';
import { unsubscribe } from '../unsubscribe.ts';

const READERS = ['admin', 'ops_manager', 'analyst'] as const;
const WRITERS = ['admin', 'ops_manager', 'ingest'] as const;

const timezone = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA timezone such as "Europe/Berlin", "Asia/Shanghai" or "UTC"');

const customerIn = z
  .object({
    externalId: z.string().trim().min(1).max(200).describe("the platform's own id: the upsert key"),
    email: z.email().max(320),
    name: z.string().trim().min(1).max(200).optional(),
    timezone: timezone.optional().describe('for quiet hours (default UTC on create; unchanged when omitted)'),
    locale: locale
      .nullable()
      .optional()
      .describe(
        "BCP 47 (zh-CN, en): the language of their messages; null or absent on create: the platform's default; unchanged when omitted",
      ),
    tags: z.array(z.string().trim().min(1).max(64)).max(50).optional().describe('replaces the tags when given'),
    marketingConsent: z.boolean().optional().describe('default false on create; marketing email needs it'),
  })
  .strict();

const customerBatch = z.object({ customers: z.array(customerIn).min(1).max(BATCH_LIMIT) }).strict();

const customerOut = z.object({
  id: z.uuid(),
  externalId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  timezone: z.string(),
  locale: z.string().nullable().describe("null: the platform's default"),
  tags: z.array(z.string()),
  marketingConsent: z.boolean(),
  unsubscribedAt: z.string().nullable(),
  stage: z.enum(LIFECYCLE_STAGES).nullable().describe('null until the first event'),
  stageSince: z.string().nullable(),
  lastActiveAt: z.string().nullable(),
  rfm: z.object({ recency: z.number(), frequency: z.number(), monetary: z.number() }).nullable(),
  segment: z.enum(SEGMENTS).nullable(),
  scoredAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
type CustomerOut = z.infer<typeof customerOut>;

const isoOrNull = (d: Date | null) => (d ? new Date(d).toISOString() : null);

async function customerById(orm: Orm, id: string): Promise<CustomerRow> {
  const row = await customerRowById(orm, id);
  if (!row) throw notFound('customer');
  return row;
}

const toCustomerOut = (r: CustomerRow): CustomerOut => ({
  id: r.id,
  externalId: r.external_id,
  email: r.email,
  name: r.name,
  timezone: r.timezone,
  locale: r.locale,
  tags: r.tags ?? [],
  marketingConsent: r.marketing_consent,
  unsubscribedAt: isoOrNull(r.unsubscribed_at),
  stage: r.stage,
  stageSince: isoOrNull(r.stage_since),
  lastActiveAt: isoOrNull(r.last_active_at),
  rfm: r.rfm_recency === null ? null : { recency: r.rfm_recency, frequency: r.rfm_frequency!, monetary: r.rfm_monetary! },
  segment: r.segment,
  scoredAt: isoOrNull(r.scored_at),
  createdAt: isoOrNull(r.created_at)!,
  updatedAt: isoOrNull(r.updated_at)!,
});

export function customersRouter(deps: ApiDeps, registry: RouteRegistry): Router {
  const { orm, temporal, deadline, audit } = deps;
  const router = Router();
  const tag = 'customers';

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/customers',
      tag,
      access: WRITERS,
      bodyLimit: '16mb', // batch imports: up to 10,000 customers, events or metric points
      summary: `Create or update one customer, or a batch of up to ${BATCH_LIMIT} ({customers: [...]}), by externalId`,
      body: z.union([customerBatch, customerIn]),
      response: z.object({
        created: z.number(),
        updated: z.number(),
        items: z.array(z.object({ id: z.uuid(), externalId: z.string(), created: z.boolean() })),
      }),
      errors: [400, 401, 403, 413, 422],
    },
    async ({ body, actor }) => {
      const customers = 'customers' in body ? body.customers : [body];
      const firstAt = new Map<string, number>();
      const repeated = customers.flatMap((c, i) => {
        const first = firstAt.get(c.externalId);
        if (first === undefined) firstAt.set(c.externalId, i);
        return first === undefined
          ? []
          : [{ field: `customers[${i}].externalId`, message: `repeats customers[${first}] ("${c.externalId}")` }];
      });
      if (repeated.length) throw unprocessable('an externalId appears twice in the batch', repeated.slice(0, 100));
      const rows = await upsertCustomers(orm, customers);
      const created = rows.filter((r) => r.created).length;
      await audit(actor, 'customers.upserted', 'customer', rows.length === 1 ? rows[0]!.id : 'batch', {
        created,
        updated: rows.length - created,
        externalIds: customers.slice(0, 20).map((c) => c.externalId),
      });
      return {
        created,
        updated: rows.length - created,
        items: rows,
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/customers',
      tag,
      access: READERS,
      summary: 'List customers (read model), newest first',
      query: z
        .object({
          segment: z.enum(SEGMENTS).optional(),
          stage: z.enum(LIFECYCLE_STAGES).optional(),
          tag: z.string().min(1).max(64).optional(),
          email: z.string().min(1).max(320).optional(),
          q: z.string().trim().min(1).max(200).optional().describe('text the name, email or externalId contains, in any case'),
          ...pageQuery,
        })
        .strict(),
      response: z.object({ items: z.array(customerOut), total: z.number() }),
    },
    async ({ query }) => {
      const { rows, total } = await customerPage(orm, query, query.limit, query.offset);
      return { items: rows.map(toCustomerOut), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/customers/:id',
      tag,
      access: READERS,
      summary: 'One customer (read model)',
      params: idParams,
      response: customerOut,
      errors: [401, 403, 404],
    },
    async ({ params }) => toCustomerOut(await customerById(orm, params.id)),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/customers/:id/lifecycle',
      tag,
      access: READERS,
      summary: 'Live lifecycle from the workflow: stage, since when, history, messages sent and deferred, the next step',
      params: idParams,
      response: lifecycleOut,
      errors: [401, 403, 404, 503, 504],
    },
    async ({ params, actor }) => {
      await customerById(orm, params.id);
      const query = () => temporal.workflow.getHandle(customerLifecycleId(params.id)).query(getLifecycle);
      return liveOr(
        deadline,
        query,
        (view) => {
          // A live coupon code is as good as money: read-only staff see that one exists, not the code.
          const coupon = view.winBack?.coupon;
          if (coupon && !actor.roles.some((r) => r === 'admin' || r === 'ops_manager')) {
            view.winBack!.coupon = { ...coupon, code: `${coupon.code.slice(0, 3)}…` };
          }
          return view;
        },
        () => {
          throw notFound('a lifecycle for this customer (it starts with the first event)');
        },
      );
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/customers/:id/coupons',
      tag,
      access: READERS,
      summary: "The customer's coupons (win-back and others), newest first, with when each was issued, expires and was redeemed",
      params: idParams,
      query: z.object({ ...pageQuery }).strict(),
      response: z.object({ items: z.array(couponOut), total: z.number() }),
      errors: [401, 403, 404],
    },
    async ({ params, query, actor }) => {
      await customerById(orm, params.id);
      const { rows, total } = await couponPage(orm, params.id, query.limit, query.offset);
      const seesCodes = actor.roles.some((r) => r === 'admin' || r === 'ops_manager');
      return {
        items: rows.map((r) => ({
          // As in the lifecycle: read-only staff see that a coupon exists, not its code.
          code: seesCodes ? r.code : `${r.code.slice(0, 3)}…`,
          purpose: r.purpose,
          issuedAt: isoOrNull(r.created_at)!,
          expiresAt: isoOrNull(r.expires_at),
          redeemedAt: isoOrNull(r.redeemed_at),
        })),
        total,
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/customers/:id/unsubscribe',
      tag,
      access: WRITERS,
      summary: 'Stop marketing email to this customer (transactional mail still goes)',
      params: idParams,
      response: customerOut,
      errors: [401, 403, 404],
    },
    async ({ params, actor }) => {
      const changed = await unsubscribe(deps, 'id', params.id, { actorType: 'operator', actorId: actor.id });
      if (changed === null) throw notFound('customer');
      return toCustomerOut(await customerById(orm, params.id));
    },
  );

  return router;
}

const couponOut = z.object({
  code: z.string().describe('shortened to its first characters for readers who are not admin or ops_manager'),
  purpose: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string().nullable(),
  redeemedAt: z.string().nullable(),
});

const stageChange = z.object({
  seq: z.number(),
  from: z.enum(LIFECYCLE_STAGES).nullable(),
  to: z.enum(LIFECYCLE_STAGES),
  at: z.string(),
  cause: z.string(),
});
const lifecycleOut: z.ZodType<LifecycleView> = z.object({
  customerId: z.uuid(),
  stage: z.enum(LIFECYCLE_STAGES).nullable(),
  stageSince: z.string().nullable(),
  funnel: z.enum(FUNNEL_STAGES).nullable(),
  milestones: z.record(z.string(), z.string()).describe('when each funnel stage was first reached'),
  lastActiveAt: z.string().nullable(),
  history: z.array(stageChange).describe('the latest stage changes, oldest first'),
  counters: z.object({
    events: z.number(),
    duplicates: z.number(),
    purchases: z.number(),
    gmv: z.number(),
    referrals: z.number(),
    winBacks: z.number(),
    recalls: z.number(),
    churns: z.number(),
    sent: z.number(),
    deferred: z.number(),
    skipped: z.number(),
  }),
  nurture: z.object({
    status: z.enum(['not_started', 'running', 'completed', 'goal_reached']),
    done: z.array(z.string()).describe('steps taken'),
    steps: z.number(),
    anchor: z.string().nullable(),
    endedAt: z.string().nullable(),
  }),
  winBack: z
    .object({
      round: z.number(),
      startedAt: z.string(),
      deadline: z.string(),
      coupon: z.object({ code: z.string(), expiresAt: z.string().nullable() }).nullable(),
    })
    .nullable(),
  messages: z
    .array(
      z.object({
        step: z.string(),
        template: z.string(),
        status: z.enum(['sent', 'deferred', 'skipped', 'cancelled', 'failed']),
        at: z.string(),
        reason: z.string().optional(),
        until: z.string().optional(),
      }),
    )
    .describe('the latest messages, oldest first'),
  pendingSends: z.array(
    z.object({
      step: z.string(),
      purpose: z.enum(['nurture', 'winback']),
      template: z.string(),
      category: z.enum(['marketing', 'transactional']),
      dueAt: z.string(),
      deferrals: z.number(),
    }),
  ),
  nextStep: z.object({ kind: z.string(), at: z.string() }).nullable(),
  policyVersion: z.number(),
  runs: z.number(),
}) as z.ZodType<LifecycleView>;
