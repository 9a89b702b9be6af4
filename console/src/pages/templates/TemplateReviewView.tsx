// A template_review task in the inbox: the version as the sample customer would get it, who wrote it and why, and its
// changes against the live version (against the one before it once it is live itself). Loaded inside the inbox's
// chunk, so it brings the templates area's words and styles along.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../components/page.tsx';
import { registerMessages } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { en, zhCN } from './messages.ts';
import { RenderedMail, StatusBadges, VersionDiff } from './parts.tsx';
import { getTemplates, getVersion, isMessageKey, keys, localeName, personName, versionByNumber, type MessageKey } from './templates-api.ts';
import './templates.css';

registerMessages('templates', { en, 'zh-CN': zhCN });

export interface TemplateReviewPayload {
  key: string;
  locale: string;
  version: number;
  versionId: string;
}

export function TemplateReviewView({ payload }: { payload: TemplateReviewPayload }) {
  const { t } = useTranslation('templates');
  if (!isMessageKey(payload.key)) return <p className="error">{t('review.unknownMessage', { key: payload.key })}</p>;
  return <Review payload={payload} messageKey={payload.key} />;
}

function Review({ payload, messageKey }: { payload: TemplateReviewPayload; messageKey: MessageKey }) {
  const { t, i18n } = useTranslation('templates');
  const version = useQuery({
    queryKey: keys.version(payload.versionId),
    queryFn: () => getVersion(payload.versionId),
    refetchInterval: 15_000,
  });
  const list = useQuery({ queryKey: keys.list, queryFn: getTemplates });
  const summary = list.data?.items.find((i) => i.key === messageKey)?.locales.find((l) => l.locale === payload.locale);
  const v = version.data;
  // Against the live version; once this one is live (approved), against the one before it.
  const otherNumber =
    !summary || !v
      ? null
      : summary.liveVersion !== null && summary.liveVersion !== v.version
        ? summary.liveVersion
        : v.version > 1
          ? v.version - 1
          : null;
  const against = otherNumber !== null && otherNumber === summary?.liveVersion ? 'live' : 'previous';
  const other = useQuery({
    queryKey: [...keys.versions(messageKey, payload.locale), 'number', otherNumber, summary?.latestVersion],
    queryFn: () => versionByNumber(messageKey, payload.locale, otherNumber!, summary!.latestVersion),
    enabled: otherNumber !== null && summary !== undefined,
  });
  const rendered = useQuery({
    queryKey: ['templates', 'rendered', payload.versionId],
    queryFn: async () =>
      unwrap(
        await api.POST('/templates/{key}/preview', {
          params: { path: { key: messageKey } },
          body: { versionId: payload.versionId, locale: payload.locale },
        }),
      ),
  });
  const message = t(`messages.${messageKey}.name`);
  const people = v?.people ?? {};
  const words = { you: (name: string) => t('people.you', { name }), shipped: t('people.shipped'), unknown: t('people.unknown') };

  return (
    <div className="templates-review">
      <ErrorNote error={version.error ?? list.error} />
      {version.isPending && <Loading />}
      {v && (
        <>
          <Facts
            items={[
              [t('review.message'), message],
              [t('review.locale'), `${localeName(v.locale, i18n.language)} (${v.locale})`],
              [t('review.version'), t('list.version', { n: v.version })],
              [t('review.status'), <StatusBadges version={v} />],
              [t('review.author'), personName(v.authorId, people, '', words)],
            ]}
          />
          <h3>{t('review.note')}</h3>
          <p>{v.note ?? <span className="muted">{t('review.noNote')}</span>}</p>
          <h3>
            {against === 'live'
              ? t('review.diffLive', { n: otherNumber })
              : otherNumber !== null
                ? t('review.diffPrevious', { n: otherNumber })
                : t('review.diff')}
          </h3>
          {otherNumber === null && summary && <p className="muted">{t('review.noOther')}</p>}
          <ErrorNote error={other.error} />
          {other.isFetching && !other.data && <Loading />}
          {other.data && <VersionDiff before={other.data} after={v} level={4} />}
          <h3>{t('review.rendered')}</h3>
          <ErrorNote error={rendered.error} />
          {rendered.isPending && <Loading />}
          {rendered.data && <RenderedMail rendered={rendered.data} title={t('review.frame', { message, n: v.version })} />}
          <p>
            <Link to={`~/console/templates/${messageKey}/${v.locale}/history?v=${v.version}`}>{t('review.history')}</Link>
          </p>
        </>
      )}
    </div>
  );
}
