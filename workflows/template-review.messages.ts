// The template review's messages. Frozen wire contract.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../domain/actors.ts';

export interface TemplateReviewState {
  versionId: string;
  status: 'in_review' | 'approved' | 'rejected' | 'withdrawn';
  taskId: string | null;
  decidedBy: string | null;
  comment: string | null;
}

export interface WithdrawTemplateArgs {
  actor: Actor;
  reason?: string;
}

export const withdrawTemplateVersion = defineUpdate<TemplateReviewState, [WithdrawTemplateArgs]>('withdrawTemplateVersion');
export const templateReviewState = defineQuery<TemplateReviewState>('templateReviewState');
