// The rule monitor's side effects: the rule, an evaluation over the stored points, and the monitor's view in the
// rules row.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { aggregateWindow } from '../db/metrics.ts';
import { pauseCampaign } from '../workflows/campaign.messages.ts';
import { campaignWorkflowId } from '../workflows/ids.ts';
import { durationToMs } from '../domain/durations.ts';
import { judgeValues, type Evaluation, type MonitorStatus, type RuleSpec, type StoredRule } from '../domain/monitor.ts';

/**
 * Judges a rule now: its window, and for change_* the window before it, aggregated in PostgreSQL over every point.
 * Shared with the API's dry run.
 */
export async function evaluateNow(orm: Orm, rule: RuleSpec, now = Date.now()): Promise<Evaluation> {
  const windowMs = durationToMs(rule.window as never);
  const window = (from: number, to: number) => aggregateWindow(orm, {
    name: rule.metric, labels: rule.labels, from: new Date(from).toISOString(), to: new Date(to).toISOString(), aggregation: rule.aggregation,
  });
  const [current, previous] = await Promise.all([
    window(now - windowMs, now),
    rule.comparison.startsWith('change_') ? window(now - 2 * windowMs, now - windowMs) : Promise.resolve(null),
  ]);
  return { ...judgeValues(rule, current.value, previous?.value ?? null), at: now, points: current.points };
}

interface RuleRow {
  id: string; name: string; metric: string; labels: Record<string, string>; aggregation: string; window: string;
  comparison: string; threshold: number; for: string; keep_firing: string; no_data: string; severity: string;
  action: StoredRule['action']; every: string; enabled: boolean; version: number; episodes: number;
}

export function createMonitorActivities({ orm, client }: { orm: Orm; client: Client }) {
  return {
    /**
     * A rule's pause_campaign action: the campaign's own pause Update, as the rule (with the ops_manager role rules act
     * with). The update id makes a retried activity one pause; a campaign not running any more is not an error.
     */
    async pauseCampaignForRule(args: { ruleId: string; ruleName: string; campaignId: string; episode: number; reason: string }): Promise<{ paused: boolean; note: string }> {
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
      const [r] = await orm.em.getConnection().execute<RuleRow[]>('select * from rules where id = ?', [ruleId]);
      if (!r) return null;
      return {
        id: r.id, name: r.name, metric: r.metric, labels: r.labels, aggregation: r.aggregation as StoredRule['aggregation'],
        window: r.window, comparison: r.comparison as StoredRule['comparison'], threshold: Number(r.threshold), for: r.for,
        keepFiring: r.keep_firing, noData: r.no_data as StoredRule['noData'], severity: r.severity as StoredRule['severity'],
        action: r.action, every: r.every, enabled: r.enabled, version: r.version, episodes: r.episodes,
      };
    },

    async evaluateRule(rule: StoredRule): Promise<Evaluation> {
      return evaluateNow(orm, rule);
    },

    /** The monitor's view in the rules row (for lists); a deleted rule has none. */
    async saveMonitorView(args: { ruleId: string; status: MonitorStatus; value: number | null; at: number }): Promise<void> {
      await orm.em.getConnection().execute(
        `update rules set state = ?, state_since = ?, episodes = ?, last_value = ?, last_evaluated_at = ? where id = ?`,
        [args.status.state, args.status.since === null ? null : new Date(args.status.since), args.status.episodes, args.value,
          new Date(args.at), args.ruleId]);
    },
  };
}
