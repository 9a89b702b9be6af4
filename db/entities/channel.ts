import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A publishing destination: content is POSTed to its webhook, signed with its secret. */
export const Channel = defineEntity({
  name: 'Channel',
  tableName: 'channels',
  properties: {
    id: p.uuid().primary(),
    name: p.string().unique(),
    url: p.text(),
    secret: p.string().hidden(),
    enabled: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Channel = InferEntity<typeof Channel>;
