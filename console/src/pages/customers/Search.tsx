// Customer search over GET /customers: its filters (text in the name, email or external id; segment, stage, tag) kept
// in the address so a search can be shared or returned to, and paged through limit/offset at any number of customers.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDate, formatDateTime } from '../../format.ts';
import { oneOf } from '../../components/list-filters.ts';
import { Link, useSearchParams } from '../../router.tsx';
import { SEGMENTS, STAGES, type Segment, type Stage } from './shared.ts';

const PAGE = 50;
const FILTERS = ['q', 'segment', 'stage', 'tag'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

export function Search() {
  const { t, i18n } = useTranslation('customers');
  usePageTitle(t('search.title'));
  const [params, setParams] = useSearchParams();
  const applied: Filters = {
    q: params.get('q') ?? '',
    segment: params.get('segment') ?? '',
    stage: params.get('stage') ?? '',
    tag: params.get('tag') ?? '',
  };
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const [form, setForm] = useState<Filters>(applied);
  // Back and forward move through searches: the form follows the address.
  const search = params.toString();
  useEffect(() => {
    const now = new URLSearchParams(search);
    setForm({ q: now.get('q') ?? '', segment: now.get('segment') ?? '', stage: now.get('stage') ?? '', tag: now.get('tag') ?? '' });
  }, [search]);

  const query = {
    ...(applied.q.trim() ? { q: applied.q.trim() } : {}),
    ...(applied.tag.trim() ? { tag: applied.tag.trim() } : {}),
    segment: oneOf<Segment>(SEGMENTS, applied.segment),
    stage: oneOf<Stage>(STAGES, applied.stage),
    limit: PAGE,
    offset,
  };
  const list = useQuery({
    queryKey: ['customers', query],
    queryFn: async () => unwrap(await api.GET('/customers', { params: { query } })),
    placeholderData: keepPreviousData,
  });

  const go = (filters: Filters, nextOffset = 0) => {
    const next = new URLSearchParams();
    for (const key of FILTERS) if (filters[key].trim()) next.set(key, filters[key].trim());
    if (nextOffset) next.set('offset', String(nextOffset));
    setParams(next);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(form);
  };
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  const page = list.data;

  return (
    <section aria-labelledby="customers-search-title">
      <h1 id="customers-search-title">{t('search.title')}</h1>
      <form className="customer-filters" role="search" onSubmit={submit}>
        <label>
          {t('search.q')}
          <input type="search" value={form.q} onChange={set('q')} maxLength={200} autoComplete="off" />
        </label>
        <label>
          {t('search.segment')}
          <select value={form.segment} onChange={set('segment')}>
            <option value="">{t('search.any')}</option>
            {SEGMENTS.map((s) => (
              <option key={s} value={s}>
                {t(`segments.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('search.stage')}
          <select value={form.stage} onChange={set('stage')}>
            <option value="">{t('search.any')}</option>
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {t(`stages.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('search.tag')}
          <input type="text" value={form.tag} onChange={set('tag')} maxLength={64} />
        </label>
        <button type="submit" className="primary">
          {t('search.submit')}
        </button>
        <button
          type="button"
          onClick={() => {
            const empty = { q: '', segment: '', stage: '', tag: '' };
            setForm(empty);
            go(empty);
          }}
        >
          {t('search.clear')}
        </button>
      </form>
      <ErrorNote error={list.error} />
      {list.isPending && <Loading />}
      {page && page.items.length === 0 && <p>{t('search.empty')}</p>}
      {page && page.items.length > 0 && (
        <>
          <table className="customers">
            <caption className="muted">{t('search.results')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('search.columns.customer')}</th>
                <th scope="col">{t('search.columns.externalId')}</th>
                <th scope="col">{t('search.columns.stage')}</th>
                <th scope="col">{t('search.columns.segment')}</th>
                <th scope="col">{t('search.columns.lastActive')}</th>
                <th scope="col">{t('search.columns.created')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <Link to={`/${c.id}`}>{c.name ?? c.email}</Link>
                    {c.name && <div className="muted">{c.email}</div>}
                  </th>
                  <td>{c.externalId}</td>
                  <td>{c.stage ? <span className={`stage stage-${c.stage}`}>{t(`stages.${c.stage}`)}</span> : t('search.none')}</td>
                  <td>{c.segment ? t(`segments.${c.segment}`) : t('search.none')}</td>
                  <td>
                    {c.lastActiveAt ? (
                      <time dateTime={c.lastActiveAt}>{formatDateTime(c.lastActiveAt, i18n.language)}</time>
                    ) : (
                      t('search.none')
                    )}
                  </td>
                  <td>
                    <time dateTime={c.createdAt}>{formatDate(c.createdAt, i18n.language)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager offset={offset} limit={PAGE} total={page.total} shown={page.items.length} onChange={(next) => go(applied, next)} />
        </>
      )}
    </section>
  );
}
