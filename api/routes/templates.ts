// Message templates: the messages customers get, written by the ops team per locale, versioned, reviewed through the
// task inbox by someone other than the author, previewed for a customer and test-sent to the operator's own address.
import { Router } from 'express';
import { z } from 'zod';
import {
  createTemplateVersion,
  decideTemplateVersion,
  liveTemplate,
  messageCustomerRow,
  operatorEmailRow,
  setLiveTemplateVersion,
  setTemplateDefaultLocale,
  templateDefaultLocales,
  templateSummaries,
  templateVersion,
  templateVersions,
  type TemplateVersionRow,
} from '../../db/message-templates.ts';
import { operatorNames } from '../../db/operators.ts';
import { readMessagingPolicy } from '../../db/settings.ts';
import { messageData, sampleCustomer, samplePartnerFields, sampleValues, type MessageCustomer } from '../../domain/message-data.ts';
import { renderMessage } from '../../domain/message-render.ts';
import {
  checkTemplate,
  fieldPaths,
  isPartnerMessage,
  MESSAGE_KEYS,
  MESSAGES,
  type MessageKey,
  type TemplateSource,
} from '../../domain/message-templates.ts';
import { templateReviewId } from '../../domain/ids.ts';
import { withdrawTemplateVersion } from '../../workflows/template-review.messages.ts';
import type { templateReview } from '../../workflows/template-review.ts';
import type { ApiDeps } from '../app.ts';
import { HttpError, notFound, unprocessable } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { idParams, locale, pageQuery } from '../schemas.ts';

const READERS = ['admin', 'ops_manager', 'reviewer', 'analyst'] as const;
const WRITERS = ['admin', 'ops_manager'] as const;

const key = z.enum(MESSAGE_KEYS as [MessageKey, ...MessageKey[]]);
const keyParams = z.object({ key }).strict();
const keyLocaleParams = z.object({ key, locale }).strict();

const sourceIn = z
  .object({
    senderName: z.string().trim().min(1).max(200).describe('the From name customers see (Liquid)'),
    subject: z.string().max(500).describe('Liquid; plain text'),
    preheader: z.string().max(500).nullable().default(null).describe('the line mail clients show after the subject (Liquid)'),
    html: z.string().max(200_000).describe('the body, Liquid in HTML; output is escaped unless | raw'),
    text: z.string().max(100_000).nullable().default(null).describe('the plain-text part (Liquid); null: generated from the HTML'),
  })
  .strict();

const versionOut = z.object({
  id: z.uuid(),
  key,
  locale: z.string(),
  version: z.number(),
  senderName: z.string(),
  subject: z.string(),
  preheader: z.string().nullable(),
  html: z.string(),
  text: z.string().nullable(),
  note: z.string().nullable(),
  status: z.enum(['in_review', 'approved', 'rejected', 'withdrawn']),
  live: z.boolean(),
  authorId: z.string().nullable().describe('null: shipped with opsflow'),
  createdAt: z.string(),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.string().nullable(),
  reviewComment: z.string().nullable(),
});
const toOut = (v: TemplateVersionRow): z.infer<typeof versionOut> => v;
const people = z.record(z.string(), z.string()).describe('id -> name of the authors and reviewers this answer names');

const renderedOut = z.object({
  locale: z.string(),
  versionId: z.string().nullable().describe('null: the unsaved source given'),
  customer: z.object({ id: z.string().nullable(), name: z.string().nullable(), email: z.string() }).describe('id null: a sample customer'),
  senderName: z.string(),
  subject: z.string(),
  preheader: z.string(),
  html: z.string(),
  text: z.string(),
});

/** Which version to render: unsaved source (the editor's live preview), a saved version, or the live one. */
const renderIn = z
  .object({
    locale: locale.optional().describe("the customer's locale when a customer is named, else the platform default"),
    versionId: z.uuid().optional(),
    source: sourceIn.optional(),
    customerId: z.uuid().optional().describe('render for this customer (their fields, locale and timezone); absent: a sample customer'),
  })
  .strict()
  .refine((b) => !(b.versionId && b.source), 'give versionId or source, not both');

