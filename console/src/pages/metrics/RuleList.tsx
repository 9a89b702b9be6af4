// The rules, newest first, paged through the API, each with its monitor's state as of its last evaluation; filters by
// metric and enabled. A metric's name opens its chart.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { Link, navigate } from '../../router.tsx';
import { canWrite, type Rule } from './api.ts';
import { Condition, StateBadge, useFormatValue } from './parts.tsx';

const PAGE = 25;
type Enabled = '' | 'true' | 'false';

export function RuleList({ session }: { session: Session }) {
  const { t, i18n } = useTranslation('metrics');
  usePageTitle(t('rules.title'));
  const [metric, setMetric] = useState('');
  const [enabled, setEnabled] = useState<Enabled>('');
  const [offset, setOffset] = useState(0);
  const rules = useQuery({
    queryKey: ['rules', { metric, enabled, offset }],
    queryFn: async () =>
      unwrap(
        await api.GET('/rules', {
          params: { query: { limit: PAGE, offset, ...(metric ? { metric } : {}), ...(enabled ? { enabled } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
    // The monitors' states move on their own.
    refetchInterval: 10_000,
  });
  const fmt = useFormatValue();
  const page = rules.data;

  return (
    <section aria-labelledby="rules-title">
      <h1 id="rules-title">{t('rules.title')}</h1>
      <p className="muted">{t('rules.intro')}</p>
      <div className="toolbar metrics-toolbar">
        <MetricFilter
          value={metric}
          onChange={(m) => {
            setMetric(m);
            setOffset(0);
          }}
        />
        <label>
          {t('rules.enabledFilter')}{' '}
          <select
            value={enabled}
            onChange={(e) => {
              setEnabled(e.target.value as Enabled);
              setOffset(0);
            }}
          >
            <option value="">{t('rules.all')}</option>
            <option value="true">{t('rules.onlyEnabled')}</option>
            <option value="false">{t('rules.onlyDisabled')}</option>
          </select>
        </label>
        {canWrite(session.operator.roles) && (
          <Link to="/rules/new" className="button-link primary">
            {t('rules.new')}
          </Link>
        )}
      </div>
      <ChartOpener />
      <ErrorNote error={rules.error} />
      {rules.isPending && <Loading />}
      {page && page.items.length === 0 && <p>{metric || enabled ? t('rules.noneMatch') : t('rules.empty')}</p>}
      {page && page.items.length > 0 && (
        <table className="rules">
          <thead>
            <tr>
              <th scope="col">{t('fields.name')}</th>
              <th scope="col">{t('fields.metric')}</th>
              <th scope="col">{t('rules.condition')}</th>
              <th scope="col">{t('fields.severity')}</th>
              <th scope="col">{t('rules.state')}</th>
              <th scope="col">{t('rules.lastValue')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((rule: Rule) => (
              <tr key={rule.id}>
                <td>
                  <Link to={`/rules/${rule.id}`}>{rule.name}</Link>
                  {!rule.enabled && <div className="muted">{t('rules.disabled')}</div>}
                </td>
                <td>
                  <Link to={`/${encodeURIComponent(rule.metric)}`}>{rule.metric}</Link>
                </td>
                <td>
                  <Condition rule={rule} />
                </td>
                <td>{rule.severity}</td>
                <td>
                  <StateBadge state={rule.monitor.state} />
                  {rule.monitor.since && (
                    <div className="muted">{t('rules.since', { time: formatRelative(rule.monitor.since, i18n.language) })}</div>
                  )}
                  <div className="muted">{t('rules.episodes', { count: rule.monitor.episodes })}</div>
                </td>
                <td>
                  {rule.monitor.lastValue === null ? '—' : fmt(rule.monitor.lastValue)}
                  {rule.monitor.lastEvaluatedAt && (
                    <div className="muted">
                      <time dateTime={rule.monitor.lastEvaluatedAt}>{formatDateTime(rule.monitor.lastEvaluatedAt, i18n.language)}</time>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager offset={offset} limit={PAGE} total={page?.total} shown={page?.items.length ?? 0} onChange={setOffset} />
    </section>
  );
}

/** The metric filter applies on submit, not on each keystroke (each would be a request). */
function MetricFilter({ value, onChange }: { value: string; onChange: (metric: string) => void }) {
  const { t } = useTranslation('metrics');
  const [text, setText] = useState(value);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange(text.trim());
  };
  return (
    <form role="search" onSubmit={submit} className="inline-form">
      <label htmlFor="rules-metric">{t('rules.metricFilter')}</label>
      <input id="rules-metric" value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      <button type="submit">{t('rules.filter')}</button>
    </form>
  );
}

/** Any metric's chart by name, also one no rule watches yet. */
function ChartOpener() {
  const { t } = useTranslation('metrics');
  const [name, setName] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) navigate(`/console/metrics/${encodeURIComponent(name.trim())}`);
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <label htmlFor="open-metric">{t('rules.openChart')}</label>
      <input id="open-metric" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} placeholder="kpi.dau" />
      <button type="submit">{t('rules.open')}</button>
    </form>
  );
}
