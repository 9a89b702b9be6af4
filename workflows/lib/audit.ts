import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createAuditActivities } from '../../activities/audit.ts';
import type { Actor } from '../../domain/actors.ts';
import { profiles } from './activity-profiles.ts';

const { recordAudit } = proxyActivities<ReturnType<typeof createAuditActivities>>(profiles.db);

let sequence = 0;

/**
 * Writes one audit event for a workflow decision. The key (run id + a deterministic sequence) makes a retried
 * activity write its event once.
 */
export async function audit(
  action: string,
  entity: { type: string; id: string },
  details: Record<string, unknown> = {},
  actor?: Pick<Actor, 'id'>,
): Promise<void> {
  const { runId, workflowId } = workflowInfo();
  sequence += 1;
  await recordAudit({
    idempotencyKey: `${runId}/${sequence}`,
    actorType: actor ? 'operator' : 'workflow',
    actorId: actor ? actor.id : workflowId,
    action,
    entityType: entity.type,
    entityId: entity.id,
    workflowId,
    details,
  });
}
