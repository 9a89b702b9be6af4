// The human task: every family opens tasks through this inbox, waits for decisions with an SLA, escalates, closes.
import type { Duration } from '@temporalio/common';
import { condition, patched, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { createTaskActivities } from '../../activities/tasks.ts';
import { assignTask, claimTask, completeTask, releaseTask, type CompleteTaskArgs } from '../messages.ts';
import type { Actor, Role } from '../../domain/actors.ts';
import type { Refusal } from '../../domain/refusal.ts';
import { assignRefusal, claimRefusal, completeRefusal, isClosed, releaseRefusal, type Eligible } from '../../domain/task-rules.ts';
import { profiles } from './activity-profiles.ts';
import { audit } from './audit.ts';
import { notFound } from './failures.ts';
import { notify } from './notify.ts';
import { announceAssigned, announceOpened } from './task-mail.ts';
import { refuse } from './updates.ts';
import type { TaskPriority, TaskView } from '../../domain/task-view.ts';
import { durationToMs } from '../../domain/durations.ts';

export type { TaskView } from '../../domain/task-view.ts';

const { saveTask } = proxyActivities<ReturnType<typeof createTaskActivities>>(profiles.db);

export interface TaskSpec {
  kind: string;
  title: string;
  entity: { type: string; id: string };
  candidateRole: Role;
  priority: TaskPriority;
  decisions: readonly string[];
  payload?: Record<string, unknown>;
  /** When the SLA passes the task escalates (email to `escalationRole`, status escalated) and keeps waiting. */
  sla?: Duration;
  escalationRole?: Role;
  /** A family rule on who may claim or decide (four-eyes, no self-approval): a refusal reason, or undefined. */
  eligible?: (actor: Actor, task: TaskView, decision?: string) => string | undefined;
  /** Who made what the task decides (its author, the version's editor): `eligible` refuses them, the email skips them. */
  makers?: readonly string[];
  /**
   * Tasks of one round for one role (an S-tier review's two approvals) share their emails: each operator hears of the
   * round once, under `title`, and the round's escalation is one email. `key` names the round within the workflow.
   */
  sharedEmails?: { key: string; title: string };
}

interface Entry {
  view: TaskView;
  spec: TaskSpec;
}

/**
 * The inbox row and its audit event are independent writes. Since the `parallel-task-writes` patch they go out
 * together (a decision's answer waits for one round trip, not two); runs started before it keep writing them one
 * after the other, as their histories say (tests/replay/histories/v0-*).
 */
async function writeBoth(row: () => Promise<unknown>, event: () => Promise<unknown>): Promise<void> {
  if (patched('parallel-task-writes')) {
    await Promise.all([row(), event()]);
  } else {
    await row();
    await event();
  }
}

// Pure maker-checker rules, kept importable from here for the families that use them with the inbox.
export { approvalsOf, makerRefusal, makersOf, type VersionEdit } from '../../domain/maker-checker.ts';

const nowIso = () => new Date(Date.now()).toISOString();

export class TaskInbox {
  private readonly entries = new Map<string, Entry>();
  /**
   * Running SLA clocks and task-open emails; a workflow awaits them (settled) before it returns, so no escalation or
   * email is cut off halfway.
   */
  private readonly clocks = new Set<Promise<void>>();

  /** Registers the task updates; call once, at the top of the workflow. */
  constructor() {
    setHandler(
      claimTask,
      async ({ taskId, actor }) =>
        this.change(taskId, actor, 'task.claimed', (t) => {
          t.assigneeId = actor.id;
        }),
      { validator: ({ taskId, actor }) => this.check(taskId, (view, eligible) => claimRefusal(view, actor, eligible)) },
    );
    setHandler(
      releaseTask,
      async ({ taskId, actor }) =>
        this.change(taskId, actor, 'task.released', (t) => {
          t.assigneeId = null;
        }),
      { validator: ({ taskId, actor }) => this.check(taskId, (view) => releaseRefusal(view, actor)) },
    );
    // An ops manager or admin hands an open task to someone who may decide it; the assignee is emailed (unless they
    // turned task emails off). Only a call to it adds commands, so runs from before it replay as they were.
    setHandler(
      assignTask,
      async ({ taskId, assignee, actor }) => {
        const view = await this.change(
          taskId,
          actor,
          'task.assigned',
          (t) => {
            t.assigneeId = assignee.id;
          },
          { assigneeId: assignee.id },
        );
        this.track(announceAssigned(view, actor));
        return view;
      },
      {
        validator: ({ taskId, assignee, actor }) => this.check(taskId, (view, eligible) => assignRefusal(view, actor, assignee, eligible)),
      },
    );
    setHandler(completeTask, async (args) => this.complete(args.taskId, args.actor, args.decision, args.comment), {
      validator: ({ taskId, actor, decision }: CompleteTaskArgs) =>
        this.check(taskId, (view, eligible, spec) => completeRefusal(view, actor, decision, spec.decisions, eligible)),
    });
  }

  /** Opens a task: writes it to the inbox and starts its SLA clock. */
  async open(spec: TaskSpec): Promise<TaskView> {
    const created = nowIso();
    const slaMs = spec.sla === undefined ? undefined : durationToMs(spec.sla);
    const view: TaskView = {
      id: uuid4(),
      workflowId: workflowInfo().workflowId,
      kind: spec.kind,
      title: spec.title,
      entityType: spec.entity.type,
      entityId: spec.entity.id,
      candidateRole: spec.candidateRole,
      assigneeId: null,
      priority: spec.priority,
      dueAt: slaMs === undefined ? null : new Date(Date.now() + slaMs).toISOString(),
      decisions: [...spec.decisions],
      payload: spec.payload ?? {},
      status: 'open',
      decision: null,
      decidedBy: null,
      comment: null,
      decidedAt: null,
      escalatedAt: null,
      createdAt: created,
      updatedAt: created,
      version: 1,
    };
    this.entries.set(view.id, { view, spec });
    const snapshot = { ...view };
    await writeBoth(
      () => saveTask(snapshot),
      () => audit('task.opened', spec.entity, { taskId: view.id, kind: spec.kind, candidateRole: spec.candidateRole }),
    );
    // Since the `task-open-emails` patch the operators it is for are emailed, without holding up the process; runs
    // started before it open their tasks silently, as their histories say (tests/replay/histories).
    if (patched('task-open-emails')) this.track(announceOpened(view, spec.makers ?? [], spec.sharedEmails));
    if (slaMs !== undefined) this.track(this.watchSla(view, spec, slaMs));
    return view;
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => this.clocks.delete(tracked));
    this.clocks.add(tracked);
  }

  /**
   * Records a decision the workflow took in through one of its own updates (which did its own checks), as if the
   * actor had completed the task.
   */
  async complete(taskId: string, actor: Actor, decision: string, comment?: string): Promise<TaskView> {
    return this.change(
      taskId,
      actor,
      'task.completed',
      (t) => {
        t.status = 'completed';
        t.decision = decision;
        t.comment = comment ?? null;
        t.decidedBy = actor.id;
        t.decidedAt = nowIso();
        t.assigneeId = actor.id;
      },
      { decision, comment: comment ?? null },
    );
  }

  /** Closes a task nobody needs to decide any more (the process moved on). */
  async cancel(taskId: string, reason: string): Promise<void> {
    const { view, spec } = this.get(taskId);
    if (isClosed(view)) return;
    view.status = 'cancelled';
    view.comment = reason;
    this.touch(view);
    const snapshot = { ...view };
    await writeBoth(
      () => saveTask(snapshot),
      () => audit('task.cancelled', spec.entity, { taskId, reason }),
    );
  }

  async cancelOpen(reason: string): Promise<void> {
    await Promise.all(
      this.list()
        .filter((t) => !isClosed(t))
        .map((t) => this.cancel(t.id, reason)),
    );
  }

  list(): TaskView[] {
    return [...this.entries.values()].map((e) => e.view);
  }

  /** Resolves when every SLA clock has stopped: call after closing the tasks, before the workflow returns. */
  async settled(): Promise<void> {
    await Promise.all([...this.clocks]);
  }

  private async watchSla(view: TaskView, spec: TaskSpec, slaMs: number): Promise<void> {
    // The timer may win in the same activation that closes the task: look again before escalating.
    if ((await condition(() => isClosed(view), slaMs)) || isClosed(view)) return;
    view.status = 'escalated';
    view.escalatedAt = nowIso();
    this.touch(view);
    await saveTask({ ...view });
    const role = spec.escalationRole ?? 'ops_manager';
    await audit('task.escalated', spec.entity, { taskId: view.id, escalatedTo: role, dueAt: view.dueAt });
    if (isClosed(view)) return; // decided while the escalation was being recorded: no one needs chasing
    // A round's tasks escalate together: one key, so the ledger sends the role one email for the round.
    await notify(`task-escalated:${spec.sharedEmails?.key ?? view.id}`, [{ role }], 'taskEscalated', {
      taskId: view.id,
      taskTitle: spec.sharedEmails?.title ?? view.title,
      candidateRole: view.candidateRole,
      dueAt: view.dueAt ?? view.escalatedAt,
    });
  }

  private async change(
    taskId: string,
    actor: Actor,
    action: string,
    mutate: (t: TaskView) => void,
    details: Record<string, unknown> = {},
  ): Promise<TaskView> {
    const { view, spec } = this.get(taskId);
    mutate(view); // before any await: later validators see the new state
    this.touch(view);
    const snapshot = { ...view };
    await writeBoth(
      () => saveTask(snapshot),
      () => audit(action, spec.entity, { taskId, ...details }, actor),
    );
    return snapshot;
  }

  private touch(view: TaskView): void {
    view.updatedAt = nowIso();
    view.version += 1;
  }

  private get(taskId: string): Entry {
    const entry = this.entries.get(taskId);
    if (!entry) throw notFound(`task ${taskId} does not belong to this workflow`);
    return entry;
  }

  /** A task update's validator: an unknown task is not found; else the task rules' refusal, thrown. */
  private check(taskId: string, rule: (view: TaskView, eligible: Eligible, spec: TaskSpec) => Refusal | undefined): void {
    const { view, spec } = this.get(taskId);
    refuse(rule(view, (actor, decision) => spec.eligible?.(actor, view, decision), spec));
  }
}
