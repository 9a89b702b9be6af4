// When a campaign's budget needs an admin's approval besides the ops manager's.
import { z } from 'zod';
import { SETTINGS } from '../../db/settings.ts';
import { DEFAULT_CAMPAIGN_APPROVAL_POLICY, type CampaignApprovalPolicy } from '../../domain/campaign.ts';
import { amountPerCurrency, definePolicy } from './policy.ts';

const campaignApprovalPolicyIn = z
  .object({
    secondApprovalAbove: amountPerCurrency().describe(
      'per currency: a budget above this needs an admin approval too; a currency not named always needs both',
    ),
  })
  .strict();

export const campaignApprovalPolicy = definePolicy<CampaignApprovalPolicy>({
  path: '/policies/campaign-approval',
  key: SETTINGS.campaignApprovalPolicy,
  defaults: DEFAULT_CAMPAIGN_APPROVAL_POLICY,
  schema: campaignApprovalPolicyIn,
  what: 'campaign budget approval policy (when an admin approves too)',
});
