// Partner contracts: created with their terms, amended while in draft or approval, signed by the internal signer and
// then by the partner (with the token from their one-time link), terminated; lists and payouts from PostgreSQL, one
// contract's live state from its workflow.
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { saveContractRow } from '../../db/contracts.ts';
import { operatorNames } from '../../db/operators.ts';
import { Contract, ContractPayout, Operator, Partner } from '../../db/entities/index.ts';
import { checkSignLink, type SignLinkProblem } from '../../db/sign-links.ts';
import {
  amendContract,
  getContract,
  partnerSignContract,
  signContract,
  submitContract,
  terminateContract,
} from '../../workflows/contract.messages.ts';
import {
  CADENCES,
  CONTRACT_STAGES,
  contractValue,
  DEFAULT_RENEWAL_NOTICE,
  PERFORMANCE_METRICS,
  tierProblems,
  TIER_MODES,
  type ContractState,
  type ContractTerms,
} from '../../domain/contract.ts';
import type { contract, ContractInput } from '../../workflows/contract.ts';
import { contractWorkflowId } from '../../domain/ids.ts';
import type { Actor } from '../../domain/actors.ts';
import type { ApiDeps } from '../app.ts';
import { hashToken } from '../tokens.ts';
import { badRequest, forbidden, HttpError, unauthorized, unprocessable, type FieldError } from '../errors.ts';
import { defineRoute, iso, mergePatch, type RouteRegistry } from '../http.ts';
import { idParams, instant, pageQuery } from '../schemas.ts';
import { workflowResource } from '../resource.ts';

const MANAGERS = ['admin', 'ops_manager'] as const;
const READERS = ['admin', 'ops_manager', 'legal', 'analyst'] as const;
const DAY = 86_400_000;

const money = z.number().min(0, 'must not be negative').max(1e12);
const termsIn = z
  .object({
    scope: z.string().trim().min(1).max(5000),
    deliverables: z.array(z.string().trim().min(1).max(1000)).max(100).default([]),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD'),
    fee: money.describe('fixed fee per evaluation period (pro rata for a part period)'),
    revenueShare: z
      .object({
        mode: z
          .enum(TIER_MODES)
          .describe('whole: the tier reached pays on the whole GMV; marginal: each tier pays only the part inside it'),
        tiers: z
          .array(z.object({ from: money, to: money.nullable(), rate: z.number().min(0).max(100).describe('percent') }).strict())
          .max(20),
        cap: money.nullable().default(null).describe('most the revenue share pays per period'),
      })
      .strict(),
    milestones: z
      .array(z.object({ name: z.string().trim().min(1).max(200), due: instant, amount: money }).strict())
      .max(50)
      .default([]),
    start: instant,
    end: instant,
    cadence: z.enum(CADENCES).default('monthly'),
    targets: z.partialRecord(z.enum(PERFORMANCE_METRICS), z.number().positive()).default({}).describe('per period'),
    renewalNotice: z
      .array(z.int().min(1).max(365))
      .max(10)
      .default(DEFAULT_RENEWAL_NOTICE)
      .describe('days before the end the owner is reminded'),
  })
  .strict();
type TermsIn = z.infer<typeof termsIn>;

/** What the schema cannot say alone: the end after the start, tiers in order without overlaps, milestones inside. */
function termProblems(t: TermsIn, prefix = 'terms'): FieldError[] {
  const out: FieldError[] = [];
  if (Date.parse(t.end) <= Date.parse(t.start)) out.push({ field: `${prefix}.end`, message: 'must be after start' });
  else if (Date.parse(t.end) - Date.parse(t.start) > 10 * 366 * DAY)
    out.push({ field: `${prefix}.end`, message: 'a term is at most ten years' });
  for (const [i, message] of tierProblems(t.revenueShare.tiers)) out.push({ field: `${prefix}.revenueShare.tiers[${i}]`, message });
  if (t.revenueShare.tiers.length === 0 && t.revenueShare.cap !== null)
    out.push({ field: `${prefix}.revenueShare.cap`, message: 'a cap needs tiers to cap' });
  t.milestones.forEach((m, i) => {
    if (Date.parse(m.due) < Date.parse(t.start) || Date.parse(m.due) >= Date.parse(t.end)) {
      out.push({ field: `${prefix}.milestones[${i}].due`, message: 'must fall within the term' });
    }
  });
  return out;
}

