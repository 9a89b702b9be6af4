import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Append-only: rows are inserted, never updated or deleted (a trigger in the migration enforces it). */
export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    at: p.datetime().onCreate(() => new Date()).index(),
    actorType: p.string(),
    actorId: p.string().nullable(),
    action: p.string(),
    entityType: p.string(),
    entityId: p.string(),
    workflowId: p.string().nullable(),
    details: p.json<Record<string, unknown>>().default('{}'),
    /** Set for events written by workflow activities, so a retried activity writes its event once. */
    idempotencyKey: p.string().nullable().unique(),
  },
  indexes: [{ properties: ['entityType', 'entityId'] }],
});
export type AuditEvent = InferEntity<typeof AuditEvent>;
