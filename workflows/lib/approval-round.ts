// The approval round: one task per approving role, in parallel or one after another, until every role approved,
// one rejected, or the process stopped the round (closed, or what is under approval changed).
import { condition } from '@temporalio/workflow';
import type { Role } from '../../domain/actors.ts';
import { approvalsOf, type TaskInbox, type TaskSpec, type TaskView } from './tasks.ts';

export type RoundOutcome = 'approved' | 'rejected' | 'stopped';

export interface ApprovalRoundSpec {
  /** One task per role, opened in this order. */
  roles: readonly Role[];
  /** parallel (default): every task opens, then the round waits; sequential: a task opens once the last approved. */
  order?: 'parallel' | 'sequential';
  /** The task for a role; `round` is the round's tasks so far, live, for a one-approval-each rule in `eligible`. */
  task: (role: Role, round: readonly TaskView[]) => TaskSpec;
  /** Ends the round without a decision. It wins over a rejection given in the same moment. */
  stopped: () => boolean;
  /** A parallel round opens no task once stopped; true opens every role all the same (contract's rounds did). */
  openEvery?: boolean;
}

export class ApprovalRound {
  /** The round's tasks as they open (live: a view shows the approvals given so far from it). */
  readonly tasks: TaskView[] = [];
  private readonly inbox: TaskInbox;
  private readonly spec: ApprovalRoundSpec;

  constructor(inbox: TaskInbox, spec: ApprovalRoundSpec) {
    this.inbox = inbox;
    this.spec = spec;
  }

  /** Opens the tasks and waits for the round's end; the tasks stay open for the caller to `close`. */
  async run(): Promise<RoundOutcome> {
    const { roles, stopped } = this.spec;
    if (this.spec.order === 'sequential') {
      for (const [i, role] of roles.entries()) {
        await this.open(role);
        await condition(() => this.interrupted() || this.settled(i + 1));
        if (this.interrupted()) break;
      }
    } else {
      for (const role of roles) {
        if (!this.spec.openEvery && stopped()) break;
        await this.open(role);
      }
      await condition(() => this.interrupted() || this.settled(roles.length));
    }
    if (stopped()) return 'stopped';
    return this.rejection() ? 'rejected' : 'approved';
  }

  /** The first rejection given in this round. */
  rejection(): TaskView | undefined {
    return this.tasks.find((t) => t.status === 'completed' && t.decision === 'reject');
  }

  /** Who approved, in which role, when, with what comment. */
  approvals(): ReturnType<typeof approvalsOf> {
    return approvalsOf(this.tasks);
  }

  /** Cancels the round's tasks still open, all at once, each with the reason. */
  async close(reason: string): Promise<void> {
    await Promise.all(this.tasks.map((t) => this.inbox.cancel(t.id, reason)));
  }

  private async open(role: Role): Promise<void> {
    this.tasks.push(await this.inbox.open(this.spec.task(role, this.tasks)));
  }

  private interrupted(): boolean {
    return this.spec.stopped() || this.rejection() !== undefined;
  }

  private settled(count: number): boolean {
    return this.tasks.length === count && this.tasks.every((t) => t.status === 'completed');
  }
}
