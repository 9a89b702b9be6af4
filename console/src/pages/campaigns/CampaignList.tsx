// The campaign list: the API's filters (name, stage, owner, start window) kept in the address so a filtered list can
// be shared or reloaded, paged through the API (never fetched whole).
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDate, formatDateTime, formatMoney } from '../../format.ts';
import { oneOf, useListFilters } from '../../components/list-filters.ts';
import { Link } from '../../router.tsx';
import { canManage, fromLocalInput, STAGES, unwrapWithFields, type CampaignQuery, type Stage } from './campaigns-api.ts';

const PAGE = 25;

/** A date input's day as the start of that day in the operator's timezone. */
const dayStart = (day: string | null): string | undefined => (day ? fromLocalInput(`${day}T00:00`) || undefined : undefined);

export function CampaignList({ session }: { session: Session }) {
  const { t, i18n } = useTranslation('campaigns');
  usePageTitle(t('title'));
  const { params, offset, setFilters, clearFilters } = useListFilters();
  const stage: Stage | undefined = oneOf(STAGES, params.get('stage'));
  const mine = params.get('owner') === 'me';
  const q = params.get('q')?.trim() || undefined;
  const from = params.get('from') || null;
  const until = params.get('until') || null;
  const [text, setText] = useState(q ?? '');
  useEffect(() => setText(q ?? ''), [q]);

  const startsAfter = dayStart(from);
  // "Starting until" a day includes that day.
  const startsBefore = until ? dayStart(new Date(Date.parse(`${until}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) : undefined;
  const query: CampaignQuery = {
    limit: PAGE,
    offset,
    ...(stage ? { stage } : {}),
    ...(mine ? { owner: 'me' } : {}),
    ...(q ? { q } : {}),
    ...(startsAfter ? { startsAfter } : {}),
    ...(startsBefore ? { startsBefore } : {}),
  };
  const list = useQuery({
    queryKey: ['campaigns', 'list', query],
    queryFn: async () => unwrapWithFields(await api.GET('/campaigns', { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const page = list.data;
  const search = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ q: text.trim() || undefined });
  };
  const filtered = Boolean(stage || mine || q || from || until);

  return (
    <section aria-labelledby="campaigns-title">
      <div className="campaigns-heading">
        <h1 id="campaigns-title">{t('title')}</h1>
        {canManage(session) && (
          <Link to="/new" className="button primary">
            {t('list.create')}
          </Link>
        )}
      </div>
      <div className="toolbar campaigns-filters" role="group" aria-label={t('list.filters')}>
        <form role="search" onSubmit={search}>
          <label htmlFor="campaigns-q">{t('list.search')}</label>{' '}
          <input id="campaigns-q" type="search" maxLength={200} value={text} onChange={(e) => setText(e.target.value)} />{' '}
          <button type="submit">{t('list.searchButton')}</button>
        </form>
        <label>
          {t('list.stage')}{' '}
          <select value={stage ?? ''} onChange={(e) => setFilters({ stage: e.target.value })}>
            <option value="">{t('list.any')}</option>
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {t(`stages.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={mine} onChange={(e) => setFilters({ owner: e.target.checked ? 'me' : undefined })} />{' '}
          {t('list.mine')}
        </label>
        <label>
          {t('list.startsFrom')} <input type="date" value={from ?? ''} onChange={(e) => setFilters({ from: e.target.value })} />
        </label>
        <label>
          {t('list.startsUntil')} <input type="date" value={until ?? ''} onChange={(e) => setFilters({ until: e.target.value })} />
        </label>
        {filtered && (
          <button type="button" onClick={() => clearFilters()}>
            {t('list.clear')}
          </button>
        )}
      </div>
      <ErrorNote error={list.error} />
      {list.isPending && <Loading />}
      {page && page.items.length === 0 && <p>{filtered ? t('list.noneMatch') : t('list.empty')}</p>}
      {page && page.items.length > 0 && (
        <table className="tasks campaigns-table">
          <caption className="muted">{t('list.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('list.name')}</th>
              <th scope="col">{t('list.stage')}</th>
              <th scope="col">{t('list.budget')}</th>
              <th scope="col">{t('list.schedule')}</th>
              <th scope="col">{t('list.owner')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/${c.id}`}>{c.name}</Link>
                  {c.abTest && <div className="kind">{t('list.abTest')}</div>}
                </td>
                <td>
                  <span className={`stage stage-${c.stage}`}>{t(`stages.${c.stage}`)}</span>
                  {c.pauseReason && c.stage === 'paused' && (
                    <div className="muted">{t(`pauseReasons.${c.pauseReason}`, { defaultValue: c.pauseReason })}</div>
                  )}
                </td>
                <td>{formatMoney(c.budgetTotal, c.currency, i18n.language)}</td>
                <td>
                  <time dateTime={c.startAt}>{formatDateTime(c.startAt, i18n.language)}</time>
                  <div className="muted">{t('list.until', { date: formatDate(c.endAt, i18n.language) })}</div>
                </td>
                <td>
                  {c.ownerId === session.operator.id
                    ? t('list.me')
                    : (page.people[c.ownerId] ?? <span className="muted">{c.ownerId.slice(0, 8)}</span>)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        offset={offset}
        limit={PAGE}
        total={page?.total}
        shown={page?.items.length ?? 0}
        onChange={(next) => setFilters({ offset: next ? String(next) : undefined }, true)}
      />
    </section>
  );
}
