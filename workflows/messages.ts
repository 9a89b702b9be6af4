// Messages every family's workflow answers: the human-task updates. Frozen wire contract.
import { defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../domain/actors.ts';
import type { TaskView } from './lib/tasks.ts';

export interface ClaimTaskArgs {
  taskId: string;
  actor: Actor;
}
export interface ReleaseTaskArgs {
  taskId: string;
  actor: Actor;
}
export interface CompleteTaskArgs {
  taskId: string;
  decision: string;
  comment?: string;
  actor: Actor;
}
/** `assignee` with the roles the API found on the operator: the workflow checks the task's role and its own rules. */
export interface AssignTaskArgs {
  taskId: string;
  assignee: Actor;
  actor: Actor;
}

export const claimTask = defineUpdate<TaskView, [ClaimTaskArgs]>('claimTask');
export const releaseTask = defineUpdate<TaskView, [ReleaseTaskArgs]>('releaseTask');
export const completeTask = defineUpdate<TaskView, [CompleteTaskArgs]>('completeTask');
export const assignTask = defineUpdate<TaskView, [AssignTaskArgs]>('assignTask');
