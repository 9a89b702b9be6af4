// Incident response: page the escalation policy's levels until someone acknowledges, then a commander, status
// updates and notes, resolution (by hand, suggested when the rule recovers), and a postmortem for the severe ones.
import { allHandlersFinished, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createIncidentActivities } from '../activities/incident.ts';
import type { Recipient } from '../activities/email.ts';
import {
  ackIncident,
  addIncidentNote,
  addRuleFiring,
  getIncident,
  resolveIncident,
  ruleRecovered,
  setIncidentCommander,
  submitPostmortem,
} from './incident.messages.ts';
import {
  isActive,
  isOpen,
  MANAGER_ROLES,
  pageSchedule,
  RESPONDER_ROLES,
  TIMELINE_MAX,
  type EscalationTarget,
  type IncidentInput,
  type IncidentState,
  type IncidentStatus,
  type TimelineEntry,
  type TimelineType,
} from '../domain/incident.ts';
import { hasRole, type Actor } from '../domain/actors.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { conflict, forbidden, unprocessable } from './lib/failures.ts';
import { notify } from './lib/notify.ts';
import { TaskInbox, type TaskView } from './lib/tasks.ts';
import { durationToMs } from '../domain/durations.ts';

const { planIncident, saveIncident } = proxyActivities<ReturnType<typeof createIncidentActivities>>(profiles.db);

