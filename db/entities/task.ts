import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { TaskStatus } from '../../domain/task-view.ts';

/** The task inbox read model; the owning workflow is the source of truth and writes every change here. */
export const Task = defineEntity({
  name: 'Task',
  tableName: 'tasks',
  properties: {
    id: p.uuid().primary(),
    workflowId: p.string().index(),
    kind: p.string(),
    title: p.text(),
    entityType: p.string(),
    entityId: p.string(),
    candidateRole: p.string(),
    assigneeId: p.uuid().nullable(),
    priority: p.string(),
    dueAt: p.datetime().nullable(),
    decisions: p.array(),
    payload: p.json<Record<string, unknown>>().default('{}'),
    status: p.string().$type<TaskStatus>().index(),
    decision: p.string().nullable(),
    decidedBy: p.uuid().nullable(),
    comment: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
    escalatedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    /** Written by the workflow; an upsert keeps the highest, so a late retry cannot undo a newer change. */
    version: p.integer().default(0),
  },
  indexes: [{ properties: ['entityType', 'entityId'] }, { properties: ['candidateRole', 'status'] }],
});
export type Task = InferEntity<typeof Task>;
