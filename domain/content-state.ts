// Pure: a content review as a state machine over plain data, as Lifecycle is for a customer. The workflow
// (workflows/content.ts) feeds it requests, checks, reviewers' decisions and the clock, and carries out durably what
// it decides; its update validators answer from here.
import type { Duration } from '@temporalio/common';
import type { TaskView } from './task-view.ts';
import { hasRole, type Actor } from './actors.ts';
import {
  CONTENT_DECISIONS,
  DEFAULT_MAX_ROUNDS,
  DEFAULT_REVIEW_SLA,
  isFinal,
  priorityFor,
  requiredApprovals,
  tallyRound,
  type CheckResult,
  type ContentReviewInput,
  type ContentStage,
  type ContentState,
} from './content.ts';
import { makerRefusal, makersOf } from './maker-checker.ts';
import { refuseConflict, refuseForbidden, refuseUnprocessable, type Refusal } from './refusal.ts';

const iso = (now: number) => new Date(now).toISOString();

export type ReviewOutcome = 'approved' | 'rejected' | 'changes_requested';

export class ContentReview {
  /** The live state without the open tasks, which come from the inbox when it is read. */
  readonly state: Omit<ContentState, 'openTasks'>;
  /** A revision submitted after changes were requested, until the main loop takes it. */
  revisionPending = false;
  private readonly escalationRole: 'ops_manager' | 'admin';
  private version = 0;

  constructor(input: ContentReviewInput) {
    this.escalationRole = input.escalationRole ?? 'ops_manager';
    this.state = {
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
  }

  withdrawn(): boolean {
    return this.state.stage === 'withdrawn';
  }

  /** What the query and every update answer: the state with the tasks still waiting for a decision. */
  view(tasks: TaskView[]): ContentState {
    return { ...this.state, openTasks: tasks.filter((t) => t.status === 'open' || t.status === 'escalated') };
  }

  /** What every email about the content names. */
  mail(): { contentId: string; title: string } {
    return { contentId: this.state.contentId, title: this.state.title };
  }

  /** An entry of the timeline. */
  record(event: string, actorId: string | null, now: number, detail?: Record<string, unknown>): void {
    this.state.history.push({ at: iso(now), event, actorId, ...(detail ? { detail } : {}) });
  }

  /** The next read-model row, one version above the last. */
  nextRow(workflowId: string) {
    const s = this.state;
    this.version += 1;
    return {
      id: s.contentId,
      workflowId,
      authorId: s.authorId,
      title: s.title,
      tier: s.tier,
      channels: s.channels,
      stage: s.stage,
      revision: s.revision,
      checkOutcome: s.checks?.outcome ?? null,
      publishAt: s.publishAt,
      publishedAt: s.publishedAt,
      version: this.version,
    };
  }

  /** Moves to a stage; false when it stays. A final stage is never left (a withdrawal racing the main loop wins). */
  moveTo(stage: ContentStage, actorId: string | null, now: number, detail?: Record<string, unknown>): boolean {
    if (isFinal(this.state.stage)) return false;
    this.state.stage = stage;
    this.record(stage, actorId, now, detail);
    return true;
  }

  readonly revisionRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { stage } = this.state;
    if (stage === 'changes_requested' && !this.revisionPending) return this.authorRefusal(actor);
    const refusal = `a revision is accepted only after changes were requested; the content is ${stage}`;
    return this.authorRefusal(actor) ?? refuseConflict(refusal);
  };

  /** A new revision starts the next round; the one before is kept for the reviewer's diff. */
  revise(title: string, body: string, actorId: string, now: number): void {
    const s = this.state;
    s.previous = { revision: s.revision, title: s.title, body: s.body };
    s.title = title;
    s.body = body;
    s.revision += 1;
    s.edits.push({ version: s.revision, operatorId: actorId, at: iso(now) });
    s.round += 1;
    this.revisionPending = true;
    this.record('revision_submitted', actorId, now, { revision: s.revision });
  }

  /** The main loop takes the revision: its checks run again. */
  revisionTaken(): void {
    this.revisionPending = false;
    this.state.rejectionReason = null;
  }

  readonly rescheduleRefusal = ({ publishAt, actor }: { publishAt: string | null; actor: Actor }, now: number) => {
    const refusal = this.authorRefusal(actor) ?? this.finalRefusal(`the content is already ${this.state.stage}`);
    if (refusal) return refusal;
    const past = publishAt !== null && Date.parse(publishAt) <= now;
    return past ? refuseUnprocessable('publishAt must be in the future') : undefined;
  };

  reschedule(publishAt: string | null, actorId: string, now: number): void {
    this.state.publishAt = publishAt;
    this.record('rescheduled', actorId, now, { publishAt });
  }

