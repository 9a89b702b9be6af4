// The task inbox in PostgreSQL: every task workflow saves its whole view here, the API lists and counts it.
import { raw } from '@mikro-orm/core';
import type { Actor } from '../domain/actors.ts';
import { TASK_PRIORITIES, type TaskView } from '../domain/task-view.ts';
import { Task } from './entities/index.ts';
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

/** Urgent first: the priorities in their order of urgency (an unknown one last). */
const PRIORITY_ORDER = `array_position(array[${TASK_PRIORITIES.map((p) => `'${p}'`).join(', ')}]::text[], priority)`;

/** One page of the inbox rows matching `where`, most urgent first (by priority, then due time), and their count. */
export function inboxPage(orm: Orm, where: Record<string, unknown>, page: { limit: number; offset: number }): Promise<[Task[], number]> {
  return orm.em.findAndCount(Task, where, {
    orderBy: [{ [raw(PRIORITY_ORDER)]: 'asc' }, { dueAt: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
    limit: page.limit,
    offset: page.offset,
  });
}

/** The active operators with this role, by name (at most 500): whom a task for the role can be assigned to. */
export async function taskCandidates(orm: Orm, role: string): Promise<{ id: string; name: string }[]> {
  return orm.em
    .getConnection()
    .execute<{ id: string; name: string }[]>(
      'select id, name from operators where not disabled and ? = any(roles) order by lower(name), id limit 500',
      [role],
    );
}

/** An active operator by id, with the roles an assignment is checked against, or undefined. */
export async function activeAssignee(orm: Orm, id: string): Promise<{ id: string; name: string; roles: Actor['roles'] } | undefined> {
  const [row] = await orm.em
    .getConnection()
    .execute<{ id: string; name: string; roles: Actor['roles'] }[]>('select id, name, roles from operators where id = ? and not disabled', [
      id,
    ]);
  return row;
}
