// Pure: an incident's state machine over plain data. It says who may do what to the incident and does it, keeps the
// timeline, and tracks the paging; the workflow feeds it decisions and the clock and carries out the side effects
// (writes, audit events, pages, the postmortem task).
import { hasRole, type Actor } from './actors.ts';
import { durationToMs } from './durations.ts';
import {
  isActive,
  isOpen,
  MANAGER_ROLES,
  pageSchedule,
  RESPONDER_ROLES,
  TIMELINE_MAX,
  type EscalationPolicySpec,
  type EscalationTarget,
  type IncidentInput,
  type IncidentState,
  type IncidentStatus,
  type PageStep,
  type ProgressStatus,
  type TimelineEntry,
  type TimelineType,
} from './incident.ts';
import { refuseConflict, refuseForbidden, refuseUnprocessable, type Refusal } from './refusal.ts';

export interface IncidentResult {
  status: IncidentStatus;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

/** What the incident policy says for this incident, as the workflow looked it up. */
export interface IncidentPlan {
  policy: EscalationPolicySpec & { id: string | null };
  ackSla: string | null;
  postmortemRequired: boolean;
  postmortemDue: string;
}

export function newIncidentState(input: IncidentInput, at: string): IncidentState {
  return {
    incidentId: input.incidentId,
    title: input.title,
    severity: input.severity,
    service: input.service,
    labels: input.labels,
    status: 'triggered',
    source: input.source,
    commanderId: null,
    escalation: {
      policyId: null,
      policyName: '',
      levels: [],
      repeat: 0,
      level: 0,
      pass: 0,
      pages: 0,
      exhausted: false,
      nextPageAt: null,
    },
    ackSla: null,
    ackDueAt: null,
    triggeredAt: input.triggeredAt ?? at,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    resolution: null,
    closedAt: null,
    firings: input.source.type === 'rule' ? 1 : 0,
    postmortem: {
      required: false,
      taskId: null,
      dueAt: null,
      status: 'not_required',
      summary: null,
      rootCause: null,
      actionItems: [],
      completedBy: null,
      completedAt: null,
    },
    timeline: [],
  };
}

const responder = (a: Actor) => RESPONDER_ROLES.some((r) => hasRole(a, r));
const manager = (a: Actor) => MANAGER_ROLES.some((r) => hasRole(a, r));
const notResponder = (who: string) => `${who} one of the roles: ${RESPONDER_ROLES.join(', ')}`;
/** An escalation target as an email recipient. */
export const recipientOf = (t: EscalationTarget) => ('operatorId' in t ? { operatorId: t.operatorId } : { role: t.role });

export class Incident {
  readonly state: IncidentState;
  /** Rule episodes already folded in: a repeated firing or recovery changes nothing. */
  private readonly fired: Set<number>;
  private readonly recovered = new Set<number>();

  constructor(state: IncidentState) {
    this.state = state;
    this.fired = new Set(state.source.type === 'rule' ? [state.source.episode] : []);
  }

  get entity(): { type: 'incident'; id: string } {
    return { type: 'incident', id: this.state.incidentId };
  }

  get acknowledged(): boolean {
    return this.state.acknowledgedAt !== null;
  }

  /** Adds a timeline entry; beyond the cap the oldest rule firing goes first (else the oldest after the first). */
  log(type: TimelineType, message: string, actorId: string | null, at: string, details?: Record<string, unknown>) {
    const { timeline } = this.state;
    const entry: TimelineEntry = { at, type, actorId, message, ...(details ? { details } : {}) };
    timeline.push(entry);
    if (timeline.length > TIMELINE_MAX) {
      const oldest = timeline.findIndex((e) => e.type === 'rule_fired');
      timeline.splice(oldest >= 0 ? oldest : 1, 1);
    }
  }

  /** Who hears about the incident besides the pages: its commander, else the first level. */
  owners() {
    const s = this.state;
    return s.commanderId ? [{ operatorId: s.commanderId }] : (s.escalation.levels[0]?.targets ?? []).map(recipientOf);
  }

