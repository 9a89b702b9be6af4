import { ActivityFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createEmailActivities, EmailRequest, EmailResult, Recipient } from '../../activities/email.ts';
import type { TemplateName, TemplateData } from '../../activities/templates.ts';
import { profiles } from './activity-profiles.ts';
import { audit } from './audit.ts';

const { sendEmail } = proxyActivities<ReturnType<typeof createEmailActivities>>(profiles.send);

/**
 * Sends one templated email for a workflow step; a mail that cannot go out after all retries is audited and the
 * process goes on (a broken mail server must not fail a content review). The idempotency key is the workflow id plus the step name, so a
 * retried or replayed step never mails twice; `step` must therefore be unique within the workflow. Answers what the
 * ledger did (null when it gave up).
 */
export async function notify<T extends TemplateName>(
  step: string,
  to: Recipient[],
  template: T,
  data: TemplateData<T>,
): Promise<EmailResult | null> {
  const { workflowId } = workflowInfo();
  const request: EmailRequest<T> = { idempotencyKey: `${workflowId}:${step}`, workflowId, to, template, data };
  try {
    return await sendEmail(request as EmailRequest);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = err.cause?.message ?? err.message;
    log.warn('email not sent', { step, template, reason });
    await audit('email.failed', { type: 'email', id: request.idempotencyKey }, { template, reason });
    return null;
  }
}
