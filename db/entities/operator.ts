import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Role } from '../../domain/actors.ts';

export const Operator = defineEntity({
  name: 'Operator',
  tableName: 'operators',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    email: p.text().unique(),
    roles: p.array().$type<Role[]>(),
    tokenHash: p.string().unique().hidden(),
    disabled: p.boolean().default(false),
    /** Email me when a task opens for one of my roles or is assigned to me (the operator's own setting). */
    taskEmails: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Operator = InferEntity<typeof Operator>;
