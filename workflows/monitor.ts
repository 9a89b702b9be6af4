// One durable monitor per rule: evaluates it every `every`, moves through normal, pending, firing and resolved (with
// `for` and keep-firing), and runs the rule's action once per firing episode.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createEventDeliveryActivities } from '../activities/event-delivery.ts';
import type { createIncidentActivities } from '../activities/incident.ts';
import type { createMonitorActivities } from '../activities/monitor.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { notify } from './lib/notify.ts';
import { durationToMs } from '../domain/durations.ts';
import { getMonitor, pointsArrived, ruleChanged, stopMonitor } from './monitor.messages.ts';
import { INITIAL_STATUS, step, type Evaluation, type MonitorStatus, type StoredRule } from '../domain/monitor.ts';
import type { Role } from '../domain/actors.ts';

const { loadRule, evaluateRule, saveMonitorView } = proxyActivities<ReturnType<typeof createMonitorActivities>>(profiles.db);
const { pauseCampaignForRule } = proxyActivities<ReturnType<typeof createMonitorActivities>>(profiles.send);
const { startWinBackForSegment } = proxyActivities<ReturnType<typeof createEventDeliveryActivities>>(profiles.fanOut);
const { openIncidentForRule, tellIncidentRuleRecovered } = proxyActivities<ReturnType<typeof createIncidentActivities>>(profiles.send);

/** The shortest time between two evaluations that new points asked for. */
const MIN_POKE_GAP_MS = 1000;

export interface RuleMonitorInput {
  ruleId: string;
  /** Carried across continue-as-new. */
  status?: MonitorStatus;
  evaluations?: number;
}

export interface RuleMonitorResult {
  stopped: 'deleted' | 'disabled' | 'stopped';
  status: MonitorStatus;
}

export async function ruleMonitor(input: RuleMonitorInput): Promise<RuleMonitorResult> {
  const entity = { type: 'rule', id: input.ruleId };
  let status = input.status ?? INITIAL_STATUS;
  let evaluations = input.evaluations ?? 0;
  let last: Evaluation | null = null;
  let changed = false;
  let stopped = false;
  setHandler(ruleChanged, () => {
    changed = true;
  });
  setHandler(stopMonitor, () => {
    stopped = true;
  });
  let poked = false;
  setHandler(pointsArrived, () => {
    poked = true;
  });
  setHandler(getMonitor, () => ({ ruleId: input.ruleId, status, last, evaluations }));

  /** The rule's action, once per firing episode (the episode number is part of every idempotency key). */
  const act = async (rule: StoredRule, episode: number, e: Evaluation) => {
    if (rule.action.type === 'pause_campaign') {
      const outcome = await pauseCampaignForRule({
        ruleId: rule.id,
        ruleName: rule.name,
        campaignId: rule.action.campaignId,
        episode,
        reason: `rule "${rule.name}" fired: ${e.reason}`,
      });
      await audit('rule.action', entity, { type: 'pause_campaign', campaignId: rule.action.campaignId, episode, ...outcome });
    }
    if (rule.action.type === 'open_incident') {
      const outcome = await openIncidentForRule({
        ruleId: rule.id,
        ruleName: rule.name,
        episode,
        severity: rule.severity,
        service: rule.action.service ?? null,
        labels: rule.labels,
        reason: e.reason,
        value: e.value,
        at: e.at,
      });
      await audit('rule.action', entity, { type: 'open_incident', episode, ...outcome });
    }
    if (rule.action.type === 'start_winback') {
      const outcome = await startWinBackForSegment({
        segment: rule.action.segment,
        key: `rule:${rule.id}:episode:${episode}:winback`,
        cause: `rule:${rule.id}`,
      });
      await audit('rule.action', entity, { type: 'start_winback', segment: rule.action.segment, episode, ...outcome });
    }
    if (rule.action.type === 'notify_role') {
      await notify(`episode:${episode}`, [{ role: rule.action.role as Role }], 'ruleFired', {
        ruleId: rule.id,
        name: rule.name,
        severity: rule.severity,
        metric: rule.metric,
        reason: e.reason,
        episode,
        at: new Date(e.at).toISOString(),
      });
    }
  };

  let rule = await loadRule(input.ruleId);
  // A monitor started again (the rule enabled again) counts its episodes on from the stored ones, so every episode
  // (and the incident or win-back keyed by it) is new.
  if (input.status === undefined && rule?.episodes) status = { ...status, episodes: rule.episodes };
  for (;;) {
    if (stopped || !rule || !rule.enabled) {
      const why = !rule ? 'deleted' : !rule.enabled ? 'disabled' : 'stopped';
      await audit('rule.monitor_stopped', entity, { why, state: status.state });
      await condition(allHandlersFinished);
      return { stopped: why, status };
    }
    last = await evaluateRule(rule);
    evaluations += 1;
    const next = step(status, last.holds, last.at, durationToMs(rule.for as Duration), durationToMs(rule.keepFiring as Duration));
    status = next.status;
    const evaluation = last;
    const recordTransition = async () => {
      if (next.transition)
        await audit(`rule.${next.transition}`, entity, { value: evaluation.value, reason: evaluation.reason, episode: status.episodes });
    };
    // Since `fire-audit-beside-action` the firing's audit event and its action go out together (the page is one round
    // trip sooner); runs from before it audit first, as their histories say.
    if (next.transition === 'fire' && patched('fire-audit-beside-action')) {
      await Promise.all([recordTransition(), act(rule, status.episodes, last)]);
    } else {
      await recordTransition();
      if (next.transition === 'fire') await act(rule, status.episodes, last);
    }
    if (next.transition === 'recover' && rule.action.type === 'open_incident') {
      await tellIncidentRuleRecovered({ ruleId: rule.id, episode: status.episodes, at: last.at });
    }
    await saveMonitorView({ ruleId: rule.id, status, value: last.value, at: last.at });
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof ruleMonitor>({ ruleId: input.ruleId, status, evaluations });
    }
    await condition(() => changed || stopped || poked, durationToMs(rule.every as Duration));
    if (poked && !changed && !stopped) {
      // New points: evaluate now, but not more than once a second however fast they come.
      const gap = MIN_POKE_GAP_MS - (Date.now() - last.at);
      if (gap > 0) await sleep(gap);
    }
    poked = false;
    if (changed) {
      changed = false;
      rule = await loadRule(input.ruleId);
    }
  }
}
