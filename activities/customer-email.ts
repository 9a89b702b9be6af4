// Email to customers, through the messaging policy (activities/messaging-policy.ts) and then the email ledger.
// Every family that mails customers goes through sendToCustomer, so the cap, quiet hours and unsubscription hold
// everywhere.
import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import {
  lockAndReadSendFacts,
  markMessageRejected,
  markMessageSentBefore,
  messageSent,
  recordDecisions,
  type CustomerFacts,
  type MessageDecision,
} from '../db/customer-messages.ts';
import { markUnsubscribeConfirmed, unsubscribeConfirmationOwed } from '../db/customers.ts';
import type { Orm } from '../db/orm.ts';
import { readMessagingPolicy } from '../db/settings.ts';
import { transaction, type SqlUpdate } from '../db/sql.ts';
import { durationToMs } from '../domain/durations.ts';
import type { SendOutcome } from '../domain/lifecycle.ts';
import type { MessageCategory } from '../domain/lifecycle.types.ts';
import { liveTemplate, templateVersion, type TemplateVersionRow } from '../db/message-templates.ts';
import { composeMessage, pickLocale } from '../domain/message-data.ts';
import { customerTemplates, type CustomerTemplateName } from './customer-templates.ts';
import { deliverOnce, withName, type EmailResult, type LedgerMail } from './email.ts';
import { decide, type MessagingPolicy } from '../domain/messaging-policy.ts';

export interface CustomerEmailRequest {
  /** Workflow id + step: one decision and at most one email per key. */
  idempotencyKey: string;
  workflowId: string | null;
  customerId: string;
  template: CustomerTemplateName | 'unsubscribeConfirmation';
  category: MessageCategory;
  /** Template values (coupon code...). */
  data: Record<string, string>;
  campaignId?: string | null;
  /** Template versions by locale pinned by the sender (a campaign's, at its approval) instead of the live ones. */
  templateVersions?: Record<string, string>;
  /** Passed on to the email ledger (see LedgerMail.leaseSeconds and onSent). */
  leaseSeconds?: number;
  onSent?: SqlUpdate[];
}

export interface CustomerEmailDeps {
  orm: Orm;
  mailer: Transporter;
  from: string;
  publicUrl: string;
}

export type { CustomerFacts } from '../db/customer-messages.ts';

export const unsubscribeUrl = (publicUrl: string, token: string) => `${publicUrl}/unsubscribe/${token}`;

/** A decision of the messaging policy: an outcome (deferred, skipped, or a duplicate of a send made before), or send. */
export type Decided = { outcome: SendOutcome } | { send: CustomerFacts; decidedAt: string };

/**
 * Decides a batch of sends under per-customer locks (two families mailing one customer at once cannot both take the
 * last slot of the cap; the locks are taken in customer order, so two batches cannot deadlock) and records every
 * decision in customer_messages, in one transaction. A key decided before answers the same again: sent stays sent
 * (a duplicate), skipped stays skipped; deferred is decided anew when the caller comes back at the deferral's end.
 */
