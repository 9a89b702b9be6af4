// The approval round: one task per approving role, in parallel or one after another, until every role approved,
// one rejected, or the process stopped the round (closed, or what is under approval changed).
import { condition } from '@temporalio/workflow';
import type { Actor, Role } from '../../domain/actors.ts';
import { approvalsOf, type TaskInbox, type TaskSpec, type TaskView } from './tasks.ts';

export type RoundOutcome = 'approved' | 'rejected' | 'stopped';

export interface ApprovalRoundSpec {
  /** One task per role, opened in this order. */
  roles: readonly Role[];
  /** parallel (default): every task opens, then the round waits; sequential: a task opens once the last approved. */
  order?: 'parallel' | 'sequential';
  /** The task for a role; `round` is the round's tasks so far (live), should its `eligible` rule need them. */
  task: (role: Role, round: readonly TaskView[]) => TaskSpec;
  /** Ends the round without a decision. It wins over a rejection given in the same moment. */
  stopped: () => boolean;
  /**
   * A parallel round opens no task once stopped; true opens every role all the same, each as a step of its own, as
   * contract's rounds did (their histories hold the commands in that order).
   */
  openEvery?: boolean;
  /**
   * Four eyes within the round: whoever decided another of its tasks (or holds one, with `holding`) is refused with
   * `refusal`, after the task's own `eligible` rule.
   */
  oneApprovalEach?: { refusal: string; holding?: boolean };
}

/**
 * Run as `while (await round.open()) { await round.decided(); if (round.outcome() !== 'pending') break; }`, in
 * either order, then read `round.outcome()`. The caller awaits the decision itself: no async step stands between
 * the last decision and its next command, so the order of commands in a workflow task stays as inline code had it.
 */
export class ApprovalRound {
  /** The round's tasks as they open (live: a view shows the approvals given so far from it). */
  readonly tasks: TaskView[] = [];
  private readonly inbox: TaskInbox;
  private readonly spec: ApprovalRoundSpec;
  private openedAll = false;

  constructor(inbox: TaskInbox, spec: ApprovalRoundSpec) {
    this.inbox = inbox;
    this.spec = spec;
  }

  /** Opens the tasks (sequential: the next one); false when there was none left to open. */
  async open(): Promise<boolean> {
    const { roles, stopped, openEvery } = this.spec;
    if (this.spec.order === 'sequential') {
      const role = roles[this.tasks.length];
      if (role === undefined) return false;
      await this.openOne(role);
      return true;
    }
    if (this.openedAll) return false;
    this.openedAll = true;
    for (const role of roles) {
      if (openEvery) {
        await this.openOne(role);
        continue;
      }
      if (stopped()) break;
      this.tasks.push(await this.inbox.open(this.taskFor(role)));
    }
    return true;
  }

  /** Resolves once every task opened is decided, one was rejected, or the round stopped. */
  decided(): Promise<void> {
    const allDecided = () => this.tasks.every((t) => t.status === 'completed');
    return condition(() => this.spec.stopped() || this.rejection() !== undefined || allDecided());
  }

  /** Where the round stands: stopped wins over a rejection; pending while a role has not approved yet. */
  outcome(): RoundOutcome | 'pending' {
    if (this.spec.stopped()) return 'stopped';
    if (this.rejection()) return 'rejected';
    const approved = this.tasks.length === this.spec.roles.length && this.tasks.every((t) => t.status === 'completed');
    return approved ? 'approved' : 'pending';
  }

  /** The first rejection given in this round. */
  rejection(): TaskView | undefined {
    return this.tasks.find((t) => t.status === 'completed' && t.decision === 'reject');
  }

  /** Who approved, in which role, when, with what comment. */
  approvals() {
    return approvalsOf(this.tasks);
  }

  /** Cancels the round's tasks still open, all at once, each with the reason (the caller awaits them itself). */
  close(reason: string): Promise<unknown> {
    return Promise.all(this.tasks.map((t) => this.inbox.cancel(t.id, reason)));
  }

  private async openOne(role: Role): Promise<number> {
    return this.tasks.push(await this.inbox.open(this.taskFor(role)));
  }

  private taskFor(role: Role): TaskSpec {
    const spec = this.spec.task(role, this.tasks);
    const oneEach = this.spec.oneApprovalEach;
    if (!oneEach) return spec;
    const own = spec.eligible;
    const holds = (t: TaskView, a: Actor) => t.decidedBy === a.id || (oneEach.holding && t.assigneeId === a.id);
    const decidedOther = (actor: Actor, task: TaskView) => this.tasks.some((t) => t.id !== task.id && holds(t, actor));
    const eligible = (actor: Actor, task: TaskView, decision?: string) =>
      own?.(actor, task, decision) ?? (decidedOther(actor, task) ? oneEach.refusal : undefined);
    return { ...spec, eligible };
  }
}