  readonly withdrawRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { stage } = this.state;
    const refusal = `the content is already ${stage}; only unpublished content can be withdrawn`;
    return this.authorRefusal(actor) ?? this.finalRefusal(refusal);
  };

  checked(checks: CheckResult, now: number): void {
    this.state.checks = checks;
    this.record('checked', null, now, { outcome: checks.outcome, findings: checks.findings.length });
  }

  /** Blocking findings reject the content at once: the reason names them. */
  blocked(): boolean {
    const { checks } = this.state;
    if (checks?.outcome !== 'block') return false;
    this.state.rejectionReason = checks.findings
      .filter((f) => f.severity === 'block')
      .map((f) => f.message)
      .join('; ');
    return true;
  }

  /** How many reviewers this revision needs, by tier and checks; none approves it at once. */
  needReviews(now: number): number {
    const s = this.state;
    s.requiredApprovals = requiredApprovals(s.tier, s.checks!.outcome);
    if (s.requiredApprovals === 0) this.record('auto_approved', null, now);
    return s.requiredApprovals;
  }

  /**
   * The review task for a slot of this round. No one reviews their own content or the revision they submitted, and
   * one reviewer decides one slot: `tasks` lists the inbox, tasks still being opened included.
   */
  reviewTask(slot: number, tasks: () => TaskView[]) {
    const s = this.state;
    const { requiredApprovals: required, round, revision } = s;
    const ofSlot = required > 1 ? `, approval ${slot} of ${required}` : '';
    return {
      kind: 'content_review',
      title: `Review ${s.tier}-tier content "${s.title}" (revision ${revision}${ofSlot})`,
      entity: { type: 'content', id: s.contentId },
      candidateRole: 'reviewer' as const,
      priority: priorityFor(s.tier),
      decisions: CONTENT_DECISIONS,
      sla: s.reviewSla as Duration,
      escalationRole: this.escalationRole,
      payload: { revision, round, checks: s.checks },
      makers: makersOf(s.authorId, s.edits, revision),
      // The reviewers hear of a round of several approvals once, not once per approval.
      ...(required > 1
        ? {
            sharedEmails: {
              key: `review-round-${round}`,
              title: `Review ${s.tier}-tier content "${s.title}" (revision ${revision}, ${required} approvals)`,
            },
          }
        : {}),
      eligible: (actor: Actor, task: TaskView) => {
        if (actor.id === s.authorId) return 'no one reviews their own content';
        const made = `submitted revision ${s.revision} of this content`;
        const maker = makerRefusal(s.edits, s.revision, actor, made, 'review');
        if (maker) return maker;
        const ofRound = tasks().filter((t) => t.kind === 'content_review' && t.payload.round === round);
        const other = (t: TaskView) => t.id !== task.id && (t.decidedBy === actor.id || t.assigneeId === actor.id);
        if (!ofRound.some(other)) return undefined;
        return 'you already hold or decided another approval of this revision; a second reviewer must decide';
      },
    };
  }

  /** The round's outcome so far: its first reject or request for changes, or enough approvals. */
  tally(tasks: TaskView[]) {
    return tallyRound(tasks, this.state.requiredApprovals);
  }

  /** The round is over: its approvals count for this revision, and a rejection or request for changes says why. */
  reviewed(tasks: TaskView[], outcome: ReviewOutcome): ReviewOutcome {
    const s = this.state;
    for (const t of tasks.filter((x) => x.decision === 'approve')) {
      s.approvals.push({ reviewerId: t.decidedBy!, revision: s.revision, at: t.decidedAt! });
    }
    const decisive = tasks.find((t) => t.decision === 'reject' || t.decision === 'request_changes');
    s.rejectionReason = decisive?.comment ?? null;
    return outcome;
  }

  /** The approvals this revision got. */
  approvalsOfRevision() {
    return this.state.approvals.filter((a) => a.revision === this.state.revision);
  }

  /** A reviewer rejected it, or changes were requested in the last round: why it ends rejected, and by what. */
  finalRejection(outcome: ReviewOutcome): { by: 'reviewer' | 'round_limit'; reason: string } | null {
    const s = this.state;
    if (outcome !== 'rejected' && s.round < s.maxRounds) return null;
    const reason =
      outcome === 'rejected'
        ? (s.rejectionReason ?? 'rejected by a reviewer')
        : `changes were requested in the last of ${s.maxRounds} review rounds`;
    s.rejectionReason = reason;
    return { by: outcome === 'rejected' ? 'reviewer' : 'round_limit', reason };
  }

  /** The author withdrew it (the stage moved first: a withdrawal racing the main loop wins). */
  withdrawnFor(reason: string | undefined): void {
    this.state.rejectionReason = reason ?? null;
  }

  /** Publishing starts: every channel pending. */
  publishing(now: number): void {
    this.state.publishedAt = iso(now);
    this.state.deliveries = this.state.channels.map((channel) => ({ channel, status: 'pending' }));
  }

  /** The content as a channel receives it. */
  published() {
    const { contentId: id, title, body, tier, revision, publishedAt } = this.state;
    return { id, title, body, tier, revision, publishedAt: publishedAt! };
  }

  result() {
    const { stage, revision, publishedAt, rejectionReason } = this.state;
    return { stage, revision, publishedAt, rejectionReason };
  }

  private authorRefusal(actor: Actor): Refusal | undefined {
    if (actor.id === this.state.authorId || hasRole(actor, 'admin')) return undefined;
    return refuseForbidden('only the author or an admin may do this');
  }

  private finalRefusal(message: string): Refusal | undefined {
    return isFinal(this.state.stage) ? refuseConflict(message) : undefined;
  }
}
