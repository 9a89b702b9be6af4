import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Append-only: rows are inserted, never updated or deleted (the database refuses both, through the trigger). */
export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    at: p
      .datetime()
      .onCreate(() => new Date())
      .index(),
    actorType: p.string(),
    actorId: p.string().nullable(),
    action: p.text(),
    entityType: p.string(),
    entityId: p.text(),
    workflowId: p.text().nullable(),
    details: p.json<Record<string, unknown>>().default('{}'),
    /** Set for events written by workflow activities, so a retried activity writes its event once. */
    idempotencyKey: p.string().nullable().unique(),
  },
  indexes: [{ properties: ['entityType', 'entityId'] }],
  triggers: [
    {
      name: 'audit_events_no_change',
      timing: 'before',
      events: ['delete', 'update'],
      forEach: 'row',
      body: `raise exception 'audit_events is append-only';`,
    },
  ],
});
export type AuditEvent = InferEntity<typeof AuditEvent>;
