// The campaigns API's shapes (from the generated schema), what each stage allows, and a refusal that keeps the API's
// field messages by their full path ('abTest.variants[1].name'), so the form shows each beside its input.
import type { Session } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';

type Json<T> = T extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;

export type CampaignPage = Json<paths['/campaigns']['get']>;
export type CampaignItem = CampaignPage['items'][number];
export type CampaignQuery = NonNullable<paths['/campaigns']['get']['parameters']['query']>;
export type Campaign = Json<paths['/campaigns/{id}']['get']>;
export type Counts = NonNullable<Campaign['counts']>;
export type Progress = Json<paths['/campaigns/{id}/progress']['get']>;
export type Preview = Json<paths['/campaigns/preview']['post']>;
export type CreateBody = paths['/campaigns']['post']['requestBody']['content']['application/json'];
export type PatchBody = paths['/campaigns/{id}']['patch']['requestBody']['content']['application/json'];
export type Audience = CreateBody['audience'];
export type Stage = CampaignItem['stage'];
export type Segment = NonNullable<Audience['segment']>;
export type LifecycleStage = NonNullable<NonNullable<Audience['filters']>['stages']>[number];
export type GoalMetric = NonNullable<CreateBody['goals']>[number]['metric'];
export type GuardMetric = NonNullable<CreateBody['guards']>[number]['metric'];
export type WinningMetric = NonNullable<CreateBody['abTest']>['winningMetric'];

export const STAGES: readonly Stage[] = ['draft', 'pending_approval', 'scheduled', 'running', 'paused', 'ended', 'reported', 'cancelled'];
export const SEGMENTS: readonly Segment[] = ['champions', 'loyal', 'new', 'potential', 'at_risk', 'hibernating', 'lost'];
export const LIFECYCLE_STAGES: readonly LifecycleStage[] = [
  'acquired',
  'activated',
  'retained',
  'monetized',
  'referrer',
  'at_risk',
  'churned',
  'recalled',
];
export const GOAL_METRICS: readonly GoalMetric[] = ['new_users', 'gmv', 'uv', 'conversion_rate'];
export const GUARD_METRICS: readonly GuardMetric[] = ['unsubscribe_rate', 'failure_rate'];
export const WINNING_METRICS: readonly WinningMetric[] = ['conversions', 'clicks'];
export const TEMPLATE_FIELDS = ['name', 'firstName', 'email', 'externalId', 'stage', 'segment'] as const;

export const isClosed = (stage: Stage): boolean => stage === 'ended' || stage === 'reported' || stage === 'cancelled';
/** What the buttons offer in each stage (the workflow's own rules; it refuses anything else with 409). */
export const ACTIONS = {
  submit: ['draft'],
  pause: ['running'],
  resume: ['paused'],
  end: ['running', 'paused'],
  cancel: ['draft', 'pending_approval', 'scheduled', 'running', 'paused'],
} as const satisfies Record<string, readonly Stage[]>;
export type Action = keyof typeof ACTIONS;
/** The whole campaign changes in these stages; once approved only its schedule, until launch. */
export const EDITABLE: readonly Stage[] = ['draft', 'pending_approval', 'scheduled'];

export const canManage = (session: Session): boolean =>
  session.operator.roles.includes('admin') || session.operator.roles.includes('ops_manager');
/** Submit, resume, end, cancel and edit are the creator's (or an admin's); any manager may pause. */
export const isOwner = (session: Session, ownerId: string): boolean =>
  session.operator.roles.includes('admin') || (session.operator.id === ownerId && session.operator.roles.includes('ops_manager'));

/** The API's refusal with its field messages by their path. */
export { FieldRefusal, unwrapWithFields } from '../../api/client.ts';

/** The retrospective. */
export type Report = Json<paths['/campaigns/{id}/report']['get']>;

/** An ISO instant as a datetime-local value in the operator's timezone (the browser's, as format.ts uses). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (the operator's timezone) as an ISO instant with its offset, or '' when empty or invalid. */
export function fromLocalInput(value: string): string {
  const ms = value ? new Date(value).getTime() : Number.NaN;
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}