export function templatesRouter(
  { orm, temporal, taskQueue, deadline, audit, publicUrl, mailer, mailFrom }: ApiDeps,
  registry: RouteRegistry,
): Router {
  const router = Router();
  const tag = 'templates';
  const policy = () => readMessagingPolicy(orm);
  /** id -> name of the versions' authors and reviewers: the console shows people by name, not by id. */
  const names = (versions: TemplateVersionRow[]) =>
    operatorNames(
      orm,
      versions.flatMap((v) => [v.authorId, v.reviewedBy]),
    );

  const refuseProblems = (k: MessageKey, source: TemplateSource) => {
    const problems = checkTemplate(k, source);
    if (problems.length)
      throw unprocessable(
        `the template cannot be saved: ${problems[0]!.message}`,
        problems.map((p) => ({ field: p.part, message: p.message })),
      );
  };

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/templates',
      tag,
      access: READERS,
      summary: 'Every customer-facing message: whether it is marketing, the fields it offers, and per locale its live and newest versions',
      response: z.object({
        items: z.array(
          z.object({
            key,
            marketing: z.boolean(),
            fields: z.array(z.string()),
            defaultLocale: z.string().nullable().describe("this message's own default language; null: the platform's"),
            locales: z.array(
              z.object({
                locale: z.string(),
                liveVersion: z.number().nullable(),
                latestVersion: z.number(),
                inReview: z.number(),
                updatedAt: z.string(),
              }),
            ),
          }),
        ),
        defaultLocale: z.string(),
      }),
    },
    async () => {
      const [summaries, p, own] = await Promise.all([templateSummaries(orm), policy(), templateDefaultLocales(orm)]);
      return {
        items: MESSAGE_KEYS.map((k) => ({
          key: k,
          marketing: MESSAGES[k].marketing,
          fields: fieldPaths(k),
          defaultLocale: own[k] ?? null,
          locales: summaries.filter((s) => s.key === k).map(({ key: _k, ...rest }) => rest),
        })),
        defaultLocale: p.defaultLocale,
      };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/templates/:key/default-locale',
      tag,
      access: WRITERS,
      summary: "Set a message's own default language (a live version in it is needed), or clear it with null: the platform's then applies",
      params: keyParams,
      body: z.object({ locale: locale.nullable() }).strict(),
      response: z.object({ key, defaultLocale: z.string().nullable() }),
      errors: [400, 401, 403, 409],
    },
    async ({ params, body, actor }) => {
      const result = await setTemplateDefaultLocale(orm, params.key, body.locale, actor.id);
      if (result === 'no_live_version')
        throw new HttpError(409, 'conflict', `the ${params.key} message has no live version in ${body.locale}`);
      await audit(actor, 'template.default_locale_set', 'template', params.key, { key: params.key, locale: body.locale });
      return { key: params.key, defaultLocale: body.locale };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/templates/:key/:locale/versions',
      tag,
      access: READERS,
      summary: "A message's versions in one locale, newest first",
      params: keyLocaleParams,
      query: z.object(pageQuery).strict(),
      response: z.object({ items: z.array(versionOut), total: z.number(), people }),
      errors: [400, 401, 403],
    },
    async ({ params, query }) => {
      const page = await templateVersions(orm, params.key, params.locale, query.limit, query.offset);
      return { items: page.items.map(toOut), total: page.total, people: await names(page.items) };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/template-versions/:id',
      tag,
      access: READERS,
      summary: 'One template version',
      params: idParams,
      response: versionOut.extend({ people }),
      errors: [400, 401, 403, 404],
    },
    async ({ params }) => {
      const v = await templateVersion(orm, params.id);
      if (!v) throw notFound('template version');
      return { ...toOut(v), people: await names([v]) };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/templates/:key/:locale/versions',
      tag,
      access: WRITERS,
      status: 201,
      bodyLimit: '1mb',
      summary:
        'Write a new version of a message in a locale; it goes to a reviewer in the task inbox and is live once someone other than its author approves it',
      params: keyLocaleParams,
      body: sourceIn.extend({ note: z.string().max(2000).nullable().default(null).describe('what changed, for the reviewer') }).strict(),
      response: versionOut,
      errors: [400, 401, 403, 422, 503, 504],
    },
    async ({ params, body, actor }) => {
      const { note, ...source } = body;
      refuseProblems(params.key, source);
      const version = await createTemplateVersion(orm, { key: params.key, locale: params.locale, source, note, authorId: actor.id });
      const workflowId = templateReviewId(version.id);
      try {
        await deadline(() =>
          temporal.workflow.start<typeof templateReview>('templateReview', {
            workflowId,
            taskQueue,
            args: [{ versionId: version.id, key: version.key, locale: version.locale, version: version.version, authorId: actor.id }],
          }),
        );
      } catch (err) {
        // No review started: the version is withdrawn rather than left waiting for a review that never comes.
        await decideTemplateVersion(orm, version.id, 'withdrawn', null, 'its review could not be started');
        throw err;
      }
      await audit(
        actor,
        'template.version_created',
        'template',
        version.id,
        { key: version.key, locale: version.locale, version: version.version, note },
        workflowId,
      );
      return toOut(version);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/template-versions/:id/withdraw',
      tag,
      access: WRITERS,
      summary: 'Withdraw a version waiting for review (its author or an admin); its review task is cancelled',
      params: idParams,
      body: z.object({ reason: z.string().max(2000).optional() }).strict(),
      response: versionOut,
      errors: [400, 401, 403, 404, 409, 503, 504],
    },
    async ({ params, body, actor }) => {
      const v = await templateVersion(orm, params.id);
      if (!v) throw notFound('template version');
      if (v.status !== 'in_review') throw new HttpError(409, 'conflict', `version ${v.version} is ${v.status}, not in review`);
      await deadline(() =>
        temporal.workflow.getHandle(templateReviewId(v.id)).executeUpdate(withdrawTemplateVersion, {
          args: [{ actor, ...(body.reason ? { reason: body.reason } : {}) }],
        }),
      );
      return toOut((await templateVersion(orm, v.id))!);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/template-versions/:id/make-live',
      tag,
      access: WRITERS,
      summary: 'Make an approved version live again (a rollback, or forward again): one action, audited',
      params: idParams,
      response: versionOut,
      errors: [400, 401, 403, 404, 409],
    },
    async ({ params, actor }) => {
      const result = await setLiveTemplateVersion(orm, params.id, actor.id);
      if (result === 'not_found') throw notFound('template version');
      if (result === 'not_approved') throw new HttpError(409, 'conflict', 'only an approved version can be live');
      await audit(actor, 'template.made_live', 'template', result.id, { key: result.key, locale: result.locale, version: result.version });
      return toOut(result);
    },
  );

  /** The customer (or a sample), the source and its version, for a preview or a test send. */
  const resolve = async (k: MessageKey, b: z.infer<typeof renderIn>) => {
    const p = await policy();
    let customer: MessageCustomer & { id: string | null; timezone: string };
    if (b.customerId) {
      const row = await messageCustomerRow(orm, b.customerId);
      if (!row) throw notFound('customer');
      customer = {
        id: row.id,
        name: row.name,
        email: row.email,
        externalId: row.external_id,
        stage: row.stage,
        segment: row.segment,
        locale: row.locale,
        timezone: row.timezone,
      };
    } else {
      const l = b.locale ?? p.defaultLocale;
      customer = { ...sampleCustomer(l), id: null, timezone: l.startsWith('zh') ? 'Asia/Shanghai' : 'UTC' };
    }
    const wanted = b.locale ?? customer.locale ?? p.defaultLocale;
    let version: TemplateVersionRow | null = null;
    let source: TemplateSource;
    if (b.source) {
      refuseProblems(k, b.source);
      source = b.source;
    } else {
      version = b.versionId ? await templateVersion(orm, b.versionId) : await liveTemplate(orm, k, wanted, p.defaultLocale);
      if (!version || version.key !== k) throw notFound('template version');
      source = version;
    }
    const usedLocale = version?.locale ?? wanted;
    // The link's shape only: a customer's unsubscribe token is theirs alone (a test send goes to an operator).
    const unsubscribeUrl = `${publicUrl}/unsubscribe/preview`;
    // A message to a partner gets a sample partner and contract; a customer's gets the customer (or the sample).
    const data = isPartnerMessage(k)
      ? { platform: p.platform, ...samplePartnerFields(usedLocale) }
      : messageData(k, {
          customer,
          platform: p.platform,
          unsubscribeUrl,
          resubscribeUrl: unsubscribeUrl,
          values: sampleValues(usedLocale),
        });
    const rendered = renderMessage(k, source, data, { locale: usedLocale, timeZone: customer.timezone });
    return { rendered, customer, versionId: version?.id ?? null, locale: usedLocale };
  };

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/templates/:key/preview',
      tag,
      access: READERS,
      bodyLimit: '1mb',
      summary: 'Render a message (unsaved source, a version, or the live one) for a customer or a sample customer, as it would be sent',
      params: keyParams,
      body: renderIn,
      response: renderedOut,
      errors: [400, 401, 403, 404, 422],
    },
    async ({ params, body }) => {
      const { rendered, customer, versionId, locale: l } = await resolve(params.key, body);
      return { locale: l, versionId, customer: { id: customer.id, name: customer.name, email: customer.email }, ...rendered };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/templates/:key/test-send',
      tag,
      access: WRITERS,
      bodyLimit: '1mb',
      summary: "Send a rendered message to the operator's own address, marked as a test; never counted as a send",
      params: keyParams,
      body: renderIn,
      response: renderedOut.extend({ to: z.string() }),
      errors: [400, 401, 403, 404, 422, 503],
    },
    async ({ params, body, actor, req }) => {
      if (!mailer) throw new HttpError(503, 'unavailable', 'no mail server is configured (SMTP_URL)', undefined, 60);
      const { rendered, customer, versionId, locale: l } = await resolve(params.key, body);
      const operator = await operatorEmailRow(orm, actor.id);
      const address = /<([^>]+)>/.exec(mailFrom ?? '')?.[1] ?? mailFrom ?? 'opsflow@localhost';
      await mailer.sendMail({
        from: { name: rendered.senderName, address },
        to: operator!.email,
        subject: `[TEST] ${rendered.subject}`,
        html: rendered.html,
        text: rendered.text,
        headers: { 'X-Opsflow-Test': 'true', 'X-Opsflow-Template': `${params.key}/${l}${versionId ? `/${versionId}` : ''}` },
      });
      await audit(actor, 'template.test_sent', 'template', versionId ?? params.key, {
        key: params.key,
        locale: l,
        to: operator!.email,
        customerId: customer.id,
        ip: req.ip,
      });
      return {
        to: operator!.email,
        locale: l,
        versionId,
        customer: { id: customer.id, name: customer.name, email: customer.email },
        ...rendered,
      };
    },
  );

  return router;
}