/** The terms as stored (what was accepted, with its defaults filled in). */
const termsOut = z.object({
  scope: z.string(),
  deliverables: z.array(z.string()),
  currency: z.string(),
  fee: z.number(),
  revenueShare: z.object({
    mode: z.enum(TIER_MODES),
    tiers: z.array(z.object({ from: z.number(), to: z.number().nullable(), rate: z.number() })),
    cap: z.number().nullable(),
  }),
  milestones: z.array(z.object({ name: z.string(), due: z.string(), amount: z.number() })),
  start: z.string(),
  end: z.string(),
  cadence: z.enum(CADENCES),
  targets: z.partialRecord(z.enum(PERFORMANCE_METRICS), z.number()),
  renewalNotice: z.array(z.number()),
});
const partnerSignatureOut = z
  .object({
    at: z.string(),
    name: z.string().nullable().describe('the name the partner typed (null for signatures given before names were asked)'),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .describe("the partner's signature and its evidence");
const signaturesOut = z.object({
  internal: z.object({ operatorId: z.string(), at: z.string() }).nullable(),
  partner: partnerSignatureOut.nullable(),
  link: z.object({ round: z.number(), sentAt: z.string(), expiresAt: z.string() }).nullable().describe('the last link sent to the partner'),
  expiresAt: z.string().nullable().describe('unsigned by both by then, the contract expires'),
});
type SignaturesOut = z.infer<typeof signaturesOut>;
const signaturesOf = (s: ContractState['signatures']): SignaturesOut => ({
  internal: s.internal,
  link: s.link,
  expiresAt: s.expiresAt,
  partner: s.partner && {
    at: s.partner.at,
    name: s.partner.name ?? null,
    ip: s.partner.ip ?? null,
    userAgent: s.partner.userAgent ?? null,
  },
});

/** What the partner's signing page shows: the terms and the deadline, nothing of our internal process. */
const signingOut = z.object({
  id: z.uuid(),
  partnerName: z.string(),
  stage: z.enum(CONTRACT_STAGES),
  term: z.number(),
  termsVersion: z.number(),
  terms: termsOut,
  value: z.number(),
  status: z
    .enum(['open', 'signed', 'closed'])
    .describe('open: the partner may sign; signed: this link was used; closed: the contract can no longer be signed'),
  signBy: z.string().describe('this link works until then'),
  signature: z.object({ name: z.string().nullable(), at: z.string() }).nullable(),
});
const terminating = (s: ContractState) => s.termination !== null;
const SIGN_LINK_REFUSALS: Record<SignLinkProblem, [code: string, message: string]> = {
  not_valid: ['sign_link_not_valid', 'this signing link is not valid (a newer one may have been sent)'],
  replaced: ['sign_link_replaced', 'this signing link was replaced by a newer one; use the link in the latest email'],
  expired: ['sign_link_expired', 'this signing link has expired; a new one is sent with the next reminder'],
};

const payoutOut = z.object({
  term: z.number(),
  periodIndex: z.number(),
  periodFrom: z.string(),
  periodTo: z.string(),
  fraction: z.number(),
  currency: z.string(),
  fee: z.number(),
  share: z.number(),
  milestones: z.number(),
  total: z.number(),
  tier: z.number().nullable(),
  capped: z.boolean(),
  evaluation: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
const contractOut = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  partnerId: z.string(),
  partnerName: z.string().nullable(),
  ownerId: z.string(),
  signerId: z.string().nullable(),
  stage: z.enum(CONTRACT_STAGES),
  term: z.number(),
  termsVersion: z.number(),
  terms: termsOut,
  value: z.number(),
  edits: z
    .array(z.object({ version: z.number(), operatorId: z.string(), at: z.string() }))
    .describe('who amended each terms version; whoever made the version under approval may not approve it'),
  requiredRoles: z.array(z.string()),
  approvalReason: z.string().nullable(),
  approvals: z.array(z.object({ role: z.string(), operatorId: z.string(), at: z.string(), comment: z.string().nullable() })),
  rejection: z.object({ operatorId: z.string(), comment: z.string().nullable(), at: z.string() }).nullable(),
  signatures: signaturesOut.nullable(),
  activatedAt: z.string().nullable(),
  trackingCode: z.string().nullable(),
  evaluations: z.array(z.record(z.string(), z.unknown())),
  renewal: z.record(z.string(), z.unknown()).nullable(),
  termination: z.record(z.string(), z.unknown()).nullable(),
  nextDates: z.record(z.string(), z.string().nullable()).nullable(),
  history: z.array(
    z.object({
      at: z.string(),
      from: z.string().nullable(),
      to: z.string(),
      actorId: z.string().nullable(),
      reason: z.string().optional(),
    }),
  ),
  source: z.enum(['workflow', 'read_model']),
  people: z
    .record(z.string(), z.string())
    .describe('id -> name of every operator this answer names (owner, signer, approvers, editors, history actors)'),
});
type ContractOut = z.infer<typeof contractOut>;
type ContractCore = Omit<ContractOut, 'people'>;
const listItem = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  partnerId: z.string(),
  partnerName: z.string().nullable(),
  ownerId: z.string(),
  stage: z.enum(CONTRACT_STAGES),
  term: z.number(),
  termsVersion: z.number(),
  value: z.number(),
  currency: z.string(),
  startAt: z.string(),
  endAt: z.string(),
  activatedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const toListItem = (c: Contract, partnerName: string | null): z.infer<typeof listItem> => ({
  id: c.id,
  workflowId: c.workflowId,
  partnerId: c.partnerId,
  partnerName,
  ownerId: c.ownerId,
  stage: c.stage as ContractOut['stage'],
  term: c.term,
  termsVersion: c.termsVersion,
  value: Number(c.value),
  currency: c.currency,
  startAt: iso(c.startAt)!,
  endAt: iso(c.endAt)!,
  activatedAt: iso(c.activatedAt),
  endedAt: iso(c.endedAt),
  createdAt: iso(c.createdAt)!,
  updatedAt: iso(c.updatedAt)!,
});
const fromWorkflow = (row: Contract, s: ContractState): ContractCore => ({
  id: row.id,
  workflowId: row.workflowId,
  partnerId: s.partnerId,
  partnerName: s.partnerName,
  ownerId: s.ownerId,
  signerId: s.signerId,
  stage: s.stage,
  term: s.term,
  termsVersion: s.termsVersion,
  terms: s.terms,
  value: s.value,
  edits: s.edits ?? [],
  requiredRoles: s.requiredRoles,
  approvalReason: s.approvalReason,
  approvals: s.approvals,
  rejection: s.rejection,
  signatures: signaturesOf(s.signatures),
  activatedAt: s.activatedAt,
  trackingCode: s.trackingCode,
  evaluations: s.evaluations as unknown as Record<string, unknown>[],
  renewal: s.renewal as unknown as Record<string, unknown>,
  termination: s.termination,
  nextDates: s.nextDates,
  history: s.history,
  source: 'workflow',
});
const fromReadModel = (r: Contract): ContractCore => ({
  id: r.id,
  workflowId: r.workflowId,
  partnerId: r.partnerId,
  partnerName: null,
  ownerId: r.ownerId,
  signerId: null,
  stage: r.stage as ContractOut['stage'],
  term: r.term,
  termsVersion: r.termsVersion,
  terms: r.terms,
  value: Number(r.value),
  edits: [],
  requiredRoles: [],
  approvalReason: null,
  approvals: [],
  rejection: null,
  signatures: null,
  activatedAt: iso(r.activatedAt),
  trackingCode: null,
  evaluations: [],
  renewal: null,
  termination: null,
  nextDates: null,
  history: [],
  source: 'read_model',
});

export function contractsRouter({ orm, audit, temporal, taskQueue, deadline }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const tag = 'contracts';
  /** The answer with the names of the operators it names: the people on a contract are shown by name, not by id. */
  const named = async (out: ContractCore): Promise<ContractOut> => ({
    ...out,
    people: await operatorNames(orm, [
      out.ownerId,
      out.signerId,
      out.rejection?.operatorId,
      out.signatures?.internal?.operatorId,
      ...out.approvals.map((a) => a.operatorId),
      ...out.edits.map((e) => e.operatorId),
      ...out.history.map((h) => h.actorId),
    ]),
  });

  const contracts = workflowResource<Contract, ContractState, ContractOut>(
    { orm, temporal, deadline },
    {
      entity: Contract,
      what: 'contract',
      state: getContract,
      present: (row, s) => named(fromWorkflow(row, s)),
      archived: (row) => named(fromReadModel(row)),
    },
  );
  /** Only the owner (or an admin) changes a contract; the workflow checks again. */
  function requireOwner(row: Contract, actor: Actor): void {
    if (row.ownerId !== actor.id && !actor.roles.includes('admin')) throw forbidden("only the contract's owner or an admin may change it");
  }
  /** A forged, replaced or expired token never reaches the workflow's history; the code tells the signing page which. */
  async function checkSignToken(contractId: string, tokenHash: string): Promise<void> {
    const check = await checkSignLink(orm, contractId, tokenHash);
    if (check.problem) throw new HttpError(403, ...SIGN_LINK_REFUSALS[check.problem]);
  }
  const checkTerms = (t: TermsIn, prefix?: string) => {
    const problems = termProblems(t, prefix);
    if (problems.length) throw badRequest('the terms are invalid', problems);
    return t as ContractTerms;
  };

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/contracts',
      tag,
      access: MANAGERS,
      summary: 'Create a contract with a partner; its approvals start at once (or when a draft is submitted). The caller owns it.',
      body: z
        .object({
          partnerId: z.uuid(),
          signerId: z.uuid().optional().describe('the operator who signs for us (ops_manager or admin); default: the caller'),
          terms: termsIn,
          draft: z.boolean().default(false),
        })
        .strict(),
      status: 202,
      response: z.object({ id: z.uuid(), workflowId: z.string(), value: z.number() }),
      errors: [400, 401, 403, 422, 503, 504],
    },
    async ({ body, actor }) => {
      const terms = checkTerms(body.terms);
      const partner = await orm.em.findOne(Partner, { id: body.partnerId });
      const signer = body.signerId ? await orm.em.findOne(Operator, { id: body.signerId }) : null;
      const problems: FieldError[] = [];
      if (!partner) problems.push({ field: 'partnerId', message: `no partner with id ${body.partnerId}` });
      if (body.signerId && (!signer || signer.disabled || !signer.roles.some((r) => r === 'admin' || r === 'ops_manager'))) {
        problems.push({ field: 'signerId', message: 'must be an active operator with the ops_manager or admin role' });
      }
      if (problems.length) throw unprocessable('the contract cannot be made', problems);
      const id = randomUUID();
      const workflowId = contractWorkflowId(id);
      const input: ContractInput = {
        contractId: id,
        partner: { id: partner!.id, name: partner!.name, email: partner!.contactEmail },
        ownerId: actor.id,
        signerId: signer?.id ?? actor.id,
        terms,
        ...(body.draft ? { draft: true } : {}),
      };
      await deadline(() => temporal.workflow.start<typeof contract>('contract', { workflowId, taskQueue, args: [input] }));
      const value = contractValue(terms);
      await saveContractRow(orm, {
        id,
        workflowId,
        partnerId: partner!.id,
        ownerId: actor.id,
        stage: body.draft ? 'draft' : 'in_approval',
        termsVersion: 1,
        term: 1,
        terms,
        value,
        activatedAt: null,
        endedAt: null,
        version: 0,
      });
      await audit(actor, 'contract.requested', 'contract', id, { partnerId: partner!.id, value, currency: terms.currency }, workflowId);
      return { id, workflowId, value };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/contracts',
      tag,
      access: READERS,
      summary: 'List contracts (read model), newest first',
      query: z
        .object({
          stage: z.enum(CONTRACT_STAGES).optional(),
          partnerId: z.uuid().optional(),
          owner: z.union([z.literal('me'), z.uuid()]).optional(),
          ...pageQuery,
        })
        .strict(),
      response: z.object({ items: z.array(listItem), total: z.number() }),
    },
    async ({ query, actor }) => {
      const where = {
        ...(query.stage ? { stage: query.stage } : {}),
        ...(query.partnerId ? { partnerId: query.partnerId } : {}),
        ...(query.owner ? { ownerId: query.owner === 'me' ? actor.id : query.owner } : {}),
      };
      const [items, total] = await orm.em.findAndCount(Contract, where, {
        orderBy: { createdAt: 'desc', id: 'asc' },
        limit: query.limit,
        offset: query.offset,
      });
      // The page's partners' names in one query, so a list reads without a lookup per row.
      const ids = [...new Set(items.map((c) => c.partnerId))];
      const partners = ids.length ? await orm.em.find(Partner, { id: { $in: ids } }, { fields: ['id', 'name'] }) : [];
      const names = new Map(partners.map((p) => [p.id, p.name]));
      return { items: items.map((c) => toListItem(c, names.get(c.partnerId) ?? null)), total };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/contracts/:id',
      tag,
      access: READERS,
      summary: 'Live state: stage, terms version, approvals, signatures, evaluations, payouts, next dates',
      params: idParams,
      response: contractOut,
      errors: [401, 403, 404, 503, 504],
    },
    async ({ params }) => contracts.read(await contracts.find(params.id)),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/contracts/:id/payouts',
      tag,
      access: READERS,
      summary: 'The payouts ledger of a contract, period by period',
      params: idParams,
      response: z.object({ items: z.array(payoutOut), total: z.number() }),
      errors: [401, 403, 404],
    },
    async ({ params }) => {
      const row = await contracts.find(params.id);
      const payouts = await orm.em.find(ContractPayout, { contractId: row.id }, { orderBy: { term: 'asc', periodIndex: 'asc' } });
      const items = payouts.map((p) => ({
        term: p.term,
        periodIndex: p.periodIndex,
        periodFrom: iso(p.periodFrom)!,
        periodTo: iso(p.periodTo)!,
        fraction: p.fraction,
        currency: p.currency,
        fee: Number(p.fee),
        share: Number(p.share),
        milestones: Number(p.milestones),
        total: Number(p.total),
        tier: p.tier ?? null,
        capped: p.capped,
        evaluation: p.evaluation,
        createdAt: iso(p.createdAt)!,
      }));
      return { items, total: items.reduce((s, p) => Math.round((s + p.total) * 100) / 100, 0) };
    },
  );

  contracts.updateRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/contracts/:id',
      tag,
      access: MANAGERS,
      summary:
        'Amend the terms while in draft or approval (the owner or an admin; approvals given are cleared, and whoever amends does not approve that version)',
      body: z.object({ terms: termsIn.partial().strict(), termsVersion: z.int().min(1).optional() }).strict(),
      response: contractOut,
      errors: [400, 401, 403, 404, 409, 503, 504],
    },
    async ({ row, actor, req }) => {
      requireOwner(row, actor);
      const sent = req.body as { terms: Record<string, unknown>; termsVersion?: number };
      const current = await contracts.state(row);
      const terms = checkTerms(mergePatch(termsIn, current.terms, sent.terms, 'terms', 'terms'));
      const termsVersion = sent.termsVersion ?? current.termsVersion;
      return contracts.update(row, amendContract, { actor, terms, termsVersion });
    },
  );

  const act = (name: string, summary: string, update: typeof submitContract) =>
    contracts.updateRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/contracts/:id/${name}`,
        tag,
        access: MANAGERS,
        summary,
        body: z.object({ reason: z.string().trim().min(1).max(2000).optional() }).strict(),
        response: contractOut,
        errors: [400, 401, 403, 404, 409, 503, 504],
      },
      async ({ row, actor, body }) => {
        requireOwner(row, actor);
        return contracts.update(row, update, { actor, ...(body.reason ? { reason: body.reason } : {}) });
      },
    );
  act('submit', 'Submit a draft (or renegotiated terms) for approval (the owner or an admin)', submitContract);

  contracts.updateRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/contracts/:id/terminate',
      tag,
      access: MANAGERS,
      summary: 'Terminate (the owner or an admin): the period under way is paid pro rata, the partner told, what activation set up undone',
      body: z.object({ reason: z.string().trim().min(1).max(2000) }).strict(),
      response: contractOut,
      errors: [400, 401, 403, 404, 409, 503, 504],
    },
    async ({ row, actor, body }) => {
      requireOwner(row, actor);
      return contracts.update(row, terminateContract, { actor, reason: body.reason });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/contracts/:id/sign',
      tag,
      access: 'public',
      summary:
        "The partner's signing page reads what they sign: the full terms and until when their link works (the one-time token from their link, no bearer token)",
      params: idParams,
      query: z.object({ token: z.string().min(16).max(200).describe("the partner's one-time token") }).strict(),
      response: signingOut,
      errors: [400, 403, 404, 429, 503, 504],
    },
    async ({ params, query, res }) => {
      const row = await contracts.find(params.id);
      res.set('Cache-Control', 'no-store');
      const check = await checkSignLink(orm, row.id, hashToken(query.token));
      // An expired link that was used still says so; only a holder of the contract's newest token gets this far.
      if (check.problem && check.problem !== 'expired') throw new HttpError(403, ...SIGN_LINK_REFUSALS[check.problem]);
      const s = await contracts.state(row);
      if (check.problem && !s.signatures.partner) throw new HttpError(403, ...SIGN_LINK_REFUSALS.expired);
      return {
        id: row.id,
        partnerName: s.partnerName,
        stage: s.stage,
        term: s.term,
        termsVersion: s.termsVersion,
        terms: s.terms,
        value: s.value,
        status: s.signatures.partner
          ? ('signed' as const)
          : s.stage === 'awaiting_signatures' && !terminating(s)
            ? ('open' as const)
            : ('closed' as const),
        signBy: (check.expiresAt ?? new Date(s.signatures.link?.expiresAt ?? Date.now())).toISOString(),
        signature: s.signatures.partner && { name: s.signatures.partner.name ?? null, at: s.signatures.partner.at },
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/contracts/:id/sign',
      tag,
      access: 'public',
      summary:
        'Sign: the internal signer with their bearer token; then the partner with the one-time token from their link (no bearer token), the name they type and their agreement; their address and browser are kept as evidence',
      params: idParams,
      body: z
        .object({
          token: z.string().min(16).max(200).optional().describe("the partner's one-time token"),
          name: z.string().trim().min(1).max(200).optional().describe('the partner signs with their name (required with a token)'),
          agree: z.literal(true).optional().describe('the partner agrees to the terms (required with a token)'),
        })
        .strict(),
      response: z.object({ id: z.uuid(), stage: z.enum(CONTRACT_STAGES), signatures: z.record(z.string(), z.unknown()) }),
      errors: [400, 401, 403, 404, 409, 422, 429, 503, 504],
    },
    async ({ params, body, req, res }) => {
      const row = await contracts.find(params.id);
      // The partner sees only what their signature did; the staff path needs a valid bearer token.
      let state: ContractState;
      if (body.token) {
        const tokenHash = hashToken(body.token);
        await checkSignToken(row.id, tokenHash);
        const missing: FieldError[] = [
          ...(body.name ? [] : [{ field: 'name', message: 'type your name to sign' }]),
          ...(body.agree ? [] : [{ field: 'agree', message: 'agree to the terms to sign' }]),
        ];
        if (missing.length) throw unprocessable('the signature needs a name and the agreement to the terms', missing);
        const evidence = { name: body.name!, ip: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null };
        state = await contracts.update(row, partnerSignContract, { tokenHash, evidence });
        const { internal, partner } = signaturesOf(state.signatures);
        return { id: row.id, stage: state.stage, signatures: { internal: internal && { at: internal.at }, partner } };
      } else {
        const actor = res.locals.actor as Actor | undefined;
        if (!actor)
          throw (
            (res.locals.authError as Error | undefined) ??
            unauthorized('the internal signer signs with a bearer token; the partner with the token from their link')
          );
        state = await contracts.update(row, signContract, { actor });
      }
      return {
        id: row.id,
        stage: state.stage,
        signatures: { internal: state.signatures.internal, partner: signaturesOf(state.signatures).partner },
      };
    },
  );

  return router;
}
