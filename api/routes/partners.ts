// Partners (channels, content creators and KOLs, technology partners) with their audience figures, and their
// explainable ranking for a brief.
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Partner } from '../../db/entities/index.ts';
import { BRIEF_GOALS, PARTNER_TYPES, SCORE_FACTORS, scorePartners } from '../../domain/partner.ts';
import type { ApiDeps } from '../app.ts';
import { notFound } from '../errors.ts';
import { defineRoute, mergePatch, type RouteRegistry } from '../http.ts';
import { idParams, locale, pageQuery } from '../schemas.ts';
import { containsPattern } from '../../db/sql.ts';

const MANAGERS = ['admin', 'ops_manager'] as const;
const READERS = ['admin', 'ops_manager', 'legal', 'analyst'] as const;

const fraction = z.number().min(0).max(1);
const figures = z
  .object({
    followers: z.int().min(0).max(10_000_000_000),
    engagementRate: fraction.describe('0.034 = 3.4%'),
    audienceMatch: fraction.describe('share of the audience that matches our target, 0 to 1'),
    pastConversionRate: fraction,
    price: z.number().min(0).max(1e12).describe('price of one engagement'),
  })
  .strict();
const fields = {
  name: z.string().trim().min(1).max(200),
  type: z.enum(PARTNER_TYPES),
  contactEmail: z.email().max(320),
  locale: locale.nullable().default(null).describe("the language of the emails they get (zh-CN, en); null: the platform's default"),
  figures,
  notes: z.string().trim().max(5000).nullable().default(null),
};
const partnerIn = z.object(fields).strict();

const partnerOut = z.object({
  id: z.uuid(),
  name: z.string(),
  type: z.enum(PARTNER_TYPES),
  contactEmail: z.string(),
  locale: z.string().nullable(),
  figures: z.record(z.string(), z.number()),
  notes: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
});
type PartnerOut = z.infer<typeof partnerOut>;
const toOut = (p: Partner): PartnerOut => ({
  id: p.id,
  name: p.name,
  type: p.type,
  contactEmail: p.contactEmail,
  locale: p.locale ?? null,
  figures: { ...p.figures },
  notes: p.notes ?? null,
  createdBy: p.createdBy,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
  version: p.version,
});

export function partnersRouter({ orm, audit }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'partners';

  async function find(id: string): Promise<Partner> {
    const partner = await orm.em.findOne(Partner, { id });
    if (!partner) throw notFound('partner');
    return partner;
  }

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/partners',
      tag,
      access: MANAGERS,
      summary: 'Add a partner with its audience figures',
      body: partnerIn,
      status: 201,
      response: partnerOut,
      errors: [400, 401, 403],
    },
    async ({ body, actor }) => {
      const partner = orm.em.create(Partner, { id: randomUUID(), ...body, createdBy: actor.id, version: 1 });
      await orm.em.flush();
      await audit(actor, 'partner.created', 'partner', partner.id, { name: partner.name, type: partner.type });
      return toOut(partner);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/partners',
      tag,
      access: READERS,
      summary: 'List partners, by name',
      query: z.object({ type: z.enum(PARTNER_TYPES).optional(), q: z.string().trim().min(1).max(200).optional(), ...pageQuery }).strict(),
      response: z.object({ items: z.array(partnerOut), total: z.number() }),
    },
    async ({ query }) => {
      const where = {
        ...(query.type ? { type: query.type } : {}),
        ...(query.q ? { name: { $ilike: containsPattern(query.q) } } : {}),
      };
      const [items, total] = await orm.em.findAndCount(Partner, where, {
        orderBy: { name: 'asc', id: 'asc' },
        limit: query.limit,
        offset: query.offset,
      });
      return { items: items.map(toOut), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/partners/:id',
      tag,
      access: READERS,
      summary: 'One partner',
      params: idParams,
      response: partnerOut,
      errors: [401, 403, 404],
    },
    async ({ params }) => toOut(await find(params.id)),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/partners/:id',
      tag,
      access: MANAGERS,
      summary: 'Change a partner (the figures are replaced whole)',
      params: idParams,
      body: z.object(fields).partial().strict(),
      response: partnerOut,
      errors: [400, 401, 403, 404],
    },
    async ({ params, actor, req }) => {
      const partner = await find(params.id);
      const sent = req.body as Record<string, unknown>;
      const { name, type, contactEmail, locale: language, figures: current, notes } = toOut(partner);
      const changed = mergePatch(partnerIn, { name, type, contactEmail, locale: language, figures: current, notes }, sent, 'partner');
      orm.em.assign(partner, { ...changed, version: partner.version + 1, updatedAt: new Date() });
      await orm.em.flush();
      await audit(actor, 'partner.updated', 'partner', partner.id, { changed: Object.keys(sent) });
      return toOut(partner);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/partners/score',
      tag,
      access: READERS,
      summary: "Rank partners for a brief: each factor's value, normalized score, weight and contribution",
      body: z
        .object({
          brief: z
            .object({
              budget: z.number().positive().max(1e12),
              goal: z.enum(BRIEF_GOALS),
              targetAudience: z
                .string()
                .trim()
                .max(500)
                .optional()
                .describe("for the record; the partners' audienceMatch figures measure it"),
              types: z.array(z.enum(PARTNER_TYPES)).max(4).optional(),
              weights: z
                .partialRecord(z.enum(SCORE_FACTORS), z.number().min(0).max(100))
                .optional()
                .describe("replace the goal's weights for the factors named"),
            })
            .strict(),
          limit: z.int().min(1).max(500).default(20),
        })
        .strict(),
      response: z.object({
        brief: z.record(z.string(), z.unknown()),
        ranking: z.array(
          z.object({
            partnerId: z.string(),
            name: z.string(),
            type: z.enum(PARTNER_TYPES),
            score: z.number(),
            withinBudget: z.boolean(),
            factors: z.array(
              z.object({
                factor: z.enum(SCORE_FACTORS),
                value: z.number(),
                normalized: z.number(),
                weight: z.number(),
                contribution: z.number(),
                explanation: z.string(),
              }),
            ),
          }),
        ),
      }),
      errors: [400, 401, 403],
    },
    async ({ body }) => {
      const partners = await orm.em.find(Partner, body.brief.types?.length ? { type: { $in: body.brief.types } } : {}, { limit: 10_000 });
      const ranking = scorePartners(
        partners.map((p) => ({ id: p.id, name: p.name, type: p.type, figures: p.figures })),
        body.brief,
      );
      return { brief: body.brief, ranking: ranking.slice(0, body.limit) };
    },
  );

  return router;
}
