// Open incidents by severity (P1 first), their counts per severity at a glance, the filters kept in the address so a
// filtered list can be shared or reloaded, paged through the API (never fetched whole); the response times below.
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { oneOf, useListFilters } from '../../components/list-filters.ts';
import { Link } from '../../router.tsx';
import { Severity, StatusBadge } from './badges.tsx';
import { formatSeconds, SEVERITIES, STATUSES, type IncidentItem, type IncidentQuery } from './incidents-api.ts';
import { ResponseTimes } from './ResponseTimes.tsx';

const PAGE = 25;
const SHOWN = ['open', 'all', ...STATUSES] as const;
type Shown = (typeof SHOWN)[number];

export function IncidentList({ session }: { session: Session }) {
  const { t } = useTranslation('incidents');
  usePageTitle(t('title'));
  const { params, offset, setFilters, clearFilters } = useListFilters();
  const shown: Shown = oneOf(SHOWN, params.get('status')) ?? 'open';
  const severity = oneOf(SEVERITIES, params.get('severity'));
  const mine = params.get('commander') === 'me';
  const newest = params.get('order') === 'newest';
  const service = params.get('service')?.trim() || undefined;
  const [serviceText, setServiceText] = useState(service ?? '');
  useEffect(() => setServiceText(service ?? ''), [service]);

  const query: IncidentQuery = {
    limit: PAGE,
    offset,
    order: newest ? 'newest' : 'severity',
    ...(shown !== 'all' ? { status: shown } : {}),
    ...(severity ? { severity } : {}),
    ...(mine ? { commander: 'me' } : {}),
    ...(service ? { service } : {}),
  };
  const list = useQuery({
    queryKey: ['incidents', 'list', query],
    queryFn: async () => unwrap(await api.GET('/incidents', { params: { query } })),
    placeholderData: keepPreviousData,
    // A new page arrives without a reload.
    refetchInterval: 15_000,
  });
  const page = list.data;
  const filtered = shown !== 'open' || Boolean(severity || mine || service || newest);
  const filterService = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ service: serviceText.trim() || undefined });
  };

  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">{t('title')}</h1>
      <OpenCounts selected={shown === 'open' ? severity : undefined} onPick={(s) => setFilters({ status: undefined, severity: s })} />

      <h2>{t('list.heading')}</h2>
      <div className="toolbar incidents-filters" role="group" aria-label={t('list.filters')}>
        <span className="incidents-field">
          <label htmlFor="incidents-shown">{t('list.status')}</label>
          <select
            id="incidents-shown"
            value={shown}
            onChange={(e) => setFilters({ status: e.target.value === 'open' ? undefined : e.target.value })}
          >
            {SHOWN.map((s) => (
              <option key={s} value={s}>
                {s === 'open' ? t('list.openOnly') : s === 'all' ? t('list.all') : t(`statuses.${s}`)}
              </option>
            ))}
          </select>
        </span>
        <span className="incidents-field">
          <label htmlFor="incidents-severity">{t('list.severity')}</label>
          <select id="incidents-severity" value={severity ?? ''} onChange={(e) => setFilters({ severity: e.target.value })}>
            <option value="">{t('list.any')}</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {t(`severities.${s}`)}
              </option>
            ))}
          </select>
        </span>
        <form className="incidents-field" onSubmit={filterService}>
          <label htmlFor="incidents-service">{t('list.service')}</label>
          <input
            id="incidents-service"
            type="search"
            maxLength={100}
            value={serviceText}
            onChange={(e) => setServiceText(e.target.value)}
          />
          <button type="submit">{t('list.filter')}</button>
        </form>
        <label>
          <input type="checkbox" checked={mine} onChange={(e) => setFilters({ commander: e.target.checked ? 'me' : undefined })} />{' '}
          {t('list.mine')}
        </label>
        <span className="incidents-field">
          <label htmlFor="incidents-order">{t('list.order')}</label>
          <select
            id="incidents-order"
            value={newest ? 'newest' : 'severity'}
            onChange={(e) => setFilters({ order: e.target.value === 'newest' ? 'newest' : undefined })}
          >
            <option value="severity">{t('list.bySeverity')}</option>
            <option value="newest">{t('list.newest')}</option>
          </select>
        </span>
        {filtered && (
          <button
            type="button"
            onClick={() => {
              setServiceText('');
              clearFilters();
            }}
          >
            {t('list.clear')}
          </button>
        )}
      </div>
      <ErrorNote error={list.error} />
      {list.isPending && <Loading />}
      {page && page.items.length === 0 && <p>{shown === 'open' && !filtered ? t('list.noneOpen') : t('list.empty')}</p>}
      {page && page.items.length > 0 && (
        <>
          <table className="incidents-table" aria-busy={list.isFetching && list.isPlaceholderData}>
            <caption className="incidents-sr-only">{t('list.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('list.columns.severity')}</th>
                <th scope="col">{t('list.columns.incident')}</th>
                <th scope="col">{t('list.columns.status')}</th>
                <th scope="col">{t('list.columns.triggered')}</th>
                <th scope="col">{t('list.columns.acknowledgement')}</th>
                <th scope="col">{t('list.columns.commander')}</th>
                <th scope="col">{t('list.columns.pages')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((item) => (
                <Row key={item.id} item={item} me={session.operator.id} />
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
      <ResponseTimes />
    </section>
  );
}

/** How many are open now per severity, each a button that shows them. */
function OpenCounts({ selected, onPick }: { selected: string | undefined; onPick: (severity: string | undefined) => void }) {
  const { t } = useTranslation('incidents');
  const counts = useQueries({
    queries: SEVERITIES.map((severity) => ({
      queryKey: ['incidents', 'open-count', severity],
      queryFn: async () => unwrap(await api.GET('/incidents', { params: { query: { status: 'open', severity, limit: 1 } } })).total,
      refetchInterval: 15_000,
    })),
  });
  const error = counts.find((c) => c.error)?.error;
  return (
    <section aria-labelledby="incidents-open-title">
      <h2 id="incidents-open-title">{t('open.heading')}</h2>
      <ErrorNote error={error} />
      <ul className="incidents-counts">
        {SEVERITIES.map((severity, i) => {
          const total = counts[i]?.data;
          return (
            <li key={severity}>
              <button
                type="button"
                className={`incidents-count severity-${severity}`}
                aria-pressed={selected === severity}
                onClick={() => onPick(selected === severity ? undefined : severity)}
              >
                <span className="incidents-count-figure">{total ?? '…'}</span>
                <span>{t(`severities.${severity}`)}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Row({ item, me }: { item: IncidentItem; me: string }) {
  const { t, i18n } = useTranslation('incidents');
  return (
    <tr className={item.status === 'triggered' ? 'incidents-unacknowledged' : undefined}>
      <td>
        <Severity value={item.severity} />
      </td>
      <td>
        <Link to={`/${item.id}`}>{item.title}</Link>
        {item.service && <div className="muted">{item.service}</div>}
      </td>
      <td>
        <StatusBadge value={item.status} />
      </td>
      <td>
        <time dateTime={item.triggeredAt}>{formatDateTime(item.triggeredAt, i18n.language)}</time>
        <div className="muted">{formatRelative(item.triggeredAt, i18n.language)}</div>
      </td>
      <td>
        <Acknowledgement item={item} />
      </td>
      <td>
        {item.commanderId === null ? (
          <span className="muted">{t('nobody')}</span>
        ) : item.commanderId === me ? (
          t('me')
        ) : (
          (item.commanderName ?? t('someoneElse'))
        )}
      </td>
      <td>{item.pages}</td>
    </tr>
  );
}

function Acknowledgement({ item }: { item: IncidentItem }) {
  const { t, i18n } = useTranslation('incidents');
  if (item.acknowledgedAt) {
    const seconds = (Date.parse(item.acknowledgedAt) - Date.parse(item.triggeredAt)) / 1000;
    return <>{t('list.ackedAfter', { time: formatSeconds(seconds, i18n.language) })}</>;
  }
  if (!item.ackDueAt || !['triggered'].includes(item.status)) return <span className="muted">—</span>;
  const overdue = Date.parse(item.ackDueAt) < Date.now();
  const relative = formatRelative(item.ackDueAt, i18n.language);
  return (
    <span className={overdue ? 'overdue' : undefined}>
      {overdue ? t('list.ackOverdue', { time: relative }) : t('list.ackDue', { time: relative })}
    </span>
  );
}
