// Pure: incidents as the workflow, its activities and the API see them: statuses and the legal moves between them,
// escalation policies and the paging schedule they give, and the policy that picks one for an incident.
import type { Role } from './actors.ts';
import { SEVERITIES, type RuleSeverity } from './monitor.ts';

export { SEVERITIES };
export type Severity = RuleSeverity;

/** triggered -> acknowledged -> investigating/identified/monitoring (any order) -> resolved -> closed. */
export const INCIDENT_STATUSES = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
/** The status updates people post while they work on it. */
export const PROGRESS_STATUSES = ['investigating', 'identified', 'monitoring'] as const;
export type ProgressStatus = (typeof PROGRESS_STATUSES)[number];

/** Acknowledged and being worked on: notes, status updates and resolution are open. */
export const isActive = (s: IncidentStatus): boolean => s !== 'triggered' && s !== 'resolved' && s !== 'closed';
export const isOpen = (s: IncidentStatus): boolean => s !== 'resolved' && s !== 'closed';

/** Roles that take part in incident response (ack, notes, resolve, command). */
export const RESPONDER_ROLES = ['oncall', 'ops_manager', 'admin'] as const satisfies readonly Role[];
/** Roles that may hand command over or act for a commander. */
export const MANAGER_ROLES = ['ops_manager', 'admin'] as const satisfies readonly Role[];

export type EscalationTarget = { operatorId: string } | { role: Role };

export interface EscalationLevel {
  targets: EscalationTarget[];
  /** How long to wait for an acknowledgement at this level ('10m'); without it, the severity's acknowledgement SLA. */
  wait?: string;
}

/** An escalation policy as stored: chosen for an incident by its service and labels. */
export interface EscalationPolicySpec {
  name: string;
  /** Incidents of this service (null: any service). */
  service: string | null;
  /** Incidents carrying all these labels ({}: any). */
  labels: Record<string, string>;
  levels: EscalationLevel[];
  /** How many times the whole sequence of levels runs again after the first pass without an acknowledgement. */
  repeat: number;
}

export interface StoredEscalationPolicy extends EscalationPolicySpec {
  id: string;
  createdAt: string;
}

/** Paging when no policy matches: the oncall role, then the ops managers, twice over. */
export const BUILT_IN_POLICY: EscalationPolicySpec = {
  name: 'built-in',
  service: null,
  labels: {},
  levels: [{ targets: [{ role: 'oncall' }] }, { targets: [{ role: 'ops_manager' }] }],
  repeat: 1,
};

/**
 * The policy for an incident: one whose service and labels all match, the most specific first (a service counts
 * more than any number of labels), the oldest among equals; the built-in policy when none matches.
 */
export function choosePolicy(
  policies: StoredEscalationPolicy[],
  incident: { service: string | null; labels: Record<string, string> },
): EscalationPolicySpec & { id: string | null } {
  const scored = policies.flatMap((p) => {
    if (p.service !== null && p.service !== incident.service) return [];
    const keys = Object.keys(p.labels);
    if (!keys.every((k) => incident.labels[k] === p.labels[k])) return [];
    return [{ p, score: (p.service !== null ? 1000 : 0) + keys.length }];
  });
  scored.sort((a, b) => b.score - a.score || a.p.createdAt.localeCompare(b.p.createdAt) || a.p.id.localeCompare(b.p.id));
  const best = scored[0]?.p;
  return best
    ? { id: best.id, name: best.name, service: best.service, labels: best.labels, levels: best.levels, repeat: best.repeat }
    : { ...BUILT_IN_POLICY, id: null };
}

/** Incident settings (PUT /policies/incidents): acknowledgement SLAs by severity, and postmortems. */
export interface IncidentPolicy {
  /** Time to acknowledge per severity; null: no SLA (paging stays at the first level unless it sets a wait). */
  ackSla: Record<Severity, string | null>;
  /** Severities whose resolution opens a postmortem task. */
  postmortemFor: Severity[];
  /** The postmortem task's due time after resolution; when it passes, a reminder goes out. */
  postmortemDue: string;
  version: number;
}

