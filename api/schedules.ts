// Recurring jobs as Temporal Schedules, made to match the configuration at every API start-up.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { REDELIVERY_SCHEDULE_ID, RFM_SCHEDULE_ID, rfmScoringId } from '../domain/ids.ts';
import type { rfmScoring } from '../workflows/rfm.ts';
import type { Logger } from '../runtime/logger.ts';

export interface ScheduleConfig {
  client: Client;
  taskQueue: string;
  /** Five-field cron, in UTC (RFM_SCHEDULE). */
  rfmCron: string;
  log: Logger;
}

function rfmSchedule(taskQueue: string, rfmCron: string) {
  return {
    spec: { cronExpressions: [rfmCron] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'rfmScoring',
      // Temporal appends the scheduled time to this id, so each nightly run has its own id (and rfm_runs row).
      workflowId: rfmScoringId('scheduled'),
      args: [{ trigger: 'schedule' as const }] as Parameters<typeof rfmScoring>,
      taskQueue,
    },
    policies: {
      // A run still scoring when the next is due makes the next one pointless.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, a missed run is taken up to an hour late; later than that the next night's run is nearer.
      catchupWindow: '1h',
    },
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
}

/** The redelivery sweep: every few minutes, events a failed POST /events left undelivered reach their lifecycle. */
function redeliverySchedule(taskQueue: string) {
  return {
    spec: { intervals: [{ every: '5m' }] },
    action: { type: 'startWorkflow' as const, workflowType: 'redeliverEvents', workflowId: REDELIVERY_SCHEDULE_ID, args: [], taskQueue },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5m' },
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
}

/**
 * Creates the schedules, or updates them to the current configuration (a changed RFM_SCHEDULE takes effect at the
 * next start). Safe to run from several API processes at once: whoever creates first wins, the others update.
 * A pause set by an operator is kept.
 */
export async function ensureSchedules({ client, taskQueue, rfmCron, log }: ScheduleConfig): Promise<void> {
  await ensure(client, RFM_SCHEDULE_ID, rfmSchedule(taskQueue, rfmCron), log);
  await ensure(client, REDELIVERY_SCHEDULE_ID, redeliverySchedule(taskQueue), log);
}

async function ensure(client: Client, scheduleId: string, wanted: Omit<ScheduleOptions, 'scheduleId'>, log: Logger) {
  try {
    await client.schedule.create({ scheduleId, ...wanted });
    log.info({ scheduleId }, 'schedule created');
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({
      ...previous,
      spec: wanted.spec,
      action: wanted.action,
      policies: { ...previous.policies, ...wanted.policies },
    }));
    log.info({ scheduleId }, 'schedule updated');
  }
}
