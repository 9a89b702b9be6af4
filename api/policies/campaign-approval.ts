// When a campaign's budget needs an admin's approval besides the ops manager's.
import { z } from 'zod';
import { SETTINGS } from '../../db/settings.ts';
import { DEFAULT_CAMPAIGN_APPROVAL_POLICY, type CampaignApprovalPolicy } from '../../domain/campaign.ts';
import { definePolicy } from './policy.ts';

const campaignApprovalPolicyIn = z.object({
  secondApprovalAbove: z.record(z.string().regex(/^[A-Z]{3}$/, 'keys must be ISO 4217 codes such as USD'), z.number().min(0).max(1e12))
    .describe('per currency: a budget above this needs an admin approval too; a currency not named always needs both'),
}).strict();

export const campaignApprovalPolicy = definePolicy<CampaignApprovalPolicy>({
  path: '/policies/campaign-approval', key: SETTINGS.campaignApprovalPolicy, defaults: DEFAULT_CAMPAIGN_APPROVAL_POLICY,
  schema: campaignApprovalPolicyIn, what: 'campaign budget approval policy (when an admin approves too)',
});
