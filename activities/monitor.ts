// The rule monitor's side effects: the rule, an evaluation over the stored points (db/rules.ts), the monitor's view
// in the rules row, and a rule's pause_campaign action.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { evaluateNow, loadRule, saveMonitorView } from '../db/rules.ts';
import { pauseCampaign } from '../workflows/campaign.messages.ts';
import { campaignWorkflowId } from '../domain/ids.ts';
import type { Evaluation, MonitorStatus, StoredRule } from '../domain/monitor.ts';

export function createMonitorActivities({ orm, client }: { orm: Orm; client: Client }) {
  return {
    /**
     * A rule's pause_campaign action: the campaign's own pause Update, as the rule (with the ops_manager role rules act
     * with). The update id makes a retried activity one pause; a campaign not running any more is not an error.
     */
    async pauseCampaignForRule(args: {
      ruleId: string;
      ruleName: string;
      campaignId: string;
      episode: number;
      reason: string;
    }): Promise<{ paused: boolean; note: string }> {
      const handle = client.workflow.getHandle(campaignWorkflowId(args.campaignId));
      try {
        await handle.executeUpdate(pauseCampaign, {
          updateId: `rule-monitor:${args.ruleId}:episode:${args.episode}:pause`,
          args: [{ actor: { id: `rule:${args.ruleId}`, name: `rule "${args.ruleName}"`, roles: ['ops_manager'] }, reason: args.reason }],
        });
        return { paused: true, note: 'paused' };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return { paused: false, note: err.cause?.message ?? err.message };
        if (err instanceof WorkflowNotFoundError) return { paused: false, note: 'the campaign has finished' };
        throw err;
      }
    },

    /** The rule as stored now, or null once it is deleted. */
    async loadRule(ruleId: string): Promise<StoredRule | null> {
      return loadRule(orm, ruleId);
    },

    async evaluateRule(rule: StoredRule): Promise<Evaluation> {
      return evaluateNow(orm, rule);
    },

    /** The monitor's view in the rules row (for lists); a deleted rule has none. */
    async saveMonitorView(args: { ruleId: string; status: MonitorStatus; value: number | null; at: number }): Promise<void> {
      await saveMonitorView(orm, args);
    },
  };
}
