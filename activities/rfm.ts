// RFM scoring: the run's inputs are checked here, db/rfm.ts scores every customer in one statement.
import { ApplicationFailure } from '@temporalio/activity';
import type { Orm } from '../db/orm.ts';
import { scoreRfmRun } from '../db/rfm.ts';
import { MAX_LOOKBACK_DAYS, type RfmResult, type RfmTrigger } from '../domain/rfm.ts';

export interface ScoreRfmInput {
  /** The rfm_runs key: the workflow id, so a retried activity finds its own run. */
  runId: string;
  trigger: RfmTrigger;
  asOf: string;
  lookbackDays: number;
}

export function createRfmActivities({ orm }: { orm: Orm }) {
  return {
    /** Scores every customer as of `asOf`; a retry of a finished run answers the recorded result without re-scoring. */
    async scoreRfm({ runId, trigger, asOf, lookbackDays }: ScoreRfmInput): Promise<RfmResult> {
      if (!Number.isInteger(lookbackDays) || lookbackDays < 1 || lookbackDays > MAX_LOOKBACK_DAYS) {
        throw ApplicationFailure.nonRetryable(`lookbackDays must be a whole number from 1 to ${MAX_LOOKBACK_DAYS}`, 'Unprocessable');
      }
      if (Number.isNaN(Date.parse(asOf))) throw ApplicationFailure.nonRetryable(`asOf is not a time: ${asOf}`, 'Unprocessable');

      return scoreRfmRun(orm, { runId, trigger, asOf, lookbackDays });
    },
  };
}
