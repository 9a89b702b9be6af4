// A message's versions in one locale, newest first and paged: status, who wrote and who reviewed each, "make live" on
// an approved one (a rollback, or forward again), "withdraw" on one in review (its author, or an admin). A chosen
// version (?v=) shows its changes against the one before it or the live one, and how it renders.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime } from '../../format.ts';
import { Link, useSearchParams } from '../../router.tsx';
import { RenderedMail, StatusBadges, VersionDiff } from './parts.tsx';
import {
  canWrite,
  getTemplates,
  getVersions,
  keys,
  localeName,
  personName,
  versionByNumber,
  type MessageKey,
  type Version,
} from './templates-api.ts';

const PAGE = 20;

export function TemplateHistory({ session, messageKey, locale }: { session: Session; messageKey: MessageKey; locale: string }) {
  const { t, i18n } = useTranslation('templates');
  const name = t(`messages.${messageKey}.name`);
  const title = t('history.title', { message: name, locale: localeName(locale, i18n.language) });
  usePageTitle(title);
  const [params, setParams] = useSearchParams();
  const offset = Math.max(0, Number.parseInt(params.get('offset') ?? '0', 10) || 0);
  const chosen = Number.parseInt(params.get('v') ?? '', 10) || null;
  const queryClient = useQueryClient();
  const page = useQuery({
    queryKey: [...keys.versions(messageKey, locale), offset],
    queryFn: () => getVersions(messageKey, locale, PAGE, offset),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const me = session.operator.id;
  const [done, setDone] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: async ({ kind, version }: { kind: 'makeLive' | 'withdraw'; version: Version }) => {
      const path = { id: version.id };
      return kind === 'makeLive'
        ? { kind, v: unwrap(await api.POST('/template-versions/{id}/make-live', { params: { path } })) }
        : { kind, v: unwrap(await api.POST('/template-versions/{id}/withdraw', { params: { path }, body: {} })) };
    },
    onSuccess: ({ kind, v }) => {
      setDone(kind === 'makeLive' ? t('history.madeLive', { n: v.version }) : t('history.withdrawn', { n: v.version }));
      void queryClient.invalidateQueries({ queryKey: keys.all });
    },
    onMutate: () => setDone(null),
  });
  const setParam = (changes: Record<string, string | undefined>) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      for (const [k, v] of Object.entries(changes)) {
        if (v) next.set(k, v);
        else next.delete(k);
      }
      return next;
    });
  const latest = page.data?.total ?? 0;
  const people = page.data?.people ?? {};
  const words = { you: (name: string) => t('people.you', { name }), shipped: t('people.shipped'), unknown: t('people.unknown') };

  return (
    <section aria-labelledby="history-title">
      <p className="templates-crumbs">
        <Link to="/">{t('title')}</Link>
      </p>
      <h1 id="history-title">{title}</h1>
      <p className="templates-crumbs">
        <span className="muted">{locale}</span>
        {' · '}
        <Link to={`/${messageKey}/${locale}`}>{t('history.edit')}</Link>
      </p>
      <ErrorNote error={page.error} />
      {page.isPending && <Loading />}
      {done && (
        <p role="status" className="templates-ok">
          {done}
        </p>
      )}
      <ErrorNote error={act.error} />
      {page.data && page.data.items.length === 0 && <p>{t('history.empty')}</p>}
      {page.data && page.data.items.length > 0 && (
        <>
          <table className="templates-table templates-history" aria-busy={page.isFetching && page.isPlaceholderData}>
            <caption className="templates-sr-only">{t('history.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('history.columns.version')}</th>
                <th scope="col">{t('history.columns.status')}</th>
                <th scope="col">{t('history.columns.author')}</th>
                <th scope="col">{t('history.columns.review')}</th>
                <th scope="col">{t('history.columns.note')}</th>
                <th scope="col">{t('history.columns.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((v) => (
                <tr key={v.id} className={v.version === chosen ? 'templates-chosen' : undefined}>
                  <th scope="row">{t('list.version', { n: v.version })}</th>
                  <td>
                    <StatusBadges version={v} />
                  </td>
                  <td>
                    {personName(v.authorId, people, me, words)}
                    <div className="muted">
                      <time dateTime={v.createdAt}>{formatDateTime(v.createdAt, i18n.language)}</time>
                    </div>
                  </td>
                  <td>
                    {v.reviewedAt ? (
                      <>
                        {personName(v.reviewedBy, people, me, words)}
                        <div className="muted">
                          <time dateTime={v.reviewedAt}>{formatDateTime(v.reviewedAt, i18n.language)}</time>
                        </div>
                        {v.reviewComment && <div className="templates-comment">“{v.reviewComment}”</div>}
                      </>
                    ) : (
                      <span className="muted">{v.status === 'in_review' ? t('history.waiting') : '—'}</span>
                    )}
                  </td>
                  <td>{v.note ?? <span className="muted">—</span>}</td>
                  <td>
                    <div className="templates-row-actions">
                      <button
                        type="button"
                        aria-pressed={v.version === chosen}
                        onClick={() => setParam({ v: v.version === chosen ? undefined : String(v.version) })}
                      >
                        {t('history.show', { n: v.version })}
                      </button>
                      {canWrite(session) && v.status === 'approved' && !v.live && (
                        <button type="button" disabled={act.isPending} onClick={() => act.mutate({ kind: 'makeLive', version: v })}>
                          {t('history.makeLive', { n: v.version })}
                        </button>
                      )}
                      {canWrite(session) && v.status === 'in_review' && (v.authorId === me || session.operator.roles.includes('admin')) && (
                        <button type="button" disabled={act.isPending} onClick={() => act.mutate({ kind: 'withdraw', version: v })}>
                          {t('history.withdraw', { n: v.version })}
                        </button>
                      )}
                      {canWrite(session) && (
                        <Link to={`/${messageKey}/${locale}?from=${v.id}`}>{t('history.editFrom', { n: v.version })}</Link>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            offset={offset}
            limit={PAGE}
            total={page.data.total}
            shown={page.data.items.length}
            onChange={(next) => setParam({ offset: next ? String(next) : undefined })}
          />
        </>
      )}
      {chosen !== null && latest > 0 && (
        <VersionPanel
          key={chosen}
          messageKey={messageKey}
          locale={locale}
          n={chosen}
          latest={latest}
          page={page.data?.items ?? []}
          people={people}
          me={me}
        />
      )}
    </section>
  );
}

/** One version: its changes against the one before it, or the live one, and how it renders for the sample customer. */
function VersionPanel({
  messageKey,
  locale,
  n,
  latest,
  page,
  people,
  me,
}: {
  messageKey: MessageKey;
  locale: string;
  n: number;
  latest: number;
  page: Version[];
  people: Record<string, string>;
  me: string;
}) {
  const { t } = useTranslation('templates');
  const list = useQuery({ queryKey: keys.list, queryFn: getTemplates });
  const liveNumber = list.data?.items.find((i) => i.key === messageKey)?.locales.find((l) => l.locale === locale)?.liveVersion ?? null;
  const [against, setAgainst] = useState<'previous' | 'live'>(n > 1 ? 'previous' : 'live');
  const otherNumber = against === 'previous' ? n - 1 : liveNumber;
  const byNumber = (k: number | null) => ({
    queryKey: [...keys.versions(messageKey, locale), 'number', k, latest],
    queryFn: async () => page.find((v) => v.version === k) ?? (k === null ? null : versionByNumber(messageKey, locale, k, latest)),
  });
  const version = useQuery(byNumber(n));
  const other = useQuery({ ...byNumber(otherNumber), enabled: otherNumber !== null && otherNumber !== n });
  const rendered = useQuery({
    queryKey: ['templates', 'rendered', version.data?.id],
    queryFn: async () =>
      unwrap(
        await api.POST('/templates/{key}/preview', {
          params: { path: { key: messageKey } },
          body: { versionId: version.data!.id, locale },
        }),
      ),
    enabled: !!version.data,
  });
  const v = version.data;

  return (
    <section className="panel" aria-labelledby="version-title">
      <h2 id="version-title">{t('history.versionTitle', { n })}</h2>
      <ErrorNote error={version.error ?? other.error} />
      {version.isPending && <Loading />}
      {version.data === null && <p>{t('history.noSuchVersion', { n })}</p>}
      {v && (
        <>
          <p>
            <StatusBadges version={v} />{' '}
            {t('history.by', {
              who: personName(v.authorId, people, me, {
                you: (name: string) => t('people.you', { name }),
                shipped: t('people.shipped'),
                unknown: t('people.unknown'),
              }),
            })}
          </p>
          <h3>{t('history.changes')}</h3>
          <div role="group" aria-label={t('history.against')} className="templates-against">
            {n > 1 && (
              <label>
                <input type="radio" name="against" checked={against === 'previous'} onChange={() => setAgainst('previous')} />{' '}
                {t('history.againstPrevious', { n: n - 1 })}
              </label>
            )}
            {liveNumber !== null && (
              <label>
                <input type="radio" name="against" checked={against === 'live'} onChange={() => setAgainst('live')} />{' '}
                {t('history.againstLive', { n: liveNumber })}
              </label>
            )}
          </div>
          {otherNumber === n ? (
            <p className="muted">{t('history.isLive')}</p>
          ) : otherNumber === null ? (
            <p className="muted">{t('history.first')}</p>
          ) : other.isPending ? (
            <Loading />
          ) : other.data ? (
            <VersionDiff before={other.data} after={v} level={4} />
          ) : null}
          <h3>{t('history.rendered')}</h3>
          <ErrorNote error={rendered.error} />
          {rendered.isPending && <Loading />}
          {rendered.data && <RenderedMail rendered={rendered.data} title={t('history.frame', { n })} />}
        </>
      )}
    </section>
  );
}
