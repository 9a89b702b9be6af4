import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { LifecycleStage } from '../../domain/lifecycle.types.ts';

/** The settings key of the lifecycle policy (db/settings.ts gathers every family's into SETTINGS). */
export const lifecyclePolicy = 'lifecycle_policy';

/**
 * The platform's end users (not operators). The API owns the profile columns; the lifecycle workflow owns `stage`
 * (versioned), the nightly RFM run owns the `rfm*` columns, and event ingestion keeps `lastActiveAt`.
 */
export const Customer = defineEntity({
  name: 'Customer',
  tableName: 'customers',
  properties: {
    id: p.uuid().primary(),
    externalId: p.text().unique(),
    email: p.text().index(),
    name: p.text().nullable(),
    timezone: p.text().default('UTC'),
    /** BCP 47 (zh-CN, en): the language of the messages they get; null: the platform's default. */
    locale: p.text().nullable(),
    tags: p.array().defaultRaw("'{}'"),
    marketingConsent: p.boolean().default(false),
    unsubscribedAt: p.datetime().nullable(),
    /** When the unsubscription's confirmation email went out (or was given up on); null while one is owed. */
    unsubscribeConfirmedAt: p.datetime().nullable(),
    /** The secret in the unsubscribe link of every marketing email. */
    unsubscribeToken: p.text().unique().hidden(),
    stage: p.string().$type<LifecycleStage>().nullable().index(),
    stageSince: p.datetime().nullable(),
    lifecycleVersion: p.integer().default(0),
    lastActiveAt: p.datetime().nullable(),
    rfmRecency: p.smallint().nullable(),
    rfmFrequency: p.smallint().nullable(),
    rfmMonetary: p.smallint().nullable(),
    segment: p.string().nullable().index(),
    scoredAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ properties: ['tags'], type: 'gin' }],
});
export type Customer = InferEntity<typeof Customer>;
