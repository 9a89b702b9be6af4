// sendEmail over nodemailer, exactly once per idempotency key through the email_outbox ledger.
import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { appendAudit } from '../db/audit.ts';
import { claimMail, markMailSent, outboxState, recordSkippedMail, releaseMail, renewMail } from '../db/email-outbox.ts';
import { operatorEmails } from '../db/operators.ts';
import type { Orm } from '../db/orm.ts';
import { entityOfWorkflowId } from '../domain/ids.ts';
import type { SqlUpdate } from '../db/sql.ts';
import type { Role } from '../domain/actors.ts';
import { leaseHeld } from './ledger.ts';
import { isPartnerMessage } from '../domain/message-templates.ts';
import { partnerMail } from './partner-mail.ts';
import { render, type Rendered, type TemplateData, type TemplateName } from './templates.ts';

export type Recipient = { operatorId: string } | { role: Role } | { address: string; name?: string };

export interface EmailRequest<T extends TemplateName = TemplateName> {
  /** Workflow id + step: the same key never sends twice. */
  idempotencyKey: string;
  /** The sending workflow, kept in the ledger. */
  workflowId?: string;
  to: Recipient[];
  template: T;
  data: TemplateData<T>;
}

export interface EmailResult {
  status: 'sent' | 'skipped' | 'duplicate';
  messageId: string;
  recipients: string[];
}

export interface EmailDeps {
  orm: Orm;
  mailer: Transporter;
  from: string;
  publicUrl: string;
}

/**
 * A sending lease: a crashed attempt's claim lapses after this and a retry may send. Longer than the activity's
 * start-to-close timeout plus the mailer's timeouts, so a slow attempt cannot overlap its retry.
 */
const LEASE_SECONDS = 300;
/**
 * A claimed mail whose transfer waits longer than this for its turn (a caller's `around`: the campaign sender's SMTP
 * slots) renews its lease before it starts, so the lease always covers the whole transfer.
 */
const RENEW_AFTER_MS = 5_000;

/** MAIL_FROM's address under another display name (nodemailer encodes non-ASCII names). */
export function withName(from: string, name: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
  return `"${name.replace(/["\\\r\n]/g, '')}" <${address}>`;
}

