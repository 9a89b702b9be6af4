// Content in PostgreSQL: the list row, written by the API (the first row, at submission) and the review workflow
// (every change), and the publishing channels it delivers to.
import type { ContentStage, Tier } from '../domain/content.ts';
import type { Orm } from './orm.ts';
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

/** Which of these channel names are enabled channels. */
export async function enabledChannelNames(orm: Orm, names: readonly string[]): Promise<Set<string>> {
  const rows = await orm.em
    .getConnection()
    .execute<{ name: string }[]>('select name from channels where name = any(?::text[]) and enabled', [textArray(names)]);
  return new Set(rows.map((c) => c.name));
}
