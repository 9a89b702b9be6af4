// The append-only audit log, written by the API and by workflow activities alike.
import type { Orm } from './orm.ts';

export interface AuditInput {
  /** Set by workflows (run id + sequence) so a retried activity writes its event once. */
  idempotencyKey?: string;
  actorType: 'operator' | 'workflow' | 'system' | 'customer';
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  workflowId?: string | null;
  details?: Record<string, unknown>;
}

/** Appends one event to the audit log: for API mutations, and for workflow decisions through recordAudit. */
export async function appendAudit(orm: Orm, e: AuditInput): Promise<void> {
  await orm.em.getConnection().execute(
    `insert into audit_events (at, actor_type, actor_id, action, entity_type, entity_id, workflow_id, details, idempotency_key)
     values (now(), ?, ?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
    [
      e.actorType,
      e.actorId,
      e.action,
      e.entityType,
      e.entityId,
      e.workflowId ?? null,
      JSON.stringify(e.details ?? {}),
      e.idempotencyKey ?? null,
    ],
  );
}
