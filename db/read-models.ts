// Read-model writes shared by the API (the first row, at submission) and the workflow activities (every change).
import type { ContentStage, Tier } from '../domain/content.ts';
import type { Orm } from './orm.ts';
import { textArray } from './sql.ts';

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
  await orm.em.getConnection().execute(
    `insert into content (id, workflow_id, author_id, title, tier, channels, stage, revision, check_outcome, publish_at,
       published_at, created_at, updated_at, version)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now(), ?)
     on conflict (id) do update set title = excluded.title, stage = excluded.stage, revision = excluded.revision,
       check_outcome = excluded.check_outcome, publish_at = excluded.publish_at, published_at = excluded.published_at,
       updated_at = now(), version = excluded.version
     where content.version < excluded.version`,
    [c.id, c.workflowId, c.authorId, c.title, c.tier, textArray(c.channels), c.stage, c.revision, c.checkOutcome,
      c.publishAt, c.publishedAt, c.version],
  );
}