/** The Message-ID is derived from the key, so even a send repeated after a crash is recognisably the same mail. */
export function messageIdFor(key: string, from: string): string {
  const domain = /@([^>\s]+)/.exec(from)?.[1] ?? 'opsflow.local';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@${domain}>`;
}

/** A rendered mail for the ledger: the same key never sends twice. */
export interface LedgerMail {
  idempotencyKey: string;
  workflowId: string | null;
  template: string;
  recipients: string[];
  mail: Rendered;
  headers?: Record<string, string>;
  /** A shorter sending lease for callers whose attempts are watched by heartbeats (campaign sends). */
  leaseSeconds?: number;
  /** Updates of the callers' ledgers, run in the statement that marks the mail sent. */
  onSent?: SqlUpdate[];
  /**
   * Runs the transfer (after the claim, before the final write): a caller may limit how many talk to the mail server
   * at once while the next ones are claimed. A claim it refuses to start is given back.
   */
  around?: <T>(run: () => Promise<T>) => Promise<T>;
  /**
   * The key was claimed by the caller (with others, claimMails) at `at` (epoch ms): the claim's attempt number, or null
   * when it was not claimed (another attempt holds it or settled it).
   */
  claimed?: { attempt: number | null; at: number };
}

/** What the email ledger records of a mail when it is claimed (for a caller's claimMails). */
export function outboxMail(m: Pick<LedgerMail, 'idempotencyKey' | 'workflowId' | 'template' | 'recipients' | 'mail'>, from: string) {
  const key = m.idempotencyKey;
  return {
    key,
    messageId: messageIdFor(key, from),
    workflowId: m.workflowId,
    template: m.template,
    subject: m.mail.subject,
    recipients: m.recipients,
  };
}

export type { SqlUpdate } from '../db/sql.ts';

/**
 * Sends through the email_outbox ledger: claims the key with a lease, sends, marks it sent. Shared by sendEmail
 * (operators) and sendToCustomer (customers, after the messaging policy).
 */
export async function deliverOnce({ orm, mailer, from }: Pick<EmailDeps, 'orm' | 'mailer' | 'from'>, m: LedgerMail): Promise<EmailResult> {
  const key = m.idempotencyKey;
  const messageId = messageIdFor(key, from);
  const { recipients, mail } = m;
  const outbox = { key, messageId, workflowId: m.workflowId, template: m.template, subject: mail.subject };

  if (recipients.length === 0) {
    await recordSkippedMail(orm, outbox);
    return { status: 'skipped', messageId, recipients: [] };
  }
  const leaseSeconds = m.leaseSeconds ?? LEASE_SECONDS;
  /** The earlier outcome of another attempt that has the key, or settled it. */
  const settledElsewhere = async (): Promise<EmailResult> => {
    const row = await outboxState(orm, key);
    if (row?.status === 'sent') return { status: 'duplicate', messageId, recipients: row.recipients };
    if (row?.status === 'skipped') return { status: 'skipped', messageId, recipients: [] };
    if (row?.status === 'failed') throw ApplicationFailure.nonRetryable(`the mail server refused ${key} earlier`, 'EmailRejected');
    throw leaseHeld(`email ${key}`, row?.lease_seconds);
  };
  // A new key, or a pending one, or one whose sender's lease ran out (claimed here, or by the caller with others).
  const attempt = m.claimed ? m.claimed.attempt : await claimMail(orm, { ...outbox, recipients, leaseSeconds });
  if (attempt === null) return settledElsewhere();
  const claimedAt = m.claimed?.at ?? Date.now();
  let started = false;
  /** Transfers the mail; false when the claim was lost while waiting to start (another attempt has the key). */
  const transfer = async (): Promise<boolean> => {
    started = true;
    // The lease must outlast the transfer (the mailer's timeouts are well inside it): a transfer that waited for its
    // turn (`around`) longer than RENEW_AFTER_MS extends it first, and does not start if another attempt took the key.
    if (Date.now() - claimedAt > RENEW_AFTER_MS && !(await renewMail(orm, key, attempt, leaseSeconds))) return false;
    try {
      await mailer.sendMail({
        from,
        to: recipients,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId,
        headers: { ...m.headers, 'X-Opsflow-Idempotency-Key': key },
      });
    } catch (err) {
      const error = err as Error & { responseCode?: number };
      const permanent = typeof error.responseCode === 'number' && error.responseCode >= 500;
      await releaseMail(orm, key, attempt, permanent ? 'failed' : 'pending', error.message);
      if (permanent) throw ApplicationFailure.nonRetryable(`mail server refused ${key}: ${error.message}`, 'EmailRejected');
      throw err;
    }
    return true;
  };
  let sent: boolean;
  try {
    sent = await (m.around ? m.around(transfer) : transfer());
  } catch (err) {
    // The caller refused to start the transfer (it is stopping): nothing was sent, so the claim is given back at once.
    if (!started) await releaseMail(orm, key, attempt, 'pending', `not started: ${(err as Error).message}`);
    throw err;
  }
  if (!sent) return settledElsewhere();
  // The callers' own ledgers are marked in the same statement: all agree the mail was sent, or none does.
  await markMailSent(orm, key, m.onSent ?? []);
  return { status: 'sent', messageId, recipients };
}

/**
 * The mail in the audit trail of what sent it (the entity of its workflow); keyed by the mail, so a retry after the
 * send writes it once. A skipped mail (nobody to send to) is not audited.
 */
export async function auditSent(
  orm: Orm,
  m: { key: string; workflowId: string | null; template: string; subject: string },
  result: EmailResult,
): Promise<void> {
  if (result.status === 'skipped') return;
  const entity = m.workflowId ? entityOfWorkflowId(m.workflowId) : null;
  await appendAudit(orm, {
    idempotencyKey: `email:${m.key}`,
    actorType: 'workflow',
    actorId: m.workflowId,
    action: 'email.sent',
    entityType: entity?.type ?? 'email',
    entityId: entity?.id ?? m.key,
    workflowId: m.workflowId,
    details: { template: m.template, subject: m.subject, recipients: result.recipients.length, messageId: result.messageId },
  });
}

/** The template fields of a partner message from the data the contract workflow passes. */
function partnerFields(request: EmailRequest): Record<string, unknown> {
  const d = request.data as Record<string, string>;
  if (request.template === 'contractActivated') return { contract: { start: d.start, end: d.end, trackingCode: d.code } };
  return { contract: { reason: d.reason } };
}

export function createEmailActivities(deps: EmailDeps) {
  const { orm, publicUrl } = deps;
  /** Explicit addresses, then the active operators named by id or by role, in one query. */
  async function resolve(to: Recipient[]): Promise<string[]> {
    const ids = to.flatMap((r) => ('operatorId' in r ? [r.operatorId] : []));
    const roles = to.flatMap((r) => ('role' in r ? [r.role] : []));
    const operators = ids.length || roles.length ? await operatorEmails(orm, ids, roles) : [];
    return [...new Set([...to.flatMap((r) => ('address' in r ? [r.address] : [])), ...operators.map((o) => o.email)])];
  }

  return {
    async sendEmail(request: EmailRequest): Promise<EmailResult> {
      // To a partner: the stored template in their language (the code's text when none is live).
      const stored = isPartnerMessage(request.template)
        ? await partnerMail(deps, request.template, String((request.data as { contractId?: string }).contractId), partnerFields(request))
        : null;
      const mail = stored?.mail ?? render(request.template, request.data as never, { publicUrl });
      const result = await deliverOnce(
        { ...deps, from: stored?.from ?? deps.from },
        {
          idempotencyKey: request.idempotencyKey,
          workflowId: request.workflowId ?? null,
          template: request.template,
          recipients: await resolve(request.to),
          mail,
        },
      );
      await auditSent(
        orm,
        { key: request.idempotencyKey, workflowId: request.workflowId ?? null, template: request.template, subject: mail.subject },
        result,
      );
      return result;
    },
  };
}
