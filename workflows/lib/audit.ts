import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createAuditActivities } from '../../activities/audit.ts';
import type { Actor } from '../../domain/actors.ts';
import { profiles } from './activity-profiles.ts';

const { recordAudit } = proxyActivities<ReturnType<typeof createAuditActivities>>(profiles.db);

/**
 * Writes one audit event for a workflow decision. Its key is fixed in the activity's input, so a retried activity
 * writes the event once. `step` names the event uniquely within the run (a `Recorder` numbers its own); without it
 * the key is the workflow task's history length and the event's content: both are the same on replay, and two
 * distinct events of one workflow task never share them.
 */
export async function audit(
  action: string,
  entity: { type: string; id: string },
  details: Record<string, unknown> = {},
  actor?: Pick<Actor, 'id'>,
  step?: string,
): Promise<void> {
  const { runId, workflowId, historyLength } = workflowInfo();
  const key = step ?? `h${historyLength}:${digest(JSON.stringify([action, entity, actor?.id ?? null, details]))}`;
  await recordAudit({
    idempotencyKey: `${runId}/${key}`,
    actorType: actor ? 'operator' : 'workflow',
    actorId: actor ? actor.id : workflowId,
    action,
    entityType: entity.type,
    entityId: entity.id,
    workflowId,
    details,
  });
}

/** A 53-bit string hash (cyrb53): short keys, and no collision in practice among one workflow task's events. */
function digest(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
