// The incidents API's shapes (from the generated schema) and the few rules the pages need to decide what to offer;
// the API's authorization and the workflow's validators stay the only authority.
import { useTranslation } from 'react-i18next';
import type { Session } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';

type Json<T> = T extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;

export type IncidentPage = Json<paths['/incidents']['get']>;
export type IncidentItem = IncidentPage['items'][number];
export type IncidentQuery = NonNullable<paths['/incidents']['get']['parameters']['query']>;
export type Incident = Json<paths['/incidents/{id}']['get']>;
export type IncidentStats = Json<paths['/incidents/stats']['get']>;
export type Severity = IncidentItem['severity'];
export type Status = IncidentItem['status'];
export type TimelineItem = Incident['timeline'][number];

export const SEVERITIES: readonly Severity[] = ['P1', 'P2', 'P3', 'P4'];
export const STATUSES: readonly Status[] = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'];
export const PROGRESS_STATUSES = ['investigating', 'identified', 'monitoring'] as const;
export type ProgressStatus = (typeof PROGRESS_STATUSES)[number];

export const isOpen = (status: Status): boolean => status !== 'resolved' && status !== 'closed';

/** Roles that respond (acknowledge, notes, command, resolve); analysts only read. */
export const isResponder = (session: Session): boolean =>
  session.operator.roles.some((role) => role === 'oncall' || role === 'ops_manager' || role === 'admin');

/** Who may act for any commander (hand over, resolve, the postmortem). */
export const isManager = (session: Session): boolean => session.operator.roles.some((role) => role === 'ops_manager' || role === 'admin');

/** A span of seconds as a person reads it: "45 s", "12 min", "2 hr 5 min", "3 days 4 hr" (in the console's language). */
export function formatSeconds(seconds: number, language: string): string {
  const unit = (value: number, name: 'second' | 'minute' | 'hour' | 'day') =>
    new Intl.NumberFormat(language, { style: 'unit', unit: name, unitDisplay: 'short', maximumFractionDigits: 0 }).format(value);
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return unit(Math.round(s / 60), 'minute');
  const [big, bigName, small, smallName] =
    s < 86_400
      ? ([Math.floor(s / 3600), 'hour', Math.floor((s % 3600) / 60), 'minute'] as const)
      : ([Math.floor(s / 86_400), 'day', Math.floor((s % 86_400) / 3600), 'hour'] as const);
  return small ? `${unit(big, bigName)} ${unit(small, smallName)}` : unit(big, bigName);
}

/** The operator behind an id: me, or their name (the answer's `people`), else a short id. */
export function useWho(me: string, people: Record<string, string>) {
  const { t } = useTranslation('incidents');
  return (id: string | null | undefined): string =>
    !id ? t('nobody') : id === me ? t('me') : (people[id] ?? t('operator', { id: id.slice(0, 8) }));
}
