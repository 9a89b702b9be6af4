// Content review and publishing: checks, reviewer tasks by tier, revisions, scheduled publish to channels.
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createContentActivities } from '../activities/content.ts';
import { getContentState, reschedule, submitRevision, withdraw } from './content.messages.ts';
import {
  CONTENT_DECISIONS,
  DEFAULT_MAX_ROUNDS,
  DEFAULT_REVIEW_SLA,
  isFinal,
  priorityFor,
  requiredApprovals,
  tallyRound,
  type ContentReviewInput,
  type ContentStage,
  type ContentState,
} from '../domain/content.ts';
import type { Actor } from '../domain/actors.ts';
import { hasRole } from '../domain/actors.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { conflict, forbidden, unprocessable } from './lib/failures.ts';
import { notify } from './lib/notify.ts';
import { makerRefusal, makersOf, TaskInbox, type TaskView } from './lib/tasks.ts';
import { MovableTimer } from './lib/timer.ts';

const { runContentChecks, saveContent } = proxyActivities<ReturnType<typeof createContentActivities>>(profiles.db);
const { deliverToChannel } = proxyActivities<ReturnType<typeof createContentActivities>>(profiles.send);

export interface ContentReviewResult {
  stage: ContentStage;
  revision: number;
  publishedAt: string | null;
  rejectionReason: string | null;
}

