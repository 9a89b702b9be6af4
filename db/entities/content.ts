import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ContentStage, Tier } from '../../domain/content.ts';

/** Content read model for lists; live state of one item comes from its workflow. */
export const Content = defineEntity({
  name: 'Content',
  tableName: 'content',
  properties: {
    id: p.uuid().primary(),
    workflowId: p.string().unique(),
    authorId: p.uuid().index(),
    title: p.text(),
    tier: p.string().$type<Tier>(),
    channels: p.array(),
    stage: p.string().$type<ContentStage>().index(),
    revision: p.integer().default(1),
    checkOutcome: p.string().nullable(),
    publishAt: p.datetime().nullable(),
    publishedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(0),
  },
});
export type Content = InferEntity<typeof Content>;
