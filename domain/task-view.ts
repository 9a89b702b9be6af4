// Pure: the task as the workflow, the inbox table and the API all see it.
import type { Role } from './actors.ts';

export const TASK_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const TASK_STATUSES = ['open', 'escalated', 'completed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The task as the API and the inbox table see it (ISO times, plain data). */
export interface TaskView {
  id: string;
  workflowId: string;
  kind: string;
  title: string;
  entityType: string;
  entityId: string;
  candidateRole: Role;
  assigneeId: string | null;
  priority: TaskPriority;
  dueAt: string | null;
  decisions: string[];
  payload: Record<string, unknown>;
  status: TaskStatus;
  decision: string | null;
  decidedBy: string | null;
  comment: string | null;
  decidedAt: string | null;
  escalatedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Increases with every change; the inbox table keeps the highest, so late writes cannot undo newer ones. */
  version: number;
}
