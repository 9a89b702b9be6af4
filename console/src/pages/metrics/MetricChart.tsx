// One metric over a chosen range: its series (one line per label set), the threshold of each rule watching it, and
// those rules' firing episodes shaded, as their monitors recorded them. The figures table under the chart names each.
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { Chart } from '../../components/Chart.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { formatDateTime } from '../../format.ts';
import { Link } from '../../router.tsx';
import { canWrite, formatLabels, type Episode, type Rule } from './api.ts';
import { Condition, StateBadge, useFormatValue } from './parts.tsx';

const RANGES = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
type Range = keyof typeof RANGES;
/** Lines drawn at most; more label sets are named in a note (narrow them with the labels filter). */
const MAX_SERIES = 6;
const MAX_POINTS = 5000;
/** Rules whose thresholds and episodes are drawn (the newest); the rest are counted. */
const MAX_RULES = 10;

type EpisodePage = { items: Episode[]; total: number };
/** Module-level, so the combined answer stays the same object while no query's answer changes. */
const combineEpisodes = (results: { data?: EpisodePage; error: Error | null }[]) => ({
  data: results.map((r) => r.data),
  error: results.find((r) => r.error)?.error ?? null,
});

export function MetricChart({ session, name }: { session: Session; name: string }) {
  const { t, i18n } = useTranslation('metrics');
  usePageTitle(t('chart.title', { name }));
  const fmt = useFormatValue();
  const [range, setRange] = useState<Range>('24h');
  const [labels, setLabels] = useState('');
  const [labelsText, setLabelsText] = useState('');
  // The range ends now, moved on at each refresh; every query below shares this window.
  const [to, setTo] = useState(() => Date.now());
  const period = useMemo(() => ({ from: new Date(to - RANGES[range]).toISOString(), to: new Date(to).toISOString() }), [to, range]);

  const points = useQuery({
    queryKey: ['metric', name, period, labels],
    queryFn: async () =>
      unwrap(
        await api.GET('/metrics/{name}', {
          params: { path: { name }, query: { ...period, limit: MAX_POINTS, ...(labels ? { labels } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const rules = useQuery({
    queryKey: ['rules', { metric: name, chart: true }],
    queryFn: async () => unwrap(await api.GET('/rules', { params: { query: { metric: name, limit: MAX_RULES } } })),
  });
  const watching = useMemo(() => rules.data?.items ?? [], [rules.data]);
  const episodes = useQueries({
    queries: watching.map((rule) => ({
      queryKey: ['episodes', rule.id, period],
      queryFn: async () =>
        unwrap(await api.GET('/rules/{id}/episodes', { params: { path: { id: rule.id }, query: { ...period, limit: 100 } } })),
      placeholderData: keepPreviousData,
    })),
    combine: combineEpisodes,
  });

  const chart = useMemo(() => {
    const all = points.data?.points ?? [];
    const keys = new Map<string, Record<string, string>>();
    for (const p of all) {
      const key = JSON.stringify(p.labels);
      if (!keys.has(key)) keys.set(key, p.labels);
    }
    const shown = [...keys.keys()].slice(0, MAX_SERIES);
    const x = [...new Set(all.map((p) => Date.parse(p.at)))].sort((a, b) => a - b);
    const index = new Map(x.map((ms, i) => [ms, i]));
    const series = shown.map((key) => {
      const values: (number | null)[] = x.map(() => null);
      for (const p of all) if (JSON.stringify(p.labels) === key) values[index.get(Date.parse(p.at))!] = p.value;
      return { label: formatLabels(keys.get(key)!) || name, values };
    });
    return { x, series, hidden: keys.size - shown.length };
  }, [points.data, name]);

  const thresholds = useMemo(
    () =>
      watching
        .filter((rule) => rule.enabled && (rule.comparison === 'above' || rule.comparison === 'below'))
        .map((rule) => ({
          label: t('thresholdNamed', { name: rule.name, comparison: t(`comparisons.${rule.comparison}`) }),
          value: rule.threshold,
        })),
    [watching, t, fmt],
  );

  const firing = useMemo(
    () => watching.flatMap((rule, i) => (episodes.data[i]?.items ?? []).map((e) => ({ rule, episode: e }))),
    [watching, episodes.data],
  );
  const spans = useMemo(
    () =>
      firing.map(({ rule, episode }) => {
        const name = t('episodeName', { rule: rule.name, n: episode.episode });
        const from = formatDateTime(episode.firedAt, i18n.language);
        return {
          from: Date.parse(episode.firedAt),
          to: episode.resolvedAt ? Date.parse(episode.resolvedAt) : undefined,
          label: episode.resolvedAt
            ? t('spanLabel', { name, from, to: formatDateTime(episode.resolvedAt, i18n.language) })
            : t('spanLabelOpen', { name, from }),
        };
      }),
    [firing, t, i18n.language],
  );

  const applyLabels = (e: FormEvent) => {
    e.preventDefault();
    setLabels(labelsText.trim());
  };

  return (
    <section aria-labelledby="chart-title">
      <p>
        <Link to="/">{t('editor.backToRules')}</Link>
      </p>
      <h1 id="chart-title">{t('chart.title', { name })}</h1>
      <div className="toolbar metrics-toolbar">
        <label>
          {t('editor.range')}{' '}
          <select
            value={range}
            onChange={(e) => {
              setRange(e.target.value as Range);
              setTo(Date.now());
            }}
          >
            {Object.keys(RANGES).map((r) => (
              <option key={r} value={r}>
                {t(`ranges.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <form className="inline-form" onSubmit={applyLabels}>
          <label htmlFor="chart-labels">{t('fields.labels')}</label>
          <input
            id="chart-labels"
            value={labelsText}
            onChange={(e) => setLabelsText(e.target.value)}
            placeholder="region:eu"
            spellCheck={false}
          />
          <button type="submit">{t('rules.filter')}</button>
        </form>
        <button type="button" onClick={() => setTo(Date.now())}>
          {t('chart.refresh')}
        </button>
        {canWrite(session.operator.roles) && (
          <Link to={`/rules/new?metric=${encodeURIComponent(name)}`} className="button-link">
            {t('chart.newRule')}
          </Link>
        )}
      </div>
      <ErrorNote error={points.error ?? rules.error ?? episodes.error} />
      {points.isPending && <Loading />}
      {points.data && points.data.points.length === 0 && <p>{t('chart.noPoints')}</p>}
      {points.data && points.data.points.length > 0 && (
        <Chart
          title={t('chart.caption', {
            name,
            from: formatDateTime(period.from, i18n.language),
            to: formatDateTime(period.to, i18n.language),
          })}
          x={chart.x}
          series={chart.series}
          thresholds={thresholds}
          spans={spans}
          formatValue={fmt}
        />
      )}
      {points.data?.truncated && <p className="muted">{t('chart.truncated', { limit: MAX_POINTS })}</p>}
      {chart.hidden > 0 && <p className="muted">{t('chart.moreSeries', { count: chart.hidden })}</p>}

      <h2>{t('chart.rules')}</h2>
      {rules.data && watching.length === 0 && <p>{t('chart.noRules')}</p>}
      {watching.length > 0 && (
        <table className="rules">
          <thead>
            <tr>
              <th scope="col">{t('fields.name')}</th>
              <th scope="col">{t('rules.condition')}</th>
              <th scope="col">{t('fields.labels')}</th>
              <th scope="col">{t('rules.state')}</th>
            </tr>
          </thead>
          <tbody>
            {watching.map((rule: Rule) => (
              <tr key={rule.id}>
                <td>
                  <Link to={`/rules/${rule.id}`}>{rule.name}</Link>
                  {!rule.enabled && <div className="muted">{t('rules.disabled')}</div>}
                </td>
                <td>
                  <Condition rule={rule} />
                </td>
                <td>{formatLabels(rule.labels) || '—'}</td>
                <td>
                  <StateBadge state={rule.monitor.state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rules.data && rules.data.total > watching.length && (
        <p className="muted">{t('chart.moreRules', { shown: watching.length, total: rules.data.total })}</p>
      )}

      <h2>{t('chart.episodes')}</h2>
      {firing.length === 0 ? (
        <p>{t('chart.noEpisodes')}</p>
      ) : (
        <table className="episodes">
          <thead>
            <tr>
              <th scope="col">{t('chart.rule')}</th>
              <th scope="col">#</th>
              <th scope="col">{t('episodeColumns.fired')}</th>
              <th scope="col">{t('episodeColumns.resolved')}</th>
              <th scope="col">{t('episodeColumns.value')}</th>
            </tr>
          </thead>
          <tbody>
            {firing.map(({ rule, episode }: { rule: Rule; episode: Episode }) => (
              <tr key={`${rule.id}:${episode.episode}`}>
                <td>{rule.name}</td>
                <td>{episode.episode}</td>
                <td>{formatDateTime(episode.firedAt, i18n.language)}</td>
                <td>{episode.resolvedAt ? formatDateTime(episode.resolvedAt, i18n.language) : <strong>{t('stillFiring')}</strong>}</td>
                <td title={episode.reason ?? undefined}>{episode.value === null ? '—' : fmt(episode.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
