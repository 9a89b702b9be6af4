// Messages every family's workflow answers: the human-task updates. Frozen wire contract.
import { defineUpdate } from '@temporalio/workflow';
import type { Actor } from './lib/actors.ts';
import type { TaskView } from './lib/tasks.ts';

export interface ClaimTaskArgs { taskId: string; actor: Actor }
export interface ReleaseTaskArgs { taskId: string; actor: Actor }
export interface CompleteTaskArgs { taskId: string; decision: string; comment?: string; actor: Actor }

export const claimTask = defineUpdate<TaskView, [ClaimTaskArgs]>('claimTask');
export const releaseTask = defineUpdate<TaskView, [ReleaseTaskArgs]>('releaseTask');
export const completeTask = defineUpdate<TaskView, [CompleteTaskArgs]>('completeTask');
