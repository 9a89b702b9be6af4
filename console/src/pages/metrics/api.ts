// The metrics area's types (from the generated API schema) and the choices the rule form offers.
import type { Role } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Rule = Json<paths['/rules/{id}']['get']['responses']['200']>;
export type RuleBody = NonNullable<paths['/rules']['post']['requestBody']>['content']['application/json'];
export type RuleAction = RuleBody['action'];
export type DryRun = Json<paths['/rules/dry-run']['post']['responses']['200']>;
export type Episode = Json<paths['/rules/{id}/episodes']['get']['responses']['200']>['items'][number];
export type MonitorState = Rule['monitor']['state'];

type Segment = Extract<RuleAction, { type: 'start_winback' }>['segment'];

export const AGGREGATIONS = ['avg', 'sum', 'min', 'max', 'last', 'rate'] as const satisfies readonly Rule['aggregation'][];
export const COMPARISONS = ['above', 'below', 'change_above', 'change_below'] as const satisfies readonly Rule['comparison'][];
export const NO_DATA = ['ok', 'alert', 'keep'] as const satisfies readonly Rule['noData'][];
export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const satisfies readonly Rule['severity'][];
export const ACTIONS = ['open_incident', 'notify_role', 'pause_campaign', 'start_winback'] as const satisfies readonly RuleAction['type'][];
export const SEGMENTS = ['champions', 'loyal', 'new', 'potential', 'at_risk', 'hibernating', 'lost'] as const satisfies readonly Segment[];
export const ROLES = ['oncall', 'ops_manager', 'admin', 'analyst', 'reviewer', 'legal'] as const satisfies readonly Role[];
/** Who may write rules (the API decides; this only hides buttons that would be refused). */
export const canWrite = (roles: readonly Role[]) => roles.includes('admin') || roles.includes('ops_manager');

/** `region:eu, app:web` → `{region: 'eu', app: 'web'}` (the API's own query format); null when a pair has no name. */
export function parseLabels(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = pair.indexOf(':');
    if (i <= 0) return null;
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

export const formatLabels = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}:${v}`)
    .join(', ');