export async function contentReview(input: ContentReviewInput): Promise<ContentReviewResult> {
  const entity = { type: 'content', id: input.contentId };
  const author = [{ operatorId: input.authorId }];
  const inbox = new TaskInbox();
  // Open tasks live in the inbox; view() adds them to what the query and the updates answer.
  const state: Omit<ContentState, 'openTasks'> = {
    contentId: input.contentId,
    authorId: input.authorId,
    title: input.title,
    body: input.body,
    tier: input.tier,
    channels: input.channels,
    stage: 'checking',
    revision: 1,
    edits: [],
    round: 1,
    maxRounds: input.maxRounds ?? DEFAULT_MAX_ROUNDS,
    reviewSla: input.reviewSla ?? DEFAULT_REVIEW_SLA[input.tier],
    requiredApprovals: 0,
    checks: null,
    approvals: [],
    publishAt: input.publishAt ?? null,
    publishedAt: null,
    deliveries: [],
    rejectionReason: null,
    history: [],
  };
  let version = 0;
  let revisionPending = false;
  const publishTimer = new MovableTimer(() => state.publishAt);

  const now = () => new Date(Date.now()).toISOString();
  const record = (event: string, actor: Actor | null, detail?: Record<string, unknown>) => {
    state.history.push({ at: now(), event, actorId: actor?.id ?? null, ...(detail ? { detail } : {}) });
  };
  const save = () => {
    version += 1;
    return saveContent({
      id: state.contentId,
      workflowId: workflowInfo().workflowId,
      authorId: state.authorId,
      title: state.title,
      tier: state.tier,
      channels: state.channels,
      stage: state.stage,
      revision: state.revision,
      checkOutcome: state.checks?.outcome ?? null,
      publishAt: state.publishAt,
      publishedAt: state.publishedAt,
      version,
    });
  };
  /** A final stage is never left: a withdrawal racing the main loop wins. */
  const moveTo = async (stage: ContentStage, actor: Actor | null, detail?: Record<string, unknown>) => {
    if (isFinal(state.stage)) return;
    state.stage = stage;
    record(stage, actor, detail);
    await save();
    await audit(`content.${stage}`, entity, { revision: state.revision, ...detail }, actor ?? undefined);
  };
  const requireAuthor = (actor: Actor) => {
    if (actor.id !== state.authorId && !hasRole(actor, 'admin')) throw forbidden('only the author or an admin may do this');
  };

  /** What the query and every update answer: the state with the tasks still waiting for a decision. */
  const view = (): ContentState => ({ ...state, openTasks: inbox.list().filter((t) => t.status === 'open' || t.status === 'escalated') });

  setHandler(getContentState, view);

  setHandler(submitRevision, async ({ title, body, actor }) => {
    state.previous = { revision: state.revision, title: state.title, body: state.body };
    state.title = title;
    state.body = body;
    state.revision += 1;
    state.edits.push({ version: state.revision, operatorId: actor.id, at: now() });
    state.round += 1;
    revisionPending = true;
    record('revision_submitted', actor, { revision: state.revision });
    await audit('content.revision_submitted', entity, { revision: state.revision }, actor);
    return view();
  }, {
    validator: ({ actor }) => {
      requireAuthor(actor);
      if (state.stage !== 'changes_requested' || revisionPending) {
        throw conflict(`a revision is accepted only after changes were requested; the content is ${state.stage}`);
      }
    },
  });

  setHandler(reschedule, async ({ publishAt, actor }) => {
    state.publishAt = publishAt;
    publishTimer.moved();
    record('rescheduled', actor, { publishAt });
    await save();
    await audit('content.rescheduled', entity, { publishAt }, actor);
    return view();
  }, {
    validator: ({ publishAt, actor }) => {
      requireAuthor(actor);
      if (isFinal(state.stage)) throw conflict(`the content is already ${state.stage}`);
      if (publishAt !== null && Date.parse(publishAt) <= Date.now()) throw unprocessable('publishAt must be in the future');
    },
  });

  setHandler(withdraw, async ({ reason, actor }) => {
    const moved = moveTo('withdrawn', actor, reason ? { reason } : undefined);
    state.rejectionReason = reason ?? null;
    await inbox.cancelOpen('content withdrawn');
    await moved;
    return view();
  }, {
    validator: ({ actor }) => {
      requireAuthor(actor);
      if (isFinal(state.stage)) throw conflict(`the content is already ${state.stage}; only unpublished content can be withdrawn`);
    },
  });

  const withdrawn = () => state.stage === 'withdrawn';

  /** One review round; answers whether the content may be published. */
  const review = async (): Promise<'approved' | 'rejected' | 'changes_requested' | 'withdrawn'> => {
    const required = state.requiredApprovals;
    const round = state.round;
    const tasks: TaskView[] = [];
    // Every task of this round, including one still being opened (its decision may arrive before open() returns).
    const roundTasks = () => inbox.list().filter((t) => t.kind === 'content_review' && t.payload.round === round);
    for (let slot = 1; slot <= required && !withdrawn(); slot++) {
      tasks.push(await inbox.open({
        kind: 'content_review',
        title: `Review ${state.tier}-tier content "${state.title}" (revision ${state.revision}${required > 1 ? `, approval ${slot} of ${required}` : ''})`,
        entity,
        candidateRole: 'reviewer',
        priority: priorityFor(state.tier),
        decisions: CONTENT_DECISIONS,
        sla: state.reviewSla as Duration,
        escalationRole: input.escalationRole ?? 'ops_manager',
        payload: { revision: state.revision, round, checks: state.checks },
        makers: makersOf(state.authorId, state.edits, state.revision),
        eligible: (actor, task) => {
          if (actor.id === state.authorId) return 'no one reviews their own content';
          const maker = makerRefusal(state.edits, state.revision, actor, `submitted revision ${state.revision} of this content`, 'review');
          if (maker) return maker;
          if (roundTasks().some((t) => t.id !== task.id && (t.decidedBy === actor.id || t.assigneeId === actor.id))) {
            return 'you already hold or decided another approval of this revision; a second reviewer must decide';
          }
          return undefined;
        },
      }));
    }
    if (withdrawn()) return 'withdrawn';
    await condition(() => withdrawn() || tallyRound(tasks, required) !== 'pending');
    if (withdrawn()) return 'withdrawn';
    const outcome = tallyRound(tasks, required);
    await Promise.all(tasks.map((t) => inbox.cancel(t.id, `review round ended: ${outcome}`)));
    if (withdrawn()) return 'withdrawn'; // withdrawn while the round was being closed
    for (const t of tasks.filter((x) => x.decision === 'approve')) {
      state.approvals.push({ reviewerId: t.decidedBy!, revision: state.revision, at: t.decidedAt! });
    }
    const decisive = tasks.find((t) => t.decision === 'reject' || t.decision === 'request_changes');
    state.rejectionReason = decisive?.comment ?? null;
    return outcome as 'approved' | 'rejected' | 'changes_requested';
  };

  const finish = async (): Promise<ContentReviewResult> => {
    await inbox.cancelOpen(`content ${state.stage}`);
    await inbox.settled();
    await condition(allHandlersFinished);
    return { stage: state.stage, revision: state.revision, publishedAt: state.publishedAt, rejectionReason: state.rejectionReason };
  };

  state.history.push({ at: now(), event: 'submitted', actorId: input.authorId });
  // The submission's audit event comes from here, durably, with the author as actor (runs started before this
  // patch had the API write it).
  if (patched('workflow-audits-submission')) {
    await audit('content.submit', entity, { tier: state.tier, channels: state.channels }, { id: input.authorId });
  }

  // Review rounds: checks, then reviewers by tier, then revisions until approved, rejected or out of rounds.
  for (;;) {
    state.stage = 'checking';
    await save();
    state.checks = await runContentChecks({ title: state.title, body: state.body });
    record('checked', null, { outcome: state.checks.outcome, findings: state.checks.findings.length });
    await audit('content.checked', entity, { revision: state.revision, ...state.checks });
    if (withdrawn()) return finish();

    if (state.checks.outcome === 'block') {
      state.rejectionReason = state.checks.findings.filter((f) => f.severity === 'block').map((f) => f.message).join('; ');
      await moveTo('rejected', null, { by: 'checks', reasons: state.rejectionReason });
      await notify(`blocked:r${state.revision}`, author, 'contentBlocked', {
        contentId: state.contentId, title: state.title, findings: state.checks.findings,
      });
      return finish();
    }

    state.requiredApprovals = requiredApprovals(state.tier, state.checks.outcome);
    if (state.requiredApprovals === 0) {
      record('auto_approved', null);
      await audit('content.auto_approved', entity, { revision: state.revision });
      break;
    }
    await moveTo('in_review', null, { requiredApprovals: state.requiredApprovals, round: state.round });
    if (withdrawn()) return finish();
    const outcome = await review();
    if (outcome === 'withdrawn') return finish();
    if (outcome === 'approved') {
      await audit('content.approved', entity, { revision: state.revision, approvals: state.approvals.filter((a) => a.revision === state.revision) });
      break;
    }
    if (outcome === 'rejected' || state.round >= state.maxRounds) {
      const reason = outcome === 'rejected'
        ? (state.rejectionReason ?? 'rejected by a reviewer')
        : `changes were requested in the last of ${state.maxRounds} review rounds`;
      state.rejectionReason = reason;
      await moveTo('rejected', null, { by: outcome === 'rejected' ? 'reviewer' : 'round_limit', reason });
      await notify(`rejected:r${state.revision}`, author, 'contentRejected', {
        contentId: state.contentId, title: state.title, reason,
      });
      return finish();
    }
    await moveTo('changes_requested', null, { round: state.round, comment: state.rejectionReason });
    if (withdrawn()) return finish();
    await notify(`changes-requested:r${state.revision}`, author, 'changesRequested', {
      contentId: state.contentId, title: state.title, comment: state.rejectionReason ?? '', round: state.round, maxRounds: state.maxRounds,
    });
    await condition(() => revisionPending || withdrawn());
    if (withdrawn()) return finish();
    revisionPending = false;
    state.rejectionReason = null;
  }

  // Scheduled publish: a durable timer that the author may move or cancel until it fires.
  await moveTo('scheduled', null, { publishAt: state.publishAt });
  for (const wait of publishTimer.waits(withdrawn)) await wait;
  if (withdrawn()) return finish();

  state.publishedAt = now();
  state.deliveries = state.channels.map((channel) => ({ channel, status: 'pending' }));
  await moveTo('published', null, { channels: state.channels });
  await Promise.all(state.deliveries.map(async (d) => {
    try {
      await deliverToChannel({
        channel: d.channel,
        idempotencyKey: `${workflowInfo().workflowId}:publish:${d.channel}`,
        content: {
          id: state.contentId, title: state.title, body: state.body, tier: state.tier,
          revision: state.revision, publishedAt: state.publishedAt!,
        },
      });
      d.status = 'delivered';
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      d.status = 'failed';
      d.error = err.cause?.message ?? err.message;
    }
    await audit(`content.delivery_${d.status}`, entity, { channel: d.channel, ...(d.error ? { error: d.error } : {}) });
  }));
  await notify('published', author, 'contentPublished', {
    contentId: state.contentId, title: state.title, publishedAt: state.publishedAt, deliveries: state.deliveries,
  });
  return finish();
}
