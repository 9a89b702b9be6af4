// Policies set through the API, one versioned JSON document per key; readers merge them over the code's defaults.
import { DEFAULT_MESSAGING_POLICY, type MessagingPolicy } from '../domain/messaging-policy.ts';
import * as model from './entities/index.ts';
import type { Orm } from './orm.ts';

// Each family declares its policies' keys in its entity file, beside its entities (`export const feedbackPolicy =
// 'feedback_policy';`), so the entity list in entities/index.ts is the one list a family is added to.
type Model = typeof model;
/** A policy's settings key: a string ending in _policy that an entity file exports. */
export type SettingKey = Extract<Model[keyof Model], `${string}_policy`>;
const isSettingKey = (value: unknown): value is SettingKey => typeof value === 'string' && value.endsWith('_policy');

/** Every settings key, by the name its entity file exports it under: SETTINGS.lifecyclePolicy is 'lifecycle_policy'. */
export const SETTINGS = Object.fromEntries(Object.entries(model).filter(([, value]) => isSettingKey(value))) as {
  [Name in keyof Model as Model[Name] extends SettingKey ? Name : never]: Model[Name];
};

/** The stored document over the defaults, with the stored version (the defaults' version when nothing is stored). */
export async function readSetting<T extends { version: number }>(orm: Orm, key: SettingKey, defaults: T): Promise<T> {
  const [row] = await orm.em
    .getConnection()
    .execute<{ value: Partial<T>; version: number }[]>('select value, version from settings where key = ?', [key]);
  return row ? { ...defaults, ...row.value, version: row.version } : defaults;
}

/** Replaces the document; answers the new version. */
export async function writeSetting(orm: Orm, key: SettingKey, value: object, updatedBy: string): Promise<number> {
  const [row] = await orm.em.getConnection().execute<{ version: number }[]>(
    `insert into settings (key, value, version, updated_by, updated_at) values (?, ?, 1, ?, now())
     on conflict (key) do update set value = excluded.value, version = settings.version + 1,
       updated_by = excluded.updated_by, updated_at = now()
     returning version`,
    [key, JSON.stringify(value), updatedBy],
  );
  return row!.version;
}

/** The customer messaging policy as stored over its defaults (cap, quiet hours, default language, brand). */
export const readMessagingPolicy = (orm: Orm): Promise<MessagingPolicy> =>
  readSetting(orm, SETTINGS.messagingPolicy, DEFAULT_MESSAGING_POLICY);
