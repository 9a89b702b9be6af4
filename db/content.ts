// Content in PostgreSQL: the list row, written by the API (the first row, at submission) and the review workflow
// (every change), and the publishing channels it delivers to.
import { performance } from 'node:perf_hooks';
import type { ContentStage, Tier } from '../domain/content.ts';
import type { Orm } from './orm.ts';
import { changeCache, type CacheSpec } from './change-cache.ts';
import { prepared, runPrepared } from './prepared.ts';
import { textArray } from './sql.ts';
import { NOW, versionedUpsert } from './versioned-upsert.ts';

export interface ContentRecord {
  id: string;
  workflowId: string;
  authorId: string;
  title: string;
  tier: Tier;
  channels: string[];
  stage: ContentStage;
  revision: number;
  checkOutcome: string | null;
  publishAt: string | null;
  publishedAt: string | null;
  version: number;
}

/**
 * Upserts the content list row. Versions order the writes: an older one never overwrites a newer one, so the API's
 * version-0 row only ever creates the row.
 */
export async function saveContentRow(orm: Orm, c: ContentRecord): Promise<void> {
  await versionedUpsert(
    orm,
    'content',
    {
      id: c.id,
      workflow_id: c.workflowId,
      author_id: c.authorId,
      title: c.title,
      tier: c.tier,
      channels: textArray(c.channels),
      stage: c.stage,
      revision: c.revision,
      check_outcome: c.checkOutcome,
      publish_at: c.publishAt,
      published_at: c.publishedAt,
      created_at: NOW,
      updated_at: NOW,
      version: c.version,
    },
    ['workflow_id', 'author_id', 'tier', 'channels', 'created_at'],
  );
}

const FIRST_ROW = prepared(
  'content_first_row',
  `insert into content (id, workflow_id, author_id, title, tier, channels, stage, revision, check_outcome, publish_at,
     published_at, created_at, updated_at, version)
   values ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10, $11, now(), now(), 0)
   on conflict (id) do nothing`,
);

/**
 * The API's first list row of a submission (version 0): saveContentRow's upsert at version 0, which only ever creates
 * the row (any stored row has version 0 or more), as one prepared insert.
 */
export async function saveFirstContentRow(orm: Orm, c: Omit<ContentRecord, 'version'>): Promise<void> {
  await runPrepared(orm, FIRST_ROW, [
    c.id,
    c.workflowId,
    c.authorId,
    c.title,
    c.tier,
    c.channels,
    c.stage,
    c.revision,
    c.checkOutcome,
    c.publishAt,
    c.publishedAt,
  ]);
}

export interface ChannelRow {
  name: string;
  url: string;
  secret: string;
  enabled: boolean;
}

/** A publishing channel by name, or undefined. */
export async function findChannel(orm: Orm, name: string): Promise<ChannelRow | undefined> {
  const [row] = await orm.em
    .getConnection()
    .execute<ChannelRow[]>('select name, url, secret, enabled from channels where name = ?', [name]);
  return row;
}

const ENABLED_CHANNELS = prepared('enabled_channel_names', 'select name from channels where name = any($1::text[]) and enabled');

/** Channel name -> enabled (false: disabled or no such channel); emptied by any change to the channels table. */
const CHANNEL_CACHE: CacheSpec = { table: 'channels', max: 1_000 };

/**
 * Which of these channel names are enabled channels. Every submission asks: answered from a cache that any change to
 * the channels table empties, once every change committed before `asOf` (performance.now() when the request arrived)
 * has been heard (see change-cache.ts); what it does not hold is read.
 */
export async function enabledChannelNames(orm: Orm, names: readonly string[], asOf = performance.now()): Promise<Set<string>> {
  const cache = await changeCache<boolean>(orm, CHANNEL_CACHE);
  const cached = (await cache?.fresh(names, asOf)) ?? new Map<string, boolean>();
  const known = new Set(names.filter((name) => cached.get(name) === true));
  const missing = names.filter((name) => !cached.has(name));
  if (missing.length === 0) return known;
  const stamp = cache?.stamp();
  const rows = await runPrepared<{ name: string }>(orm, ENABLED_CHANNELS, [missing]);
  const enabled = new Set(rows.map((c) => c.name));
  const entries = missing.map((name) => [name, enabled.has(name)] as const);
  if (stamp) cache!.set(stamp, entries);
  for (const name of enabled) known.add(name);
  return known;
}
