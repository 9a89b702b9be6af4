// A content review: the text with the automated check findings marked, the findings listed, and the diff against the
// previous revision (both from the content's live state).
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Task } from '../../../api/client.ts';
import { HighlightedText, type Highlight } from '../../../components/HighlightedText.tsx';
import { ErrorNote, Loading } from '../../../components/page.tsx';
import { RevisionDiff } from '../../../components/RevisionDiff.tsx';
import { getContent } from '../inbox-api.ts';

interface Finding {
  rule: string;
  severity: string;
  message: string;
  matches?: string[];
}
interface Payload {
  revision?: number;
  round?: number;
  checks?: { outcome: string; findings: Finding[] } | null;
}

const fullText = (c: { title: string; body: string }) => `${c.title}\n\n${c.body}`;

export function ContentReviewView({ task }: { task: Task }) {
  const { t } = useTranslation('inbox');
  const payload = task.payload as Payload;
  const content = useQuery({ queryKey: ['content', task.entityId], queryFn: () => getContent(task.entityId) });
  // The findings of the revision this task is about (the payload), else the content's latest.
  const findings: Finding[] = payload.checks?.findings ?? content.data?.checks?.findings ?? [];
  const highlights: Highlight[] = findings.flatMap((f) => (f.matches ?? []).map((text) => ({ text, label: f.message })));
  const c = content.data;

  return (
    <>
      <h3>{t('content.findings')}</h3>
      {findings.length === 0 ? (
        <p>{t('content.noFindings')}</p>
      ) : (
        <ul className="findings">
          {findings.map((f, i) => (
            <li key={i}>
              <strong>{t(`content.severity.${f.severity}`, { defaultValue: f.severity })}</strong>: {f.message}
            </li>
          ))}
        </ul>
      )}
      <h3>{t('content.text')}</h3>
      {payload.revision !== undefined && (
        <p className="muted">{t('content.revisionOf', { revision: payload.revision, round: payload.round ?? 1 })}</p>
      )}
      {content.isPending && <Loading />}
      <ErrorNote error={content.error} />
      {c && c.body === null && <p>{t('content.archived')}</p>}
      {c && c.body !== null && (
        <>
          {payload.revision !== undefined && c.revision !== payload.revision && (
            <p className="muted">{t('content.notCurrent', { current: c.revision, revision: payload.revision })}</p>
          )}
          <HighlightedText text={fullText({ title: c.title, body: c.body })} highlights={highlights} />
          {c.previous ? (
            <>
              <h3>{t('content.diff', { revision: c.previous.revision })}</h3>
              <RevisionDiff
                before={fullText(c.previous)}
                after={fullText({ title: c.title, body: c.body })}
                labels={{
                  added: (count) => t('content.added', { count }),
                  removed: (count) => t('content.removed', { count }),
                  same: t('content.same'),
                }}
              />
            </>
          ) : (
            <p className="muted">{t('content.firstRevision')}</p>
          )}
        </>
      )}
    </>
  );
}