export async function decideSends(orm: Orm, reqs: CustomerEmailRequest[], policy?: MessagingPolicy): Promise<Decided[]> {
  if (reqs.length === 0) return [];
  policy ??= await readMessagingPolicy(orm);
  const capWindowMs = policy.frequencyCap ? durationToMs(policy.frequencyCap.window as never) : 0;
  const now = new Date();
  return transaction(orm, async (q) => {
    // After the locks (db/customer-messages.ts), one statement reads each customer, the cap's count and the key's
    // earlier decision.
    const keys = reqs.map((r) => ({ key: r.idempotencyKey, customerId: r.customerId }));
    const facts = await lockAndReadSendFacts(q, keys, capWindowMs);
    const byKey = new Map(facts.map((f) => [f.key, f]));
    const decisions: Decided[] = [];
    const records: MessageDecision[] = [];
    for (const req of reqs) {
      const customer = byKey.get(req.idempotencyKey);
      // A customer removed since (a frozen campaign audience, a late lifecycle step): nothing to send, nothing to record.
      if (!customer) {
        decisions.push({ outcome: { status: 'skipped', reason: 'no_customer' } });
        continue;
      }
      if (customer.prior_status === 'sent') {
        decisions.push({ outcome: { status: 'duplicate' } });
        continue;
      }
      if (customer.prior_status === 'skipped') {
        decisions.push({ outcome: { status: 'skipped', reason: customer.prior_reason ?? 'skipped' } });
        continue;
      }
      // A send reserved by an attempt that crashed keeps its slot under the cap, but is decided again otherwise: the
      // customer may have unsubscribed, or quiet hours begun, while the retries waited.
      const decision = decide(
        policy,
        req.category,
        {
          unsubscribed: customer.unsubscribed,
          marketingConsent: customer.marketing_consent,
          timezone: customer.timezone,
          recentMarketing: customer.prior_status === 'sending' ? 0 : customer.recent,
        },
        now,
      );
      const outcome: SendOutcome | null =
        decision.action === 'send'
          ? null
          : decision.action === 'defer'
            ? { status: 'deferred', until: decision.until.toISOString(), reason: decision.reason }
            : { status: 'skipped', reason: decision.reason };
      decisions.push(outcome ? { outcome } : { send: customer, decidedAt: '' });
      records.push({
        idempotency_key: req.idempotencyKey,
        customer_id: req.customerId,
        workflow_id: req.workflowId,
        campaign_id: req.campaignId ?? null,
        category: req.category,
        template: req.template,
        status: outcome ? outcome.status : 'sending',
        reason: outcome?.reason ?? null,
        deferred_until: outcome?.status === 'deferred' ? outcome.until : null,
      });
    }
    if (records.length) {
      // The reservation's time (the transaction's) tells a caller's own reservations from a later attempt's.
      const decidedAt = await recordDecisions(q, records);
      for (const d of decisions) if ('send' in d) d.decidedAt = decidedAt;
    }
    return decisions;
  });
}

/**
 * The mail a customer gets: a message with a stored template (the live version in the customer's locale, else the
 * platform's default) rendered for them, sent under the version's sender name; a campaign's own text as before.
 */
async function composeForCustomer(
  deps: CustomerEmailDeps,
  req: CustomerEmailRequest,
  customer: CustomerFacts,
  link: string | null,
  policy: MessagingPolicy,
) {
  // Without a stored version (a campaign approved before templates were data): the text as code wrote it.
  const legacy = () => {
    if (req.template === 'unsubscribeConfirmation')
      throw ApplicationFailure.nonRetryable('no unsubscribeConfirmation template is live', 'Unprocessable');
    return customerTemplates[req.template]({
      name: customer.name,
      unsubscribeUrl: link,
      values: req.data,
      customer: {
        name: customer.name,
        email: customer.email,
        externalId: customer.external_id,
        stage: customer.stage,
        segment: customer.segment,
      },
    });
  };
  if (req.template === 'campaign' && !req.templateVersions) return { mail: legacy(), from: deps.from, version: null };
  const key = req.template;
  const version = req.templateVersions
    ? await pinnedVersion(deps.orm, req.templateVersions, customer.locale, policy.defaultLocale)
    : await liveTemplate(deps.orm, key, customer.locale, policy.defaultLocale);
  if (!version) return { mail: legacy(), from: deps.from, version: null };
  const rendered = composeMessage(key, version, {
    customer: {
      name: customer.name,
      email: customer.email,
      externalId: customer.external_id,
      stage: customer.stage,
      segment: customer.segment,
      locale: customer.locale,
      timezone: customer.timezone,
    },
    platform: policy.platform,
    unsubscribeUrl: link,
    values: req.data,
    // The unsubscribe page offers to subscribe again once unsubscribed.
    resubscribeUrl: unsubscribeUrl(deps.publicUrl, customer.unsubscribe_token),
  });
  return {
    mail: { subject: rendered.subject, html: rendered.html, text: rendered.text },
    from: withName(deps.from, rendered.senderName),
    version,
  };
}

/** Versions are immutable: a campaign's sends read each pinned one once per worker. */
const pinnedCache = new Map<string, TemplateVersionRow>();

/** Of the versions a campaign pinned by locale, the customer's (see pickLocale), else the first. */
async function pinnedVersion(
  orm: Orm,
  pinned: Record<string, string>,
  locale: string | null,
  defaultLocale: string,
): Promise<TemplateVersionRow | null> {
  const pick = pickLocale(Object.keys(pinned), locale, defaultLocale) ?? Object.keys(pinned)[0];
  const id = pick ? pinned[pick]! : null;
  if (!id) return null;
  let version = pinnedCache.get(id);
  if (!version) {
    version = (await templateVersion(orm, id)) ?? undefined;
    if (!version) return null;
    if (pinnedCache.size > 200) pinnedCache.clear();
    pinnedCache.set(id, version);
  }
  return version;
}

