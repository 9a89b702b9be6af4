// The content list: filters (title text, stage, tier, mine) kept in the address so a filtered list can be shared or
// reloaded, paged through the API (never fetched whole).
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { oneOf, useListFilters } from '../../components/list-filters.ts';
import { Link } from '../../router.tsx';
import { canSubmit, STAGES, TIERS, unwrapWithFields, type ContentItem, type ContentQuery, type Stage, type Tier } from './content-api.ts';

const PAGE = 25;

export function ContentList({ session }: { session: Session }) {
  const { t } = useTranslation('content');
  usePageTitle(t('title'));
  const { params, offset, setFilters, clearFilters } = useListFilters();
  const stage = oneOf(STAGES, params.get('stage'));
  const tier = oneOf(TIERS, params.get('tier'));
  const mine = params.get('author') === 'me';
  const q = params.get('q')?.trim() || undefined;
  const [text, setText] = useState(q ?? '');
  // Back and forward move through filters too: the search box follows the address.
  useEffect(() => setText(q ?? ''), [q]);

  const query: ContentQuery = {
    limit: PAGE,
    offset,
    ...(stage ? { stage } : {}),
    ...(tier ? { tier } : {}),
    ...(mine ? { author: 'me' } : {}),
    ...(q ? { q } : {}),
  };
  const list = useQuery({
    queryKey: ['content', 'list', query],
    queryFn: async () => unwrapWithFields(await api.GET('/content', { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  const page = list.data;
  const search = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ q: text.trim() || undefined });
  };
  const filtered = Boolean(stage || tier || mine || q);

  return (
    <section aria-labelledby="content-title">
      <div className="content-heading">
        <h1 id="content-title">{t('title')}</h1>
        {canSubmit(session) && (
          <Link to="/new" className="button primary">
            {t('list.submit')}
          </Link>
        )}
      </div>
      <div className="toolbar content-filters" role="group" aria-label={t('list.filters')}>
        <form role="search" onSubmit={search}>
          <label htmlFor="content-q">{t('list.search')}</label>
          <input id="content-q" type="search" maxLength={200} value={text} onChange={(e) => setText(e.target.value)} />
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
          {t('list.tier')}{' '}
          <select value={tier ?? ''} onChange={(e) => setFilters({ tier: e.target.value })}>
            <option value="">{t('list.any')}</option>
            {TIERS.map((s) => (
              <option key={s} value={s}>
                {t(`tiers.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={mine} onChange={(e) => setFilters({ author: e.target.checked ? 'me' : undefined })} />{' '}
          {t('list.mine')}
        </label>
        {filtered && (
          <button
            type="button"
            onClick={() => {
              setText('');
              clearFilters();
            }}
          >
            {t('list.clear')}
          </button>
        )}
      </div>
      <ErrorNote error={list.error} />
      {list.isPending && <Loading />}
      {page && page.items.length === 0 && <p>{t('list.empty')}</p>}
      {page && page.items.length > 0 && (
        <>
          <table className="content-table" aria-busy={list.isFetching && list.isPlaceholderData}>
            <caption className="content-sr-only">{t('list.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('list.columns.title')}</th>
                <th scope="col">{t('list.columns.tier')}</th>
                <th scope="col">{t('list.columns.stage')}</th>
                <th scope="col">{t('list.columns.channels')}</th>
                <th scope="col">{t('list.columns.checks')}</th>
                <th scope="col">{t('list.columns.publish')}</th>
                <th scope="col">{t('list.columns.created')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((item) => (
                <Row key={item.id} item={item} />
              ))}
            </tbody>
          </table>
          <Pager
            offset={offset}
            limit={PAGE}
            total={page.total}
            shown={page.items.length}
            onChange={(next) => setFilters({ offset: next ? String(next) : undefined }, true)}
          />
        </>
      )}
    </section>
  );
}

function Row({ item }: { item: ContentItem }) {
  const { t, i18n } = useTranslation('content');
  return (
    <tr>
      <td>
        <Link to={`/${item.id}`}>{item.title}</Link>
        {item.revision > 1 && <div className="muted">{t('list.revision', { n: item.revision })}</div>}
      </td>
      <td>
        <TierBadge tier={item.tier} />
      </td>
      <td>
        <StageBadge stage={item.stage} />
      </td>
      <td>{item.channels.join(', ')}</td>
      <td>
        {item.checkOutcome ? (
          <span className={`content-outcome content-outcome-${item.checkOutcome}`}>{t(`outcomes.${item.checkOutcome as 'pass'}`)}</span>
        ) : (
          <span className="muted">{t('list.notChecked')}</span>
        )}
      </td>
      <td>
        {item.publishedAt ? (
          t('list.publishedAt', { time: formatDateTime(item.publishedAt, i18n.language) })
        ) : item.publishAt ? (
          t('list.publishAt', { time: formatDateTime(item.publishAt, i18n.language) })
        ) : (
          <span className="muted">{t('list.onApproval')}</span>
        )}
      </td>
      <td>
        <time dateTime={item.createdAt} title={formatDateTime(item.createdAt, i18n.language)}>
          {formatRelative(item.createdAt, i18n.language)}
        </time>
      </td>
    </tr>
  );
}

export function StageBadge({ stage }: { stage: Stage }) {
  const { t } = useTranslation('content');
  return <span className={`content-stage content-stage-${stage}`}>{t(`stages.${stage}`)}</span>;
}

export function TierBadge({ tier }: { tier: Tier }) {
  const { t } = useTranslation('content');
  return <span className={`content-tier content-tier-${tier}`}>{t(`tiers.${tier}`)}</span>;
}
