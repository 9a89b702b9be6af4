// The human task's emails (every family's tasks).
import { compose, type Template } from './compose.ts';

export const taskTemplates = {
  taskEscalated: ((d: { taskId: string; taskTitle: string; candidateRole: string; dueAt: string }, ctx) =>
    compose(`[opsflow] Overdue task: ${d.taskTitle}`, [
      `The task "${d.taskTitle}" for the ${d.candidateRole} role passed its due time (${d.dueAt}) without a decision.`,
      'It stays open and is now marked escalated. Please make sure someone decides it.',
      `${ctx.publicUrl}/console/inbox/${d.taskId}`,
    ])) satisfies Template<never>,
};
