// The words changed between two revisions of a text: removed words struck through (<del>), added ones underlined
// (<ins>), the rest as it was; with a count of each, so the change is not told by colour alone.
import { diffWords } from 'diff';
import { useMemo } from 'react';
import './marked-text.css';

export function RevisionDiff({
  before,
  after,
  labels,
}: {
  before: string;
  after: string;
  /** The words around it, in the page's language: "{{n}} words added" and so on. */
  labels: { added: (n: number) => string; removed: (n: number) => string; same: string };
}) {
  const changes = useMemo(() => diffWords(before, after), [before, after]);
  const words = (s: string) => s.split(/\s+/).filter(Boolean).length || (s.trim() ? 1 : 0);
  const added = changes.filter((c) => c.added).reduce((n, c) => n + words(c.value), 0);
  const removed = changes.filter((c) => c.removed).reduce((n, c) => n + words(c.value), 0);
  return (
    <div className="revision-diff">
      <p className="muted">{added === 0 && removed === 0 ? labels.same : `${labels.added(added)} · ${labels.removed(removed)}`}</p>
      <div className="marked-text">
        {changes.map((c, i) =>
          c.added ? <ins key={i}>{c.value}</ins> : c.removed ? <del key={i}>{c.value}</del> : <span key={i}>{c.value}</span>,
        )}
      </div>
    </div>
  );
}
