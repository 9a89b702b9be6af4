// Incident messages: frozen wire contract shared by the workflow, the API and the rule monitor's activities.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IncidentState, ProgressStatus } from '../domain/incident.ts';
import type { Actor } from '../domain/actors.ts';

export interface AckIncidentArgs {
  actor: Actor;
  note?: string;
}
/** A note for the timeline, with a status update when `status` is given. */
export interface IncidentNoteArgs {
  actor: Actor;
  note: string;
  status?: ProgressStatus;
}
/** The new commander as the API found them (an active responder). */
export interface SetCommanderArgs {
  actor: Actor;
  commander: Actor;
}
export interface ResolveIncidentArgs {
  actor: Actor;
  resolution: string;
}
export interface PostmortemArgs {
  actor: Actor;
  summary: string;
  rootCause: string;
  actionItems: string[];
}
/** A firing of the rule that opened the incident, while it is open: it goes to the timeline. */
export interface RuleFiringArgs {
  ruleId: string;
  episode: number;
  reason: string;
  value: number | null;
  at: string;
}
export interface RuleRecoveredArgs {
  ruleId: string;
  episode: number;
  at: string;
}

export const ackIncident = defineUpdate<IncidentState, [AckIncidentArgs]>('ackIncident');
export const addIncidentNote = defineUpdate<IncidentState, [IncidentNoteArgs]>('addIncidentNote');
export const setIncidentCommander = defineUpdate<IncidentState, [SetCommanderArgs]>('setIncidentCommander');
export const resolveIncident = defineUpdate<IncidentState, [ResolveIncidentArgs]>('resolveIncident');
export const submitPostmortem = defineUpdate<IncidentState, [PostmortemArgs]>('submitPostmortem');
/** Refused (409) once the incident is resolved: the rule then opens a new one. */
export const addRuleFiring = defineUpdate<IncidentState, [RuleFiringArgs]>('addRuleFiring');
export const ruleRecovered = defineSignal<[RuleRecoveredArgs]>('ruleRecovered');
export const getIncident = defineQuery<IncidentState>('getIncident');
