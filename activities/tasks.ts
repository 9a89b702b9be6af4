import type { Orm } from '../db/orm.ts';
import { textArray } from '../db/sql.ts';
import type { TaskView } from '../workflows/lib/tasks.ts';

const COLUMNS = [
  'id', 'workflow_id', 'kind', 'title', 'entity_type', 'entity_id', 'candidate_role', 'assignee_id', 'priority',
  'due_at', 'decisions', 'payload', 'status', 'decision', 'decided_by', 'comment', 'decided_at', 'escalated_at',
  'created_at', 'updated_at', 'version',
] as const;

export function createTaskActivities({ orm }: { orm: Orm }) {
  return {
    /** Upserts the inbox row; a write carrying an older version than the stored one changes nothing. */
    async saveTask(t: TaskView): Promise<void> {
      const values = [
        t.id, t.workflowId, t.kind, t.title, t.entityType, t.entityId, t.candidateRole, t.assigneeId, t.priority,
        t.dueAt, textArray(t.decisions), JSON.stringify(t.payload), t.status, t.decision, t.decidedBy, t.comment, t.decidedAt,
        t.escalatedAt, t.createdAt, t.updatedAt, t.version,
      ];
      const updates = COLUMNS.filter((c) => c !== 'id' && c !== 'created_at').map((c) => `${c} = excluded.${c}`);
      await orm.em.getConnection().execute(
        `insert into tasks (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})
         on conflict (id) do update set ${updates.join(', ')} where tasks.version < excluded.version`,
        values,
      );
    },
  };
}