export const DEFAULT_INCIDENT_POLICY: IncidentPolicy = {
  ackSla: { P1: '5m', P2: '15m', P3: '30m', P4: null },
  postmortemFor: ['P1', 'P2'],
  postmortemDue: '5d',
  version: 0,
};

export interface PageStep {
  /** 1-based level, and 0-based pass through the levels. */
  level: number;
  pass: number;
  targets: EscalationTarget[];
  /** How long to wait for an acknowledgement before the next step; null: no further step. */
  waitMs: number | null;
}

/**
 * The paging schedule: every level of every pass in order, each waiting its own time (or the acknowledgement SLA).
 * A level with no wait and no SLA ends the schedule: it is paged and then waited on without escalation.
 */
export function pageSchedule(levels: EscalationLevel[], repeat: number, ackSlaMs: number | null, toMs: (d: string) => number): PageStep[] {
  const steps: PageStep[] = [];
  for (let pass = 0; pass <= repeat; pass++) {
    for (const [i, level] of levels.entries()) {
      const waitMs = level.wait !== undefined ? toMs(level.wait) : ackSlaMs;
      steps.push({ level: i + 1, pass, targets: level.targets, waitMs });
      if (waitMs === null) return steps;
    }
  }
  return steps;
}

export type IncidentSource = { type: 'manual'; operatorId: string } | { type: 'rule'; ruleId: string; ruleName: string; episode: number };

export interface IncidentInput {
  incidentId: string;
  title: string;
  severity: Severity;
  service: string | null;
  labels: Record<string, string>;
  source: IncidentSource;
  /** Why it opened (a rule's reason, or the reporter's description). */
  description?: string;
  /** When it happened (a rule's evaluation that fired, the API's receipt); the workflow's start otherwise. */
  triggeredAt?: string;
  /** Overrides for tests and special cases; the incident policy's values otherwise. */
  ackSla?: string | null;
  postmortemDue?: string;
}

export type TimelineType =
  | 'triggered'
  | 'paged'
  | 'nobody_paged'
  | 'escalation_exhausted'
  | 'acknowledged'
  | 'commander'
  | 'status'
  | 'note'
  | 'rule_fired'
  | 'rule_recovered'
  | 'resolved'
  | 'postmortem_requested'
  | 'postmortem_overdue'
  | 'postmortem_done'
  | 'closed';

export interface TimelineEntry {
  at: string;
  type: TimelineType;
  /** The operator who acted; null for the system (paging, rules). */
  actorId: string | null;
  message: string;
  details?: Record<string, unknown>;
}

export interface Postmortem {
  required: boolean;
  taskId: string | null;
  dueAt: string | null;
  status: 'not_required' | 'not_started' | 'pending' | 'overdue' | 'done';
  summary: string | null;
  rootCause: string | null;
  actionItems: string[];
  completedBy: string | null;
  completedAt: string | null;
}

export interface IncidentState {
  incidentId: string;
  title: string;
  severity: Severity;
  service: string | null;
  labels: Record<string, string>;
  status: IncidentStatus;
  source: IncidentSource;
  commanderId: string | null;
  escalation: {
    policyId: string | null;
    policyName: string;
    levels: EscalationLevel[];
    repeat: number;
    /** The level and pass paged last (0 before the first page). */
    level: number;
    pass: number;
    pages: number;
    /** Every level of every pass was paged without an acknowledgement. */
    exhausted: boolean;
    /** When the next level is paged, if nobody acknowledges first. */
    nextPageAt: string | null;
  };
  ackSla: string | null;
  ackDueAt: string | null;
  triggeredAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
  closedAt: string | null;
  /** Rule firings folded into this incident (the one that opened it included). */
  firings: number;
  postmortem: Postmortem;
  timeline: TimelineEntry[];
}

/** The most timeline entries kept; beyond it the oldest rule firings are dropped first (counted in `firings`). */
export const TIMELINE_MAX = 500;
