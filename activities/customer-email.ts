// Email to customers, through the messaging policy (activities/messaging-policy.ts) and then the email ledger.
// Every family that mails customers goes through sendToCustomer, so the cap, quiet hours and unsubscription hold
// everywhere.
import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { transaction } from '../db/sql.ts';
import { durationToMs } from '../workflows/lib/time.ts';
import type { SendOutcome } from '../workflows/lifecycle.rules.ts';
import type { MessageCategory } from '../workflows/lifecycle.types.ts';
import { customerTemplates, type CustomerTemplateName } from './customer-templates.ts';
import { deliverOnce, type EmailResult, type SqlUpdate } from './email.ts';
import { decide, DEFAULT_MESSAGING_POLICY, type MessagingPolicy } from './messaging-policy.ts';

export interface CustomerEmailRequest {
  /** Workflow id + step: one decision and at most one email per key. */
  idempotencyKey: string;
  workflowId: string | null;
  customerId: string;
  template: CustomerTemplateName;
  category: MessageCategory;
  /** Template values (coupon code...). */
  data: Record<string, string>;
  campaignId?: string | null;
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

interface CustomerFacts {
  email: string;
  name: string | null;
  external_id: string;
  stage: string | null;
  segment: string | null;
  timezone: string;
  marketing_consent: boolean;
  unsubscribed: boolean;
  unsubscribe_token: string;
  recent: number;
}

export const unsubscribeUrl = (publicUrl: string, token: string) => `${publicUrl}/unsubscribe/${token}`;

/**
 * Decides under a per-customer lock (two families mailing one customer at once cannot both take the last slot of
 * the cap), records the decision in customer_messages, then sends through the email ledger. A key decided before
 * answers the same again: sent stays sent, skipped stays skipped; deferred is decided anew when the workflow comes
 * back at the deferral's end.
 */
export async function sendToCustomer(
  deps: CustomerEmailDeps, req: CustomerEmailRequest, policy?: MessagingPolicy,
): Promise<SendOutcome> {
  const { orm } = deps;
  policy ??= await readSetting<MessagingPolicy>(orm, SETTINGS.messagingPolicy, DEFAULT_MESSAGING_POLICY);
  const capWindowMs = policy.frequencyCap ? durationToMs(policy.frequencyCap.window as never) : 0;

  const decided = await transaction(orm, async (q): Promise<{ outcome: SendOutcome } | { send: CustomerFacts }> => {
    await q(`select pg_advisory_xact_lock(hashtext('customer-messages'), hashtext(?))`, [req.customerId]);
    // After the lock, one statement reads the customer, the cap's count and this key's earlier decision.
    const [customer] = await q<(CustomerFacts & { prior_status: string | null; prior_reason: string | null })[]>(
      `select email, name, external_id, stage, segment, timezone, marketing_consent, unsubscribed_at is not null as unsubscribed, unsubscribe_token,
         (select count(*)::int from customer_messages m where m.customer_id = c.id and m.category = 'marketing'
            and m.status in ('sending', 'sent') and m.decided_at > now() - (? * interval '1 millisecond')
            and m.idempotency_key <> ?) as recent,
         p.status as prior_status, p.reason as prior_reason
       from customers c left join customer_messages p on p.idempotency_key = ? where c.id = ?`,
      [capWindowMs, req.idempotencyKey, req.idempotencyKey, req.customerId]);
    if (!customer) throw ApplicationFailure.nonRetryable(`customer ${req.customerId} does not exist`, 'NotFound');
    const prior = customer.prior_status === null ? undefined : { status: customer.prior_status, reason: customer.prior_reason };
    if (prior?.status === 'sent') return { outcome: { status: 'duplicate' } };
    if (prior?.status === 'skipped') return { outcome: { status: 'skipped', reason: prior.reason ?? 'skipped' } };
    // A send reserved by an attempt that crashed keeps its slot under the cap, but is decided again otherwise: the
    // customer may have unsubscribed, or quiet hours begun, while the retries waited.
    const decision = decide(policy, req.category, {
      unsubscribed: customer.unsubscribed, marketingConsent: customer.marketing_consent, timezone: customer.timezone,
      recentMarketing: prior?.status === 'sending' ? 0 : customer.recent,
    }, new Date());
    const outcome: SendOutcome | null = decision.action === 'send' ? null
      : decision.action === 'defer' ? { status: 'deferred', until: decision.until.toISOString(), reason: decision.reason }
        : { status: 'skipped', reason: decision.reason };
    await q(
      `insert into customer_messages (idempotency_key, customer_id, workflow_id, campaign_id, category, template, status,
         reason, deferred_until, decided_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, now())
       on conflict (idempotency_key) do update set status = excluded.status, reason = excluded.reason,
         deferred_until = excluded.deferred_until, decided_at = excluded.decided_at`,
      [req.idempotencyKey, req.customerId, req.workflowId, req.campaignId ?? null, req.category, req.template,
        outcome ? outcome.status : 'sending', outcome?.reason ?? null, outcome?.status === 'deferred' ? outcome.until : null]);
    return outcome ? { outcome } : { send: customer };
  });
  if ('outcome' in decided) return decided.outcome;

  const customer = decided.send;
  const marketing = req.category === 'marketing';
  const link = marketing ? unsubscribeUrl(deps.publicUrl, customer.unsubscribe_token) : null;
  const mail = customerTemplates[req.template]({
    name: customer.name, unsubscribeUrl: link, values: req.data,
    customer: { name: customer.name, email: customer.email, externalId: customer.external_id, stage: customer.stage, segment: customer.segment },
  });
  let result: EmailResult;
  try {
    result = await deliverOnce(deps, {
      idempotencyKey: req.idempotencyKey, workflowId: req.workflowId, template: req.template, recipients: [customer.email], mail,
      ...(req.leaseSeconds ? { leaseSeconds: req.leaseSeconds } : {}),
      onSent: [
        { sql: `update customer_messages set status = 'sent', sent_at = now() where idempotency_key = ?`, params: [req.idempotencyKey] },
        ...(req.onSent ?? []),
      ],
      // RFC 8058 one-click unsubscribe: mail clients show their own button.
      headers: link ? { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
    });
  } catch (err) {
    // Refused for good by the mail server: the reserved slot is given back to the cap.
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      await orm.em.getConnection().execute(
        `update customer_messages set status = 'skipped', reason = 'rejected' where idempotency_key = ?`, [req.idempotencyKey]);
    }
    throw err;
  }
  if (result.status === 'duplicate') {
    // An earlier attempt sent it; this ledger says so too (the caller marks its own).
    await orm.em.getConnection().execute(
      `update customer_messages set status = 'sent', sent_at = coalesce(sent_at, now()) where idempotency_key = ?`, [req.idempotencyKey]);
    return { status: 'duplicate' };
  }
  return { status: 'sent' };
}

export function createCustomerEmailActivities(deps: CustomerEmailDeps) {
  return {
    async sendCustomerEmail(req: CustomerEmailRequest): Promise<SendOutcome> {
      return sendToCustomer(deps, req);
    },
  };
}
