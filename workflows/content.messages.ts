// Content review messages: frozen wire contract shared by the workflow and the API.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../domain/actors.ts';
import type { ContentState } from '../domain/content.ts';

export interface SubmitRevisionArgs {
  title: string;
  body: string;
  actor: Actor;
}
export interface RescheduleArgs {
  publishAt: string | null;
  actor: Actor;
}
export interface WithdrawArgs {
  reason?: string;
  actor: Actor;
}

export const submitRevision = defineUpdate<ContentState, [SubmitRevisionArgs]>('submitRevision');
export const reschedule = defineUpdate<ContentState, [RescheduleArgs]>('reschedule');
export const withdraw = defineUpdate<ContentState, [WithdrawArgs]>('withdraw');
export const getContentState = defineQuery<ContentState>('getContentState');
