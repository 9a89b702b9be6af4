// Pieces the editor, the history and the review share: a rendered message as a mail client shows it, and the changes
// between two versions part by part.
import { diffLines, diffWords } from 'diff';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { PARTS, type Part, type Rendered, type Version } from './templates-api.ts';

/**
 * The message as it would arrive: sender, subject, preheader, the HTML in a sandboxed frame (no scripts, no forms, an
 * origin of its own: the template's HTML is the ops team's, not ours), and the plain-text part.
 */
export function RenderedMail({ rendered, title }: { rendered: Rendered; title: string }) {
  const { t } = useTranslation('templates');
  return (
    <div className="templates-mail">
      <dl className="templates-mail-head">
        <div>
          <dt>{t('preview.from')}</dt>
          <dd>{rendered.senderName}</dd>
        </div>
        <div>
          <dt>{t('preview.to')}</dt>
          <dd>{rendered.customer.name ? `${rendered.customer.name} <${rendered.customer.email}>` : rendered.customer.email}</dd>
        </div>
        <div>
          <dt>{t('preview.subject')}</dt>
          <dd className="templates-mail-subject">{rendered.subject}</dd>
        </div>
        <div>
          <dt>{t('preview.preheader')}</dt>
          <dd>{rendered.preheader || <span className="muted">{t('preview.noPreheader')}</span>}</dd>
        </div>
      </dl>
      <iframe className="templates-frame" sandbox="" srcDoc={rendered.html} title={title} />
      <details>
        <summary>{t('preview.text')}</summary>
        <pre className="templates-plain">{rendered.text}</pre>
      </details>
    </div>
  );
}

type Sourced = Pick<Version, Part>;

/**
 * What changed from `before` to `after`, each changed part on its own: lines for the HTML and the text, words for the
 * short ones; removed struck through, added underlined, with counts, so the change is not told by colour alone.
 */
export function VersionDiff({ before, after, level }: { before: Sourced; after: Sourced; level: 3 | 4 }) {
  const { t } = useTranslation('templates');
  const changed = useMemo(
    () =>
      PARTS.flatMap((part) => {
        const a = before[part] ?? '';
        const b = after[part] ?? '';
        if (a === b) return [];
        const lines = part === 'html' || part === 'text';
        const changes = lines ? diffLines(a, b) : diffWords(a, b);
        const count = (s: string) =>
          lines ? s.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).length : s.split(/\s+/).filter(Boolean).length || 1;
        return [
          {
            part,
            lines,
            changes,
            added: changes.filter((c) => c.added).reduce((n, c) => n + count(c.value), 0),
            removed: changes.filter((c) => c.removed).reduce((n, c) => n + count(c.value), 0),
          },
        ];
      }),
    [before, after],
  );
  const Heading = level === 3 ? 'h3' : 'h4';

  if (changed.length === 0) return <p className="templates-diff-same">{t('diff.same')}</p>;
  return (
    <div className="templates-diff">
      {changed.map(({ part, lines, changes, added, removed }) => (
        <div key={part}>
          <Heading>{t(`parts.${part}`)}</Heading>
          <p className="muted">
            {lines ? t('diff.lines', { added, removed }) : t('diff.words', { added, removed })}
            {before[part] === null && part === 'text' && ` · ${t('diff.wasGenerated')}`}
            {after[part] === null && part === 'text' && ` · ${t('diff.nowGenerated')}`}
          </p>
          <div className={`marked-text templates-diff-text${lines ? ' templates-diff-lines' : ''}`}>
            {changes.map((c, i) =>
              c.added ? <ins key={i}>{c.value}</ins> : c.removed ? <del key={i}>{c.value}</del> : <span key={i}>{c.value}</span>,
            )}
          </div>
        </div>
      ))}
    </div>
  );
}

/** A version's status as a badge, with "live" beside it when it is the one customers get. */
export function StatusBadges({ version }: { version: Pick<Version, 'status' | 'live'> }) {
  const { t } = useTranslation('templates');
  return (
    <span className="templates-badges">
      <span className={`templates-status templates-status-${version.status}`}>{t(`statuses.${version.status}`)}</span>
      {version.live && <span className="templates-status templates-status-live">{t('statuses.live')}</span>}
    </span>
  );
}