export interface IncidentResult {
  status: IncidentStatus;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

const responder = (a: Actor) => RESPONDER_ROLES.some((r) => hasRole(a, r));
const manager = (a: Actor) => MANAGER_ROLES.some((r) => hasRole(a, r));
const toRecipient = (t: EscalationTarget): Recipient => ('operatorId' in t ? { operatorId: t.operatorId } : { role: t.role });

export async function incident(input: IncidentInput): Promise<IncidentResult> {
  const entity = { type: 'incident', id: input.incidentId };
  const now = () => new Date(Date.now()).toISOString();
  const inbox = new TaskInbox();
  const state: IncidentState = {
    incidentId: input.incidentId, title: input.title, severity: input.severity, service: input.service, labels: input.labels,
    status: 'triggered', source: input.source, commanderId: null,
    escalation: { policyId: null, policyName: '', levels: [], repeat: 0, level: 0, pass: 0, pages: 0, exhausted: false, nextPageAt: null },
    ackSla: null, ackDueAt: null, triggeredAt: input.triggeredAt ?? now(), acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null,
    resolvedBy: null, resolution: null, closedAt: null, firings: input.source.type === 'rule' ? 1 : 0,
    postmortem: { required: false, taskId: null, dueAt: null, status: 'not_required', summary: null, rootCause: null, actionItems: [], completedBy: null, completedAt: null },
    timeline: [],
  };
  /** An update's answer: the state as the decision left it (the main loop may move on in the same activation). */
  const snapshot = (): IncidentState => JSON.parse(JSON.stringify(state));
  const recoveredEpisodes = new Set<number>();
  const firedEpisodes = new Set<number>(input.source.type === 'rule' ? [input.source.episode] : []);
  let postmortemTask: TaskView | null = null;
  let version = 0;

  const save = async () => {
    version += 1;
    await saveIncident({
      id: state.incidentId, workflowId: workflowInfo().workflowId, title: state.title, severity: state.severity,
      service: state.service, labels: state.labels, status: state.status, source: state.source, commanderId: state.commanderId,
      policyId: state.escalation.policyId, level: state.escalation.level, pages: state.escalation.pages, firings: state.firings,
      triggeredAt: state.triggeredAt, ackDueAt: state.ackDueAt, acknowledgedAt: state.acknowledgedAt,
      acknowledgedBy: state.acknowledgedBy, resolvedAt: state.resolvedAt, resolvedBy: state.resolvedBy, closedAt: state.closedAt,
      postmortemRequired: state.postmortem.required, postmortemDueAt: state.postmortem.dueAt, version,
    });
  };
  /** A timeline entry and its audit event. */
  const record = async (type: TimelineType, message: string, actor: Pick<Actor, 'id'> | null, details?: Record<string, unknown>) => {
    const entry: TimelineEntry = { at: now(), type, actorId: actor?.id ?? null, message, ...(details ? { details } : {}) };
    state.timeline.push(entry);
    if (state.timeline.length > TIMELINE_MAX) {
      const oldest = state.timeline.findIndex((e) => e.type === 'rule_fired');
      state.timeline.splice(oldest >= 0 ? oldest : 1, 1);
    }
    await audit(`incident.${type}`, entity, { message, ...details }, actor ?? undefined);
  };
  /** Who hears about the incident besides the pages: its commander, else the first level. */
  const owners = (): Recipient[] => (state.commanderId ? [{ operatorId: state.commanderId }] : (state.escalation.levels[0]?.targets ?? []).map(toRecipient));
  const mailData = () => ({ incidentId: state.incidentId, title: state.title, severity: state.severity, service: state.service });

  const requireResponder = (actor: Actor) => {
    if (!responder(actor)) throw forbidden(`this needs one of the roles: ${RESPONDER_ROLES.join(', ')}`);
  };
  const requireCommand = (actor: Actor, what: string) => {
    if (state.commanderId !== null && state.commanderId !== actor.id && !manager(actor)) {
      throw forbidden(`only the incident commander or an ops manager may ${what}`);
    }
  };

  setHandler(getIncident, () => state);

  setHandler(ackIncident, async ({ actor, note }) => {
    state.status = 'acknowledged';
    state.acknowledgedAt = now();
    state.acknowledgedBy = actor.id;
    state.commanderId ??= actor.id;
    state.escalation.nextPageAt = null;
    await record('acknowledged', note ?? `acknowledged; paging stopped at level ${state.escalation.level}`, actor, { level: state.escalation.level, pass: state.escalation.pass });
    await save();
    return snapshot();
  }, {
    validator: ({ actor }) => {
      requireResponder(actor);
      if (state.status !== 'triggered') throw conflict(`the incident was already acknowledged (it is ${state.status})`);
    },
  });

  setHandler(addIncidentNote, async ({ actor, note, status }) => {
    if (status) state.status = status;
    await record(status ? 'status' : 'note', note, actor, status ? { status } : undefined);
    if (status) await save();
    return snapshot();
  }, {
    validator: ({ actor, status }) => {
      requireResponder(actor);
      if (state.status === 'closed') throw conflict('the incident is closed');
      if (status && state.status === 'triggered') throw conflict('acknowledge the incident before posting a status update');
      if (status && !isActive(state.status)) throw conflict(`the incident is already ${state.status}; notes only`);
    },
  });

  setHandler(setIncidentCommander, async ({ actor, commander }) => {
    const from = state.commanderId;
    state.commanderId = commander.id;
    await record('commander', `${commander.name} is the incident commander`, actor, { from, to: commander.id });
    await save();
    await notify(`commander:${state.timeline.length}`, [{ operatorId: commander.id }], 'incidentCommander', { ...mailData(), by: actor.name });
    return snapshot();
  }, {
    validator: ({ actor, commander }) => {
      requireResponder(actor);
      if (state.status === 'closed') throw conflict('the incident is closed');
      requireCommand(actor, 'hand over command');
      if (!responder(commander)) throw unprocessable(`the commander needs one of the roles: ${RESPONDER_ROLES.join(', ')}`);
      if (commander.id === state.commanderId) throw conflict('this operator is already the commander');
    },
  });

  setHandler(resolveIncident, async ({ actor, resolution }) => {
    const at = now();
    if (state.acknowledgedAt === null) {
      // Resolving an unacknowledged incident acknowledges it too: paging stops.
      state.acknowledgedAt = at;
      state.acknowledgedBy = actor.id;
      state.commanderId ??= actor.id;
      state.escalation.nextPageAt = null;
      await record('acknowledged', 'acknowledged by resolving it', actor, { level: state.escalation.level, pass: state.escalation.pass, implicit: true });
    }
    state.status = 'resolved';
    state.resolvedAt = at;
    state.resolvedBy = actor.id;
    state.resolution = resolution;
    await record('resolved', resolution, actor);
    await save();
    return snapshot();
  }, {
    validator: ({ actor }) => {
      requireResponder(actor);
      if (!isOpen(state.status)) throw conflict(`the incident is already ${state.status}`);
      requireCommand(actor, 'resolve it');
    },
  });

  setHandler(submitPostmortem, async ({ actor, summary, rootCause, actionItems }) => {
    await condition(() => postmortemTask !== null);
    await inbox.complete(postmortemTask!.id, actor, 'done', summary);
    Object.assign(state.postmortem, { summary, rootCause, actionItems, completedBy: actor.id, completedAt: now() });
    return snapshot();
  }, {
    validator: ({ actor }) => {
      requireResponder(actor);
      if (!state.postmortem.required) throw conflict(`a ${state.severity} incident needs no postmortem`);
      if (state.status !== 'resolved') throw conflict(state.status === 'closed' ? 'the postmortem is already done' : 'resolve the incident before its postmortem');
      if (postmortemTask?.status === 'completed') throw conflict('the postmortem is already done');
      requireCommand(actor, 'submit the postmortem');
    },
  });

  setHandler(addRuleFiring, async ({ episode, reason, value, at }) => {
    if (firedEpisodes.has(episode)) return snapshot();
    firedEpisodes.add(episode);
    state.firings += 1;
    await record('rule_fired', `the rule fired again (episode ${episode}): ${reason}`, null, { episode, value, at });
    await save();
    return snapshot();
  }, {
    validator: ({ ruleId }) => {
      if (state.source.type !== 'rule' || state.source.ruleId !== ruleId) throw unprocessable('this incident was not opened by that rule');
      if (!isOpen(state.status)) throw conflict(`the incident is already ${state.status}`);
    },
  });

  let recoveries = Promise.resolve();
  setHandler(ruleRecovered, ({ episode, at }) => {
    if (recoveredEpisodes.has(episode) || !isOpen(state.status)) return;
    recoveredEpisodes.add(episode);
    recoveries = recoveries.then(async () => {
      await record('rule_recovered', 'the rule that opened this incident has recovered; resolving it is suggested', null, { episode, at });
      await notify(`rule-recovered:${episode}`, owners(), 'incidentRecovered', mailData());
    });
  });

  // --- Triggered: the policy, then page level by level until someone acknowledges -------------------------------
  const plan = await planIncident({ service: state.service, labels: state.labels, severity: state.severity });
  const ackSla = input.ackSla !== undefined ? input.ackSla : plan.ackSla;
  Object.assign(state.escalation, { policyId: plan.policy.id, policyName: plan.policy.name, levels: plan.policy.levels, repeat: plan.policy.repeat });
  state.ackSla = ackSla;
  const ackSlaMs = ackSla === null ? null : durationToMs(ackSla as Duration);
  state.ackDueAt = ackSlaMs === null ? null : new Date(Date.parse(state.triggeredAt) + ackSlaMs).toISOString();
  state.postmortem.required = plan.postmortemRequired;
  if (plan.postmortemRequired) state.postmortem.status = 'not_started';
  // The first page is what matters: the writes around it go out together, not one after the other.
  await Promise.all([
    record('triggered', input.description ?? state.title, null, { source: state.source, policy: plan.policy.name, ackSla, severity: state.severity }),
    save(),
  ]);

  const acked = () => state.acknowledgedAt !== null;
  /** A level paged with no wait (no SLA, no wait of its own) is waited on for good: nothing runs out. */
  let open = false;
  for (const step of pageSchedule(state.escalation.levels, state.escalation.repeat, ackSlaMs, (d) => durationToMs(d as Duration))) {
    if (acked()) break;
    Object.assign(state.escalation, {
      level: step.level, pass: step.pass, pages: state.escalation.pages + 1,
      nextPageAt: step.waitMs === null ? null : new Date(Date.now() + step.waitMs).toISOString(),
    });
    const [, , sent] = await Promise.all([
      record('paged', `paged level ${step.level}${step.pass > 0 ? ` (repeat ${step.pass})` : ''}`, null, { level: step.level, pass: step.pass, targets: step.targets }),
      save(),
      notify(`page:${step.pass}:${step.level}`, step.targets.map(toRecipient), 'incidentPaged', {
        ...mailData(), level: step.level, pass: step.pass, description: input.description ?? null, triggeredAt: state.triggeredAt,
        ackDueAt: state.ackDueAt,
      }),
    ]);
    if (sent?.status === 'skipped') {
      await record('nobody_paged', `nobody was paged at level ${step.level}: none of its targets is an active operator`, null, { level: step.level, pass: step.pass });
    }
    if (step.waitMs === null) {
      open = true;
      break;
    }
    await condition(acked, step.waitMs);
  }
  if (!acked() && !open) {
    state.escalation.exhausted = true;
    state.escalation.nextPageAt = null;
    await record('escalation_exhausted', 'every level was paged without an acknowledgement; waiting for one', null);
    await save();
  }

  // --- Acknowledged: people work on it until someone resolves it ---------------------------------------------
  // The resolution's own writes go first, so its answer (and the list row) say resolved before anything closes.
  await condition(() => state.status === 'resolved' && allHandlersFinished());
  await recoveries;

  // --- Resolved: the postmortem for the severe ones, then closed -------------------------------------------------
  if (state.postmortem.required) {
    const { policy } = plan;
    const due = input.postmortemDue ?? plan.postmortemDue;
    const task = await inbox.open({
      kind: 'postmortem', title: `Postmortem: ${state.title}`, entity, candidateRole: 'oncall', priority: state.severity === 'P1' ? 'urgent' : 'high',
      decisions: ['done'], payload: { incidentId: state.incidentId, severity: state.severity, policy: policy.name },
      sla: due as Duration, escalationRole: 'ops_manager',
    });
    postmortemTask = task;
    Object.assign(state.postmortem, { taskId: task.id, dueAt: task.dueAt, status: 'pending' });
    await record('postmortem_requested', `a postmortem is due by ${task.dueAt}`, null, { taskId: task.id, dueAt: task.dueAt });
    await save();
    await notify('postmortem-requested', owners(), 'postmortemRequested', { ...mailData(), taskId: task.id, dueAt: task.dueAt! });
    const done = () => task.status === 'completed';
    await condition(() => done() || task.status === 'escalated');
    if (!done()) {
      state.postmortem.status = 'overdue';
      await record('postmortem_overdue', `the postmortem was due at ${task.dueAt}`, null, { taskId: task.id });
      await notify('postmortem-overdue', owners(), 'postmortemOverdue', { ...mailData(), taskId: task.id, dueAt: task.dueAt! });
      await condition(done);
    }
    // Completed through the inbox (POST /tasks/:id/complete) the task's comment is the summary.
    if (state.postmortem.completedAt === null) {
      Object.assign(state.postmortem, { summary: task.comment, completedBy: task.decidedBy, completedAt: task.decidedAt });
    }
    state.postmortem.status = 'done';
    await record('postmortem_done', 'the postmortem is done', state.postmortem.completedBy ? { id: state.postmortem.completedBy } : null, { taskId: task.id });
  }
  state.status = 'closed';
  state.closedAt = now();
  await record('closed', 'the incident is closed', null);
  await save();
  await inbox.settled();
  await condition(allHandlersFinished);
  return { status: state.status, acknowledgedAt: state.acknowledgedAt, resolvedAt: state.resolvedAt };
}
