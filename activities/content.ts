import { ApplicationFailure, activityInfo } from '@temporalio/activity';
import type { Orm } from '../db/orm.ts';
import { textArray } from '../db/sql.ts';
import type { ContentStage, Tier } from '../workflows/content.rules.ts';
import { checkContent, type CheckRules } from './content-checks.ts';
import { deliverWebhook } from './webhooks.ts';

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

export interface ChannelPost {
  channel: string;
  idempotencyKey: string;
  content: { id: string; title: string; body: string; tier: Tier; revision: number; publishedAt: string };
}

export function createContentActivities(deps: { orm: Orm; checkRules: CheckRules; webhookTimeoutMs: number }) {
  const { orm } = deps;
  return {
    async runContentChecks(input: { title: string; body: string }) {
      return checkContent(deps.checkRules, input);
    },

    /** Upserts the list read model; an older version never overwrites a newer one. */
    async saveContent(c: ContentRecord): Promise<void> {
      await orm.em.fork().getConnection().execute(
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
    },

    async deliverToChannel(post: ChannelPost) {
      const [channel] = await orm.em.fork().getConnection().execute<{ name: string; url: string; secret: string; enabled: boolean }[]>(
        'select name, url, secret, enabled from channels where name = ?', [post.channel]);
      if (!channel) throw ApplicationFailure.nonRetryable(`channel ${post.channel} does not exist`, 'UnknownChannel');
      if (!channel.enabled) throw ApplicationFailure.nonRetryable(`channel ${post.channel} is disabled`, 'ChannelDisabled');
      return deliverWebhook(orm, channel, {
        idempotencyKey: post.idempotencyKey,
        workflowId: activityInfo().workflowExecution?.workflowId ?? post.idempotencyKey,
        event: 'content.published',
        data: post.content,
        timeoutMs: deps.webhookTimeoutMs,
      });
    },
  };
}
