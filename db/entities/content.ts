import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const CONTENT_STAGES = [
  'checking', 'in_review', 'changes_requested', 'scheduled', 'published', 'rejected', 'withdrawn',
] as const;
export type ContentStage = (typeof CONTENT_STAGES)[number];

/** Content read model for lists; live state of one item comes from its workflow. */
export const Content = defineEntity({
  name: 'Content',
  tableName: 'content',
  properties: {
    id: p.uuid().primary(),
    workflowId: p.string().unique(),
    authorId: p.uuid().index(),
    title: p.text(),
    tier: p.string().$type<'S' | 'A' | 'B'>(),
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