  /** What every incident email says about it. */
  mailData() {
    const { incidentId, title, severity, service } = this.state;
    return { incidentId, title, severity, service };
  }

  /** The read-model row (without its version). */
  row(workflowId: string) {
    const s = this.state;
    return {
      id: s.incidentId,
      workflowId,
      title: s.title,
      severity: s.severity,
      service: s.service,
      labels: s.labels,
      status: s.status,
      source: s.source,
      commanderId: s.commanderId,
      policyId: s.escalation.policyId,
      level: s.escalation.level,
      pages: s.escalation.pages,
      firings: s.firings,
      triggeredAt: s.triggeredAt,
      ackDueAt: s.ackDueAt,
      acknowledgedAt: s.acknowledgedAt,
      acknowledgedBy: s.acknowledgedBy,
      resolvedAt: s.resolvedAt,
      resolvedBy: s.resolvedBy,
      closedAt: s.closedAt,
      postmortemRequired: s.postmortem.required,
      postmortemDueAt: s.postmortem.dueAt,
    };
  }

  /** Takes the policy in; answers the acknowledgement SLA in ms (null: none). */
  plan(plan: IncidentPlan, ackSla: string | null): number | null {
    const s = this.state;
    const { id, name, levels, repeat } = plan.policy;
    Object.assign(s.escalation, { policyId: id, policyName: name, levels, repeat });
    s.ackSla = ackSla;
    const ackSlaMs = ackSla === null ? null : durationToMs(ackSla as never);
    s.ackDueAt = ackSlaMs === null ? null : new Date(Date.parse(s.triggeredAt) + ackSlaMs).toISOString();
    s.postmortem.required = plan.postmortemRequired;
    if (plan.postmortemRequired) s.postmortem.status = 'not_started';
    return ackSlaMs;
  }

  /** The paging schedule under the policy taken in: every level of every pass, each with its wait. */
  schedule(ackSlaMs: number | null): PageStep[] {
    const { levels, repeat } = this.state.escalation;
    return pageSchedule(levels, repeat, ackSlaMs, (d) => durationToMs(d as never));
  }

  /** What a page's email says. */
  pageMail(step: PageStep, description: string | null) {
    const { triggeredAt, ackDueAt } = this.state;
    return { ...this.mailData(), level: step.level, pass: step.pass, description, triggeredAt, ackDueAt };
  }

  /** A level is paged. */
  paging(step: PageStep, now: number): void {
    Object.assign(this.state.escalation, {
      level: step.level,
      pass: step.pass,
      pages: this.state.escalation.pages + 1,
      nextPageAt: step.waitMs === null ? null : new Date(now + step.waitMs).toISOString(),
    });
  }

  /** Every level was paged without an acknowledgement. */
  exhaust(): void {
    this.state.escalation.exhausted = true;
    this.state.escalation.nextPageAt = null;
  }

  private responderRefusal(actor: Actor): Refusal | undefined {
    return responder(actor) ? undefined : refuseForbidden(notResponder('this needs'));
  }

  private commandRefusal(actor: Actor, what: string): Refusal | undefined {
    const { commanderId } = this.state;
    return commanderId !== null && commanderId !== actor.id && !manager(actor)
      ? refuseForbidden(`only the incident commander or an ops manager may ${what}`)
      : undefined;
  }

  // The updates' validators take the update's arguments, so a workflow hands them over as they are.
  readonly ackRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { status } = this.state;
    const already = status === 'triggered' ? undefined : `the incident was already acknowledged (it is ${status})`;
    return this.responderRefusal(actor) ?? (already ? refuseConflict(already) : undefined);
  };

  /** Acknowledged: paging stops; whoever acknowledges commands unless someone does already. */
  acknowledge(actor: Actor, at: string): void {
    const s = this.state;
    s.acknowledgedAt = at;
    s.acknowledgedBy = actor.id;
    s.commanderId ??= actor.id;
    s.escalation.nextPageAt = null;
  }

