// What happened to an entity, oldest first, each entry with its time in the operator's timezone.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../format.ts';

export interface TimelineEntry {
  at: string;
  title: ReactNode;
  detail?: ReactNode;
}

export function Timeline({ entries, label }: { entries: TimelineEntry[]; label: string }) {
  const { i18n } = useTranslation();
  return (
    <ol className="timeline" aria-label={label}>
      {entries.map((entry, i) => (
        <li key={`${entry.at}-${i}`}>
          <time dateTime={entry.at}>{formatDateTime(entry.at, i18n.language)}</time>
          <div>{entry.title}</div>
          {entry.detail && <div className="muted">{entry.detail}</div>}
        </li>
      ))}
    </ol>
  );
}
