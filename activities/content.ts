import { ApplicationFailure, activityInfo } from '@temporalio/activity';
import type { Orm } from '../db/orm.ts';
import { findChannel, saveContentRow, type ContentRecord } from '../db/content.ts';
import type { Tier } from '../domain/content.ts';
import { checkContent, type CheckRules } from './content-checks.ts';
import { deliverWebhook, type WebhookGuard } from './webhooks.ts';

export interface ChannelPost {
  channel: string;
  idempotencyKey: string;
  content: { id: string; title: string; body: string; tier: Tier; revision: number; publishedAt: string };
}

export function createContentActivities(deps: { orm: Orm; checkRules: CheckRules; webhookTimeoutMs: number; webhookGuard: WebhookGuard }) {
  const { orm } = deps;
  return {
    async runContentChecks(input: { title: string; body: string }) {
      return checkContent(deps.checkRules, input);
    },

    async saveContent(c: ContentRecord): Promise<void> {
      await saveContentRow(orm, c);
    },

    async deliverToChannel(post: ChannelPost) {
      const channel = await findChannel(orm, post.channel);
      if (!channel) throw ApplicationFailure.nonRetryable(`channel ${post.channel} does not exist`, 'UnknownChannel');
      if (!channel.enabled) throw ApplicationFailure.nonRetryable(`channel ${post.channel} is disabled`, 'ChannelDisabled');
      return deliverWebhook(orm, channel, {
        idempotencyKey: post.idempotencyKey,
        workflowId: activityInfo().workflowExecution?.workflowId ?? post.idempotencyKey,
        event: 'content.published',
        data: post.content,
        timeoutMs: deps.webhookTimeoutMs,
        guard: deps.webhookGuard,
      });
    },
  };
}
