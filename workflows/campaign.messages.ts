// Campaign messages: frozen wire contract shared by the workflow and the API.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CampaignSpec, CampaignState } from '../domain/campaign.ts';
import type { Actor } from '../domain/actors.ts';

export interface CampaignActionArgs {
  actor: Actor;
  reason?: string;
}
/**
 * The whole spec while in draft or pending approval; only `schedule` once approved. `revision`: the one the change
 * was made on; a campaign changed since refuses it (409).
 */
export interface EditCampaignArgs {
  actor: Actor;
  spec: CampaignSpec;
  revision?: number;
}

export const submitCampaign = defineUpdate<CampaignState, [CampaignActionArgs]>('submitCampaign');
export const editCampaign = defineUpdate<CampaignState, [EditCampaignArgs]>('editCampaign');
export const pauseCampaign = defineUpdate<CampaignState, [CampaignActionArgs]>('pauseCampaign');
export const resumeCampaign = defineUpdate<CampaignState, [CampaignActionArgs]>('resumeCampaign');
export const cancelCampaign = defineUpdate<CampaignState, [CampaignActionArgs]>('cancelCampaign');
export const endCampaign = defineUpdate<CampaignState, [CampaignActionArgs]>('endCampaign');
export const getCampaign = defineQuery<CampaignState>('getCampaign');