  readonly noteRefusal = ({ actor, status }: { actor: Actor; status?: ProgressStatus }): Refusal | undefined => {
    const s = this.state;
    const refusal = this.responderRefusal(actor);
    if (refusal) return refusal;
    if (s.status === 'closed') return refuseConflict('the incident is closed');
    if (!status) return undefined;
    if (s.status === 'triggered') return refuseConflict('acknowledge the incident before posting a status update');
    if (!isActive(s.status)) return refuseConflict(`the incident is already ${s.status}; notes only`);
    return undefined;
  };

  readonly commanderRefusal = ({ actor, commander }: { actor: Actor; commander: Actor }): Refusal | undefined => {
    const s = this.state;
    return (
      this.responderRefusal(actor) ??
      (s.status === 'closed' ? refuseConflict('the incident is closed') : undefined) ??
      this.commandRefusal(actor, 'hand over command') ??
      (!responder(commander) ? refuseUnprocessable(notResponder('the commander needs')) : undefined) ??
      (commander.id === s.commanderId ? refuseConflict('this operator is already the commander') : undefined)
    );
  };

  readonly resolveRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { status } = this.state;
    return (
      this.responderRefusal(actor) ??
      (!isOpen(status) ? refuseConflict(`the incident is already ${status}`) : undefined) ??
      this.commandRefusal(actor, 'resolve it')
    );
  };

  resolve(actor: Actor, resolution: string, at: string): void {
    const s = this.state;
    s.status = 'resolved';
    s.resolvedAt = at;
    s.resolvedBy = actor.id;
    s.resolution = resolution;
  }

  postmortemRefusal(actor: Actor, done: boolean): Refusal | undefined {
    const s = this.state;
    if (!responder(actor)) return refuseForbidden(notResponder('this needs'));
    if (!s.postmortem.required) return refuseConflict(`a ${s.severity} incident needs no postmortem`);
    if (s.status !== 'resolved') {
      return refuseConflict(s.status === 'closed' ? 'the postmortem is already done' : 'resolve the incident before its postmortem');
    }
    if (done) return refuseConflict('the postmortem is already done');
    return this.commandRefusal(actor, 'submit the postmortem');
  }

  readonly firingRefusal = ({ ruleId }: { ruleId: string }): Refusal | undefined => {
    const s = this.state;
    if (s.source.type !== 'rule' || s.source.ruleId !== ruleId) {
      return refuseUnprocessable('this incident was not opened by that rule');
    }
    return isOpen(s.status) ? undefined : refuseConflict(`the incident is already ${s.status}`);
  };

  /** A firing of the rule folded in; false when its episode was folded in before. */
  fire(episode: number): boolean {
    if (this.fired.has(episode)) return false;
    this.fired.add(episode);
    this.state.firings += 1;
    return true;
  }

  /** The rule's recovery noted; false when it changes nothing (seen before, or the incident is resolved). */
  recover(episode: number): boolean {
    if (this.recovered.has(episode) || !isOpen(this.state.status)) return false;
    this.recovered.add(episode);
    return true;
  }

  /** The postmortem's task: due `due` after resolution, for the on-call role, escalated to the ops managers. */
  postmortemTask(policyName: string) {
    const s = this.state;
    return {
      kind: 'postmortem',
      title: `Postmortem: ${s.title}`,
      entity: this.entity,
      candidateRole: 'oncall' as const,
      priority: s.severity === 'P1' ? ('urgent' as const) : ('high' as const),
      decisions: ['done'],
      payload: { incidentId: s.incidentId, severity: s.severity, policy: policyName },
      escalationRole: 'ops_manager' as const,
    };
  }

  /** The postmortem as its task was decided; completed through the inbox, the task's comment is the summary. */
  postmortemDone(task: { comment: string | null; decidedBy: string | null; decidedAt: string | null }): void {
    const { postmortem } = this.state;
    if (postmortem.completedAt === null) {
      Object.assign(postmortem, { summary: task.comment, completedBy: task.decidedBy, completedAt: task.decidedAt });
    }
    postmortem.status = 'done';
  }

  close(at: string): void {
    this.state.status = 'closed';
    this.state.closedAt = at;
  }
}
