import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createEmailActivities, EmailRequest, Recipient } from '../../activities/email.ts';
import type { TemplateName, TemplateData } from '../../activities/templates.ts';
import { profiles } from './activity-profiles.ts';

const { sendEmail } = proxyActivities<ReturnType<typeof createEmailActivities>>(profiles.send);

/**
 * Sends one templated email for a workflow step. The idempotency key is the workflow id plus the step name, so a
 * retried or replayed step never mails twice; `step` must therefore be unique within the workflow.
 */
export async function notify<T extends TemplateName>(
  step: string,
  to: Recipient[],
  template: T,
  data: TemplateData<T>,
): Promise<void> {
  const request: EmailRequest<T> = { idempotencyKey: `${workflowInfo().workflowId}:${step}`, to, template, data };
  await sendEmail(request as EmailRequest);
}
