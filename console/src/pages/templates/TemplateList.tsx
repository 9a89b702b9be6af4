// Every customer-facing message with its locales: which version is live, the newest, how many wait for review; each
// locale opens its editor and its history. The messages are a fixed set (ten), so the list is whole, not paged.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { Link, navigate } from '../../router.tsx';
import { canWrite, getTemplates, keys, localeName, type TemplateItem } from './templates-api.ts';

/** BCP 47 as the API takes it (zh-CN, en, pt-BR). */
const LOCALE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

export function TemplateList({ session }: { session: Session }) {
  const { t, i18n } = useTranslation('templates');
  usePageTitle(t('title'));
  const list = useQuery({ queryKey: keys.list, queryFn: getTemplates, refetchInterval: 30_000 });

  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">{t('title')}</h1>
      <p className="muted">{t('list.intro')}</p>
      <ErrorNote error={list.error} />
      {list.isPending && <Loading />}
      {list.data && (
        <>
          <p>{t('list.defaultLocale', { locale: localeName(list.data.defaultLocale, i18n.language), tag: list.data.defaultLocale })}</p>
          <table className="templates-table">
            <caption className="templates-sr-only">{t('list.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('list.columns.message')}</th>
                <th scope="col">{t('list.columns.locale')}</th>
                <th scope="col">{t('list.columns.live')}</th>
                <th scope="col">{t('list.columns.latest')}</th>
                <th scope="col">{t('list.columns.inReview')}</th>
                <th scope="col">{t('list.columns.updated')}</th>
              </tr>
            </thead>
            {list.data.items.map((item) => (
              <MessageRows key={item.key} item={item} session={session} platformLocale={list.data.defaultLocale} />
            ))}
          </table>
        </>
      )}
    </section>
  );
}

/**
 * The message's own default language (what a customer whose language it lacks gets before the platform's default):
 * a choice among its live languages for those who may write, else a line.
 */
function OwnDefault({ item, session, platformLocale }: { item: TemplateItem; session: Session; platformLocale: string }) {
  const { t, i18n } = useTranslation('templates');
  const queryClient = useQueryClient();
  const set = useMutation({
    mutationFn: async (locale: string | null) =>
      unwrap(await api.PUT('/templates/{key}/default-locale', { params: { path: { key: item.key } }, body: { locale } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.list }),
  });
  const platform = t('list.platformDefault', { locale: localeName(platformLocale, i18n.language) });
  const live = item.locales.filter((l) => l.liveVersion !== null);
  if (!canWrite(session))
    return (
      <span className="muted">
        {t('list.ownDefault')}: {item.defaultLocale ? localeName(item.defaultLocale, i18n.language) : platform}
      </span>
    );
  return (
    <label className="muted">
      {t('list.ownDefault')}{' '}
      <select value={item.defaultLocale ?? ''} disabled={set.isPending} onChange={(e) => set.mutate(e.target.value || null)}>
        <option value="">{platform}</option>
        {live.map((l) => (
          <option key={l.locale} value={l.locale}>
            {localeName(l.locale, i18n.language)}
          </option>
        ))}
      </select>
      <ErrorNote error={set.error} />
    </label>
  );
}

function MessageRows({ item, session, platformLocale }: { item: TemplateItem; session: Session; platformLocale: string }) {
  const { t, i18n } = useTranslation('templates');
  const rows = item.locales.length || 1;
  const heading = (
    <th scope="rowgroup" rowSpan={rows + (canWrite(session) ? 1 : 0)} className="templates-message">
      <span className="templates-message-name">{t(`messages.${item.key}.name`)}</span>
      <span className="muted">{t(`messages.${item.key}.about`)}</span>
      {item.marketing && <span className="templates-badge">{t('list.marketing')}</span>}
      <OwnDefault item={item} session={session} platformLocale={platformLocale} />
    </th>
  );
  return (
    <tbody>
      {item.locales.length === 0 && (
        <tr>
          {heading}
          <td colSpan={5} className="muted">
            {t('list.noLocales')}
          </td>
        </tr>
      )}
      {item.locales.map((l, i) => (
        <tr key={l.locale}>
          {i === 0 && heading}
          <td>
            <Link to={`/${item.key}/${l.locale}`}>
              <span className="templates-sr-only">{t('list.openEditor', { message: t(`messages.${item.key}.name`) })}</span>
              {localeName(l.locale, i18n.language)}
            </Link>{' '}
            <span className="muted">{l.locale}</span>
          </td>
          <td>{l.liveVersion === null ? <span className="muted">{t('list.noneLive')}</span> : t('list.version', { n: l.liveVersion })}</td>
          <td>
            {t('list.version', { n: l.latestVersion })}
            {l.latestVersion !== l.liveVersion && <span className="muted"> · {t('list.notLive')}</span>}
          </td>
          <td>
            {l.inReview > 0 ? (
              <Link to={`/${item.key}/${l.locale}/history`} className="templates-waiting">
                {t('list.waiting', { count: l.inReview })}
              </Link>
            ) : (
              <span className="muted">{t('list.noneWaiting')}</span>
            )}
          </td>
          <td>
            <time dateTime={l.updatedAt} title={formatDateTime(l.updatedAt, i18n.language)}>
              {formatRelative(l.updatedAt, i18n.language)}
            </time>
          </td>
        </tr>
      ))}
      {canWrite(session) && (
        <tr className="templates-add-row">
          <td colSpan={5}>
            <AddLocale item={item} />
          </td>
        </tr>
      )}
    </tbody>
  );
}

/** A translation into a locale the message does not have yet: its editor, starting from the default locale's text. */
function AddLocale({ item }: { item: TemplateItem }) {
  const { t } = useTranslation('templates');
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = `templates-add-${item.key}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const tag = value.trim();
    if (!LOCALE.test(tag)) return setProblem(t('list.badLocale'));
    if (item.locales.some((l) => l.locale.toLowerCase() === tag.toLowerCase())) return setProblem(t('list.hasLocale', { locale: tag }));
    navigate(`/console/templates/${item.key}/${encodeURIComponent(tag)}`);
  };
  return (
    <form className="templates-add" onSubmit={submit}>
      <label htmlFor={id}>{t('list.addLocale')}</label>
      <input
        id={id}
        value={value}
        size={10}
        placeholder="ja"
        maxLength={35}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(e) => {
          setValue(e.target.value);
          setProblem(null);
        }}
      />
      <button type="submit">{t('list.addButton')}</button>
      {problem && (
        <span id={`${id}-problem`} className="templates-field-error">
          {problem}
        </span>
      )}
    </form>
  );
}
