// Policies set through the API, one versioned JSON document per key; readers merge them over the code's defaults.
import { DEFAULT_MESSAGING_POLICY, type MessagingPolicy } from '../domain/messaging-policy.ts';
import type { Orm } from './orm.ts';

/** The settings key of every policy (a family's API route for it is declared in api/policies/<family>.ts). */
export const SETTINGS = {
  lifecyclePolicy: 'lifecycle_policy',
  messagingPolicy: 'messaging_policy',
  campaignApprovalPolicy: 'campaign_approval_policy',
  incidentPolicy: 'incident_policy',
  contractPolicy: 'contract_policy',
} as const;
export type SettingKey = (typeof SETTINGS)[keyof typeof SETTINGS];

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
