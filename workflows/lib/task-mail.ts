// The human task's emails: to its role when it opens, to its assignee when it is handed to them. They go out beside
// the process without holding it up; a mail server down for good is audited and the process goes on.
import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { createTaskMailActivities } from '../../activities/task-mail.ts';
import type { Actor } from '../../domain/actors.ts';
import { profiles } from './activity-profiles.ts';
import { audit } from './audit.ts';
import type { TaskView } from '../../domain/task-view.ts';

const { announceTask, announceAssignment } = proxyActivities<ReturnType<typeof createTaskMailActivities>>(profiles.send);

/**
 * Emails the task's role (each operator once, unless they turned it off), skipping who made what it decides; a task
 * of a round that shares its emails is told of under the round's title, once for the round.
 */
export async function announceOpened(view: TaskView, makers: readonly string[], shared?: { key: string; title: string }): Promise<void> {
  const { id: taskId, workflowId, candidateRole, assigneeId, priority, dueAt } = view;
  const title = shared?.title ?? view.title;
  const round = shared ? { round: shared.key } : {};
  try {
    await announceTask({ taskId, workflowId, title, candidateRole, assigneeId, priority, dueAt, skip: [...makers], ...round });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = err.cause?.message ?? err.message;
    log.warn('task-open email not sent', { taskId, reason });
    await audit(
      'email.failed',
      { type: 'email', id: `${workflowId}:task-opened:${shared?.key ?? taskId}` },
      { template: 'taskOpened', reason },
    );
  }
}

/** Emails the assignee of a task handed to them. */
export async function announceAssigned(view: TaskView, by: Actor): Promise<void> {
  const { id: taskId, workflowId, title, candidateRole, assigneeId, priority, dueAt } = view;
  try {
    await announceAssignment({ taskId, workflowId, title, candidateRole, assigneeId, priority, dueAt, assignedBy: by.id });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = err.cause?.message ?? err.message;
    log.warn('task-assigned email not sent', { taskId, reason });
    const email = { type: 'email', id: `${workflowId}:task-assigned:${taskId}:${assigneeId}` };
    await audit('email.failed', email, { template: 'taskAssigned', reason });
  }
}
