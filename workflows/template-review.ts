// A message template version's review (content-review discipline): one reviewer task; whoever wrote the version
// never approves it; approval makes it live, a rejection or the author's withdrawal leaves the live version as it is.
import type { Duration } from '@temporalio/common';
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createTemplateActivities } from '../activities/message-templates.ts';
import { hasRole } from '../domain/actors.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { conflict, forbidden } from './lib/failures.ts';
import { TaskInbox } from './lib/tasks.ts';
import { templateReviewState, withdrawTemplateVersion, type TemplateReviewState } from './template-review.messages.ts';

const { recordTemplateDecision } = proxyActivities<ReturnType<typeof createTemplateActivities>>(profiles.db);

export interface TemplateReviewInput {
  versionId: string;
  key: string;
  locale: string;
  version: number;
  authorId: string;
  /** How long the review may take before it escalates to the ops managers. */
  sla?: Duration;
}

export async function templateReview(input: TemplateReviewInput): Promise<TemplateReviewState> {
  const inbox = new TaskInbox();
  const entity = { type: 'template', id: input.versionId };
  const state: TemplateReviewState = { versionId: input.versionId, status: 'in_review', taskId: null, decidedBy: null, comment: null };
  let withdrawal: { by: string; reason: string | null } | null = null;
  // The withdrawal's answer waits for the outcome's record, so a read after it sees the version withdrawn.
  let recorded = false;

  setHandler(templateReviewState, () => state);
  setHandler(
    withdrawTemplateVersion,
    async ({ actor, reason }) => {
      withdrawal = { by: actor.id, reason: reason ?? null };
      await condition(() => recorded);
      return state;
    },
    {
      validator: ({ actor }) => {
        if (state.status !== 'in_review' || withdrawal)
          throw conflict(`version ${input.version} is already ${withdrawal ? 'withdrawn' : state.status}`);
        if (actor.id !== input.authorId && !hasRole(actor, 'admin')) throw forbidden('only its author or an admin may withdraw a version');
      },
    },
  );

  const task = await inbox.open({
    kind: 'template_review',
    title: `Review the ${input.key} message (${input.locale}), version ${input.version}`,
    entity,
    candidateRole: 'reviewer',
    priority: 'normal',
    decisions: ['approve', 'reject'],
    payload: { key: input.key, locale: input.locale, version: input.version, versionId: input.versionId },
    sla: input.sla ?? '24h',
    escalationRole: 'ops_manager',
    makers: [input.authorId],
    eligible: (actor) =>
      actor.id === input.authorId ? `you wrote version ${input.version} of this template; someone else must review it` : undefined,
  });
  state.taskId = task.id;
  await condition(() => task.status === 'completed' || withdrawal !== null);

  const w = withdrawal as { by: string; reason: string | null } | null;
  if (task.status === 'completed') {
    const approved = task.decision === 'approve';
    Object.assign(state, { status: approved ? 'approved' : 'rejected', decidedBy: task.decidedBy, comment: task.comment });
  } else {
    await inbox.cancel(task.id, 'the author withdrew the version');
    Object.assign(state, { status: 'withdrawn', decidedBy: w!.by, comment: w!.reason });
  }
  await recordTemplateDecision({
    versionId: input.versionId,
    status: state.status as 'approved' | 'rejected' | 'withdrawn',
    by: state.decidedBy,
    comment: state.comment,
  });
  recorded = true;
  await audit(
    `template.${state.status}`,
    entity,
    { key: input.key, locale: input.locale, version: input.version, comment: state.comment },
    state.decidedBy ? { id: state.decidedBy } : undefined,
  );
  await inbox.settled();
  return state;
}
