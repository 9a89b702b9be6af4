// Incident response: page the escalation policy's levels until someone acknowledges, then a commander, status
// updates and notes, resolution (by hand, suggested when the rule recovers), and a postmortem for the severe ones.
// The rules are `Incident`'s (domain/incident-state.ts); this file wires the messages and runs the process.
import { allHandlersFinished, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createIncidentActivities } from '../activities/incident.ts';
import * as messages from './incident.messages.ts';
import type { IncidentInput, IncidentState, TimelineType } from '../domain/incident.ts';
import { Incident, newIncidentState, recipientOf, type IncidentResult } from '../domain/incident-state.ts';
import type { Actor } from '../domain/actors.ts';
import { profiles } from './lib/activity-profiles.ts';
import { notify } from './lib/notify.ts';
import { Recorder } from './lib/record.ts';
import { TaskInbox, type TaskView } from './lib/tasks.ts';
import { onUpdate } from './lib/updates.ts';

const { planIncident, saveIncident } = proxyActivities<ReturnType<typeof createIncidentActivities>>(profiles.db);

export type { IncidentResult } from '../domain/incident-state.ts';

const now = () => new Date(Date.now()).toISOString();

export async function incident(input: IncidentInput): Promise<IncidentResult> {
  const i = new Incident(newIncidentState(input, now()));
  const { state, entity } = i;
  const { workflowId } = workflowInfo();
  const inbox = new TaskInbox();
  const rec = new Recorder({ entity, row: () => i.row(workflowId), write: saveIncident });
  /** An update's answer: the state as the decision left it (the main loop may move on in the same activation). */
  const snapshot = (): IncidentState => JSON.parse(JSON.stringify(state));
  /** A timeline entry and its audit event. */
  type Details = Record<string, unknown>;
  const record = async (type: TimelineType, message: string, actor: Pick<Actor, 'id'> | null, details?: Details) => {
    i.log(type, message, actor?.id ?? null, now(), details);
    await rec.audit(`incident.${type}`, { message, ...details }, actor);
  };
  const paged = () => ({ level: state.escalation.level, pass: state.escalation.pass });
  let postmortemTask: TaskView | null = null;

  setHandler(messages.getIncident, () => state);
  onUpdate(messages.ackIncident, i.ackRefusal, async ({ actor, note }) => {
    state.status = 'acknowledged';
    i.acknowledge(actor, now());
    const message = note ?? `acknowledged; paging stopped at level ${state.escalation.level}`;
    await record('acknowledged', message, actor, paged());
    await rec.save();
    return snapshot();
  });
  onUpdate(messages.addIncidentNote, i.noteRefusal, async ({ actor, note, status }) => {
    if (status) state.status = status;
    await record(status ? 'status' : 'note', note, actor, status ? { status } : undefined);
    if (status) await rec.save();
    return snapshot();
  });
  onUpdate(messages.setIncidentCommander, i.commanderRefusal, async ({ actor, commander }) => {
    const from = state.commanderId;
    state.commanderId = commander.id;
    await record('commander', `${commander.name} is the incident commander`, actor, { from, to: commander.id });
    await rec.save();
    const by = { ...i.mailData(), by: actor.name };
    await notify(`commander:${state.timeline.length}`, [{ operatorId: commander.id }], 'incidentCommander', by);
    return snapshot();
  });
  onUpdate(messages.resolveIncident, i.resolveRefusal, async ({ actor, resolution }) => {
    const at = now();
    if (!i.acknowledged) {
      // Resolving an unacknowledged incident acknowledges it too: paging stops.
      i.acknowledge(actor, at);
      await record('acknowledged', 'acknowledged by resolving it', actor, { ...paged(), implicit: true });
    }
    i.resolve(actor, resolution, at);
    await record('resolved', resolution, actor);
    await rec.save();
    return snapshot();
  });
  const postmortemRefusal = ({ actor }: { actor: Actor }) => i.postmortemRefusal(actor, postmortemTask?.status === 'completed');
  onUpdate(messages.submitPostmortem, postmortemRefusal, async ({ actor, summary, rootCause, actionItems }) => {
    await condition(() => postmortemTask !== null);
    await inbox.complete(postmortemTask!.id, actor, 'done', summary);
    Object.assign(state.postmortem, { summary, rootCause, actionItems, completedBy: actor.id, completedAt: now() });
    return snapshot();
  });
  onUpdate(messages.addRuleFiring, i.firingRefusal, async ({ episode, reason, value, at }) => {
    if (!i.fire(episode)) return snapshot();
    await record('rule_fired', `the rule fired again (episode ${episode}): ${reason}`, null, { episode, value, at });
    await rec.save();
    return snapshot();
  });
  let recoveries = Promise.resolve();
  setHandler(messages.ruleRecovered, ({ episode, at }) => {
    if (!i.recover(episode)) return;
    recoveries = recoveries.then(async () => {
      const message = 'the rule that opened this incident has recovered; resolving it is suggested';
      await record('rule_recovered', message, null, { episode, at });
      await notify(`rule-recovered:${episode}`, i.owners(), 'incidentRecovered', i.mailData());
    });
  });

  // --- Triggered: the policy, then page level by level until someone acknowledges -------------------------------
  const plan = await planIncident({ service: state.service, labels: state.labels, severity: state.severity });
  const ackSla = input.ackSla !== undefined ? input.ackSla : plan.ackSla;
  const ackSlaMs = i.plan(plan, ackSla);
  // The first page is what matters: the writes around it go out together, not one after the other.
  const triggered = { source: state.source, policy: plan.policy.name, ackSla, severity: state.severity };
  await Promise.all([record('triggered', input.description ?? state.title, null, triggered), rec.save()]);

  /** A level paged with no wait (no SLA, no wait of its own) is waited on for good: nothing runs out. */
  let open = false;
  for (const step of i.schedule(ackSlaMs)) {
    if (i.acknowledged) break;
    i.paging(step, Date.now());
    const { level, pass, targets } = step;
    const [, , sent] = await Promise.all([
      record('paged', `paged level ${level}${pass > 0 ? ` (repeat ${pass})` : ''}`, null, { level, pass, targets }),
      rec.save(),
      notify(`page:${pass}:${level}`, targets.map(recipientOf), 'incidentPaged', i.pageMail(step, input.description ?? null)),
    ]);
    if (sent?.status === 'skipped') {
      const why = `nobody was paged at level ${level}: none of its targets is an active operator`;
      await record('nobody_paged', why, null, { level, pass });
    }
    if (step.waitMs === null) {
      open = true;
      break;
    }
    await condition(() => i.acknowledged, step.waitMs);
  }
  if (!i.acknowledged && !open) {
    i.exhaust();
    await record('escalation_exhausted', 'every level was paged without an acknowledgement; waiting for one', null);
    await rec.save();
  }

  // --- Acknowledged: people work on it until someone resolves it ---------------------------------------------
  // The resolution's own writes go first, so its answer (and the list row) say resolved before anything closes.
  await condition(() => state.status === 'resolved' && allHandlersFinished());
  await recoveries;

  // --- Resolved: the postmortem for the severe ones, then closed -------------------------------------------------
  if (state.postmortem.required) {
    const sla = (input.postmortemDue ?? plan.postmortemDue) as Duration;
    const task = await inbox.open({ ...i.postmortemTask(plan.policy.name), sla });
    postmortemTask = task;
    const due = { taskId: task.id, dueAt: task.dueAt! };
    Object.assign(state.postmortem, { taskId: task.id, dueAt: task.dueAt, status: 'pending' });
    await record('postmortem_requested', `a postmortem is due by ${task.dueAt}`, null, due);
    await rec.save();
    await notify('postmortem-requested', i.owners(), 'postmortemRequested', { ...i.mailData(), ...due });
    const done = () => task.status === 'completed';
    await condition(() => done() || task.status === 'escalated');
    if (!done()) {
      state.postmortem.status = 'overdue';
      await record('postmortem_overdue', `the postmortem was due at ${task.dueAt}`, null, { taskId: task.id });
      await notify('postmortem-overdue', i.owners(), 'postmortemOverdue', { ...i.mailData(), ...due });
      await condition(done);
    }
    i.postmortemDone(task);
    const by = state.postmortem.completedBy ? { id: state.postmortem.completedBy } : null;
    await record('postmortem_done', 'the postmortem is done', by, { taskId: task.id });
  }
  i.close(now());
  await record('closed', 'the incident is closed', null);
  await rec.save();
  await inbox.settled();
  await condition(allHandlersFinished);
  return { status: state.status, acknowledgedAt: state.acknowledgedAt, resolvedAt: state.resolvedAt };
}
