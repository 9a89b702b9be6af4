// The severity and status of an incident as badges: the list and the incident's page show them alike.
import { useTranslation } from 'react-i18next';
import type { IncidentItem, Status } from './incidents-api.ts';

export function Severity({ value }: { value: IncidentItem['severity'] }) {
  return <span className={`incidents-severity severity-${value}`}>{value}</span>;
}

export function StatusBadge({ value }: { value: Status }) {
  const { t } = useTranslation('incidents');
  return <span className={`incidents-status status-${value}`}>{t(`statuses.${value}`)}</span>;
}