/** A send the policy decided, with its mail composed: what the email ledger claims and sends. */
export interface PreparedSend {
  req: CustomerEmailRequest;
  from: string;
  version: TemplateVersionRow | null;
  mail: Omit<LedgerMail, 'around' | 'claimed'>;
}

/** Composes the mail of a send the policy decided (the template version, the customer's values, the headers). */
export async function prepareDecided(
  deps: CustomerEmailDeps,
  req: CustomerEmailRequest,
  customer: CustomerFacts,
  policy: MessagingPolicy,
): Promise<PreparedSend> {
  const marketing = req.category === 'marketing';
  const link = marketing ? unsubscribeUrl(deps.publicUrl, customer.unsubscribe_token) : null;
  const { mail, from, version } = await composeForCustomer(deps, req, customer, link, policy);
  return {
    req,
    from,
    version,
    mail: {
      idempotencyKey: req.idempotencyKey,
      workflowId: req.workflowId,
      template: req.template,
      recipients: [customer.email],
      mail,
      ...(req.leaseSeconds ? { leaseSeconds: req.leaseSeconds } : {}),
      onSent: [messageSent(req.idempotencyKey, version), ...(req.onSent ?? [])],
      // RFC 8058 one-click unsubscribe: mail clients show their own button.
      headers: link ? { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
    },
  };
}

/**
 * Sends a prepared mail through the email ledger; the customer-messages row (and the caller's `onSent` updates) are
 * marked sent in the statement that marks the email sent. `claimed`: the caller claimed the key already (claimMails).
 */
export async function deliverPrepared(
  deps: CustomerEmailDeps,
  prepared: PreparedSend,
  opts: Pick<LedgerMail, 'around' | 'claimed'> = {},
): Promise<SendOutcome> {
  const { orm } = deps;
  const { req } = prepared;
  let result: EmailResult;
  try {
    result = await deliverOnce(
      { ...deps, from: prepared.from },
      {
        ...prepared.mail,
        ...(opts.around ? { around: opts.around } : {}),
        ...(opts.claimed ? { claimed: opts.claimed } : {}),
      },
    );
  } catch (err) {
    // Refused for good by the mail server: the reserved slot is given back to the cap.
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      await markMessageRejected(orm, req.idempotencyKey);
    }
    throw err;
  }
  if (result.status === 'duplicate') {
    // An earlier attempt sent it; this ledger says so too (the caller marks its own).
    await markMessageSentBefore(orm, req.idempotencyKey);
    return { status: 'duplicate' };
  }
  return { status: 'sent' };
}

/** Sends a mail the policy decided to send, through the email ledger (prepareDecided, then deliverPrepared). */
export async function deliverDecided(
  deps: CustomerEmailDeps,
  req: CustomerEmailRequest,
  customer: CustomerFacts,
  policy: MessagingPolicy,
  around?: LedgerMail['around'],
): Promise<SendOutcome> {
  return deliverPrepared(deps, await prepareDecided(deps, req, customer, policy), around ? { around } : {});
}

/** One send through the messaging policy, then the email ledger. */
export async function sendToCustomer(deps: CustomerEmailDeps, req: CustomerEmailRequest, policy?: MessagingPolicy): Promise<SendOutcome> {
  // Read once: the decision and the message (its brand and default language) use the same version of the policy.
  policy ??= await readMessagingPolicy(deps.orm);
  const [decided] = await decideSends(deps.orm, [req], policy);
  return 'outcome' in decided! ? decided.outcome : deliverDecided(deps, req, decided!.send, policy);
}

export function createCustomerEmailActivities(deps: CustomerEmailDeps) {
  return {
    async sendCustomerEmail(req: CustomerEmailRequest): Promise<SendOutcome> {
      return sendToCustomer(deps, req);
    },

    /**
     * `check`: whether this unsubscription still waits for its confirmation (not resubscribed since, not confirmed);
     * `done`: records it confirmed. Both idempotent.
     */
    async markUnsubscribeConfirmed(args: { customerId: string; unsubscribedAt: string; phase: 'check' | 'done' }): Promise<boolean> {
      if (args.phase === 'check') return unsubscribeConfirmationOwed(deps.orm, args.customerId, args.unsubscribedAt);
      await markUnsubscribeConfirmed(deps.orm, args.customerId, args.unsubscribedAt);
      return true;
    },
  };
}
