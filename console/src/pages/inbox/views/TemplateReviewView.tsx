// A message template version under review: what it is, who wrote it and why, and its changes against the version
// customers get now (the live one), or its whole source when none is live yet.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Task } from '../../../api/client.ts';
import { Facts } from '../../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../../components/page.tsx';
import { RevisionDiff } from '../../../components/RevisionDiff.tsx';

interface Payload { key?: string; locale?: string; version?: number; versionId?: string }
interface Source { subject: string; preheader: string | null; senderName: string; html: string; text: string | null }

/** One text of everything a reviewer judges, so one diff shows every change. */
const sourceText = (v: Source) => [`From: ${v.senderName}`, `Subject: ${v.subject}`, ...(v.preheader ? [`Preheader: ${v.preheader}`] : []), '', v.html,
  ...(v.text ? ['', v.text] : [])].join('\n');

export function TemplateReviewView({ task }: { task: Task }) {
  const { t } = useTranslation('inbox');
  const p = task.payload as Payload;
  const versionId = p.versionId ?? task.entityId;
  const version = useQuery({
    queryKey: ['template-version', versionId],
    queryFn: async () => unwrap(await api.GET('/template-versions/{id}', { params: { path: { id: versionId } } })),
  });
  const v = version.data;
  const versions = useQuery({
    queryKey: ['template-versions', v?.key, v?.locale],
    enabled: v !== undefined,
    queryFn: async () => unwrap(await api.GET('/templates/{key}/{locale}/versions', {
      params: { path: { key: v!.key, locale: v!.locale }, query: { limit: 100 } },
    })),
  });
  const live = versions.data?.items.find((x) => x.live && x.id !== versionId);

  return (
    <>
      <h3>{t('template.version')}</h3>
      {version.isPending && <Loading />}
      <ErrorNote error={version.error ?? versions.error} />
      {v && (
        <Facts items={[
          [t('template.message'), v.key],
          [t('template.locale'), v.locale],
          [t('template.versionNo'), v.version],
          [t('template.author'), v.authorId ? v.people[v.authorId] ?? v.authorId : t('template.shipped')],
          [t('template.note'), v.note],
        ]} />
      )}
      {v && versions.data && (live ? (
        <>
          <h3>{t('template.diff', { version: live.version })}</h3>
          <RevisionDiff before={sourceText(live)} after={sourceText(v)} labels={{
            added: (count) => t('content.added', { count }), removed: (count) => t('content.removed', { count }), same: t('content.same'),
          }} />
        </>
      ) : (
        <>
          <h3>{t('template.source')}</h3>
          <p className="muted">{t('template.noneLive')}</p>
          <pre className="payload">{sourceText(v)}</pre>
        </>
      ))}
    </>
  );
}
