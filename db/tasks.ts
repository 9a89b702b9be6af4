// The task inbox in PostgreSQL: every task workflow saves its whole view here, the API lists and counts it.
import type { TaskView } from '../workflows/lib/task-view.ts';
import type { Orm } from './orm.ts';
import { textArray } from './sql.ts';
import { versionedUpsert } from './versioned-upsert.ts';

/** Upserts the inbox row; a write carrying an older version than the stored one changes nothing. */
export async function saveTaskRow(orm: Orm, t: TaskView): Promise<void> {
  await versionedUpsert(
    orm,
    'tasks',
    {
      id: t.id,
      workflow_id: t.workflowId,
      kind: t.kind,
      title: t.title,
      entity_type: t.entityType,
      entity_id: t.entityId,
      candidate_role: t.candidateRole,
      assignee_id: t.assigneeId,
      priority: t.priority,
      due_at: t.dueAt,
      decisions: textArray(t.decisions),
      payload: JSON.stringify(t.payload),
      status: t.status,
      decision: t.decision,
      decided_by: t.decidedBy,
      comment: t.comment,
      decided_at: t.decidedAt,
      escalated_at: t.escalatedAt,
      created_at: t.createdAt,
      updated_at: t.updatedAt,
      version: t.version,
    },
    ['created_at'],
  );
}
