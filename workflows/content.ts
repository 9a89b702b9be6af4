// Content review and publishing: checks, reviewer tasks by tier, revisions, scheduled publish to channels. The rules
// are `ContentReview`'s (domain/content-state.ts); this file wires the messages and runs the process.
import * as wf from '@temporalio/workflow';
import { condition, setHandler } from '@temporalio/workflow';
import type { createContentActivities } from '../activities/content.ts';
import { getContentState, reschedule, submitRevision, withdraw } from './content.messages.ts';
import type { ContentReviewInput, ContentStage } from '../domain/content.ts';
import { ContentReview, type ReviewOutcome } from '../domain/content-state.ts';
import type { Actor } from '../domain/actors.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { notify } from './lib/notify.ts';
import { TaskInbox, type TaskView } from './lib/tasks.ts';
import { MovableTimer } from './lib/timer.ts';
import { onUpdate } from './lib/updates.ts';

const { runContentChecks, saveContent } = wf.proxyActivities<ReturnType<typeof createContentActivities>>(profiles.db);
const { deliverToChannel } = wf.proxyActivities<ReturnType<typeof createContentActivities>>(profiles.send);

export type ContentReviewResult = ReturnType<ContentReview['result']>;

export async function contentReview(input: ContentReviewInput): Promise<ContentReviewResult> {
  const entity = { type: 'content', id: input.contentId };
  const author = [{ operatorId: input.authorId }];
  const { workflowId } = wf.workflowInfo();
  const inbox = new TaskInbox();
  const content = new ContentReview(input);
  const { state } = content;
  const publishTimer = new MovableTimer(() => state.publishAt);
  // The read-model row is written as a step of its own (the activity's promise itself), then the audit event.
  const save = () => saveContent(content.nextRow(workflowId));
  const moveTo = async (stage: ContentStage, actor: Actor | null, detail?: Record<string, unknown>) => {
    if (!content.moveTo(stage, actor?.id ?? null, Date.now(), detail)) return;
    await save();
    await audit(`content.${stage}`, entity, { revision: state.revision, ...detail }, actor ?? undefined);
  };
  const view = () => content.view(inbox.list());
  const withdrawn = () => content.withdrawn();

  setHandler(getContentState, view);
  onUpdate(submitRevision, content.revisionRefusal, async ({ title, body, actor }) => {
    content.revise(title, body, actor.id, Date.now());
    await audit('content.revision_submitted', entity, { revision: state.revision }, actor);
    return view();
  });
  onUpdate(reschedule, content.rescheduleRefusal, async ({ publishAt, actor }) => {
    content.reschedule(publishAt, actor.id, Date.now());
    publishTimer.moved();
    await save();
    await audit('content.rescheduled', entity, { publishAt }, actor);
    return view();
  });
  onUpdate(withdraw, content.withdrawRefusal, async ({ reason, actor }) => {
    const moved = moveTo('withdrawn', actor, reason ? { reason } : undefined);
    content.withdrawnFor(reason);
    await inbox.cancelOpen('content withdrawn');
    await moved;
    return view();
  });

  /** One review round; answers whether the content may be published. */
  const review = async (): Promise<ReviewOutcome | 'withdrawn'> => {
    const tasks: TaskView[] = [];
    for (let slot = 1; slot <= state.requiredApprovals && !withdrawn(); slot++) {
      // Every task of the inbox counts for four eyes, one still being opened too (its decision may come first).
      tasks.push(await inbox.open(content.reviewTask(slot, () => inbox.list())));
    }
    if (withdrawn()) return 'withdrawn';
    await condition(() => withdrawn() || content.tally(tasks) !== 'pending');
    if (withdrawn()) return 'withdrawn';
    const outcome = content.tally(tasks) as ReviewOutcome;
    await Promise.all(tasks.map((t) => inbox.cancel(t.id, `review round ended: ${outcome}`)));
    if (withdrawn()) return 'withdrawn'; // withdrawn while the round was being closed
    return content.reviewed(tasks, outcome);
  };

  const finish = async (): Promise<ContentReviewResult> => {
    await inbox.cancelOpen(`content ${state.stage}`);
    await inbox.settled();
    await condition(wf.allHandlersFinished);
    return content.result();
  };

  content.record('submitted', input.authorId, Date.now());
  // The submission's audit event comes from here, durably, with the author as actor (runs started before this
  // patch had the API write it).
  if (wf.patched('workflow-audits-submission')) {
    await audit('content.submit', entity, { tier: state.tier, channels: state.channels }, { id: input.authorId });
  }

  // Review rounds: checks, then reviewers by tier, then revisions until approved, rejected or out of rounds.
  for (;;) {
    state.stage = 'checking';
    await save();
    content.checked(await runContentChecks({ title: state.title, body: state.body }), Date.now());
    await audit('content.checked', entity, { revision: state.revision, ...state.checks });
    if (withdrawn()) return finish();

    if (content.blocked()) {
      await moveTo('rejected', null, { by: 'checks', reasons: state.rejectionReason });
      const { findings } = state.checks!;
      await notify(`blocked:r${state.revision}`, author, 'contentBlocked', { ...content.mail(), findings });
      return finish();
    }

    if (content.needReviews(Date.now()) === 0) {
      await audit('content.auto_approved', entity, { revision: state.revision });
      break;
    }
    await moveTo('in_review', null, { requiredApprovals: state.requiredApprovals, round: state.round });
    if (withdrawn()) return finish();
    const outcome = await review();
    if (outcome === 'withdrawn') return finish();
    if (outcome === 'approved') {
      await audit('content.approved', entity, { revision: state.revision, approvals: content.approvalsOfRevision() });
      break;
    }
    const rejection = content.finalRejection(outcome);
    if (rejection) {
      await moveTo('rejected', null, { ...rejection });
      const { reason } = rejection;
      await notify(`rejected:r${state.revision}`, author, 'contentRejected', { ...content.mail(), reason });
      return finish();
    }
    await moveTo('changes_requested', null, { round: state.round, comment: state.rejectionReason });
    if (withdrawn()) return finish();
    const { round, maxRounds, rejectionReason } = state;
    await notify(`changes-requested:r${state.revision}`, author, 'changesRequested', {
      ...content.mail(),
      comment: rejectionReason ?? '',
      round,
      maxRounds,
    });
    await condition(() => content.revisionPending || withdrawn());
    if (withdrawn()) return finish();
    content.revisionTaken();
  }

  // Scheduled publish: a durable timer that the author may move or cancel until it fires.
  await moveTo('scheduled', null, { publishAt: state.publishAt });
  for (const wait of publishTimer.waits(withdrawn)) await wait;
  if (withdrawn()) return finish();

  content.publishing(Date.now());
  await moveTo('published', null, { channels: state.channels });
  await Promise.all(
    state.deliveries.map(async (d) => {
      try {
        const idempotencyKey = `${workflowId}:publish:${d.channel}`;
        await deliverToChannel({ channel: d.channel, idempotencyKey, content: content.published() });
        d.status = 'delivered';
      } catch (err) {
        if (!(err instanceof wf.ActivityFailure)) throw err;
        d.status = 'failed';
        d.error = err.cause?.message ?? err.message;
      }
      const details = { channel: d.channel, ...(d.error ? { error: d.error } : {}) };
      await audit(`content.delivery_${d.status}`, entity, details);
    }),
  );
  const { publishedAt } = content.published();
  const { deliveries } = state;
  await notify('published', author, 'contentPublished', { ...content.mail(), publishedAt, deliveries });
  return finish();
}
