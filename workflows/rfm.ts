// RFM scoring: one run scores every customer. The nightly Schedule (api/schedules.ts) and the API start it.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createRfmActivities } from '../activities/rfm.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { DEFAULT_LOOKBACK_DAYS, type RfmResult, type RfmScoringInput } from '../domain/rfm.ts';

const { scoreRfm } = proxyActivities<ReturnType<typeof createRfmActivities>>(profiles.batch);

export async function rfmScoring(input: RfmScoringInput = {}): Promise<RfmResult> {
  const { workflowId: runId, runStartTime } = workflowInfo();
  const trigger = input.trigger ?? 'manual';
  // The start time is in the history, so a replay scores as of the same moment.
  const asOf = input.asOf ?? runStartTime.toISOString();
  const lookbackDays = input.lookbackDays ?? DEFAULT_LOOKBACK_DAYS;

  const result = await scoreRfm({ runId, trigger, asOf, lookbackDays });
  await audit('rfm.scored', { type: 'rfm_run', id: runId }, { trigger, asOf, lookbackDays, ...result });
  return result;
}
