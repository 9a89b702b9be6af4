// Partner contracts' approvals, signing links, reminders and expiry; it applies to contracts from their next step.
import { z } from 'zod';
import { SETTINGS } from '../../db/settings.ts';
import { DEFAULT_CONTRACT_POLICY, type ContractPolicy } from '../../domain/contract.ts';
import { durationBetween } from '../schemas.ts';
import { amountPerCurrency, DAY, definePolicy, MINUTE } from './policy.ts';

const contractPolicyIn = z
  .object({
    secondApprovalAbove: amountPerCurrency().describe(
      "per currency: a contract worth more needs an admin approval besides legal's; a currency not named always does",
    ),
    approvalOrder: z.enum(['parallel', 'sequential']).describe('legal and admin at once, or legal first'),
    linkValidity: durationBetween(MINUTE, 90 * DAY, "'1m' to '90d'").describe("how long a partner's signing link works"),
    signatureReminderEvery: durationBetween(MINUTE, 90 * DAY, "'1m' to '90d'").describe(
      'a new link and reminder this often while unsigned',
    ),
    signatureExpiry: durationBetween(MINUTE, 365 * DAY, "'1m' to '365d'").describe(
      'unsigned this long after the internal signature, the contract expires',
    ),
  })
  .strict();

export const contractPolicy = definePolicy<ContractPolicy>({
  path: '/policies/contracts',
  key: SETTINGS.contractPolicy,
  defaults: DEFAULT_CONTRACT_POLICY,
  schema: contractPolicyIn,
  what: 'contract policy (approvals, signing links, reminders and expiry); ' + 'it applies to contracts from their next step',
});
