// MTTA and MTTR: GET /incidents/stats (computed in SQL from the incidents read model) over a chosen period, overall
// as figures and by severity as charts (mean and p90).
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { Chart, type ChartSeries } from '../../components/Chart.tsx';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../components/page.tsx';
import { formatSeconds, SEVERITIES, type IncidentStats } from './incidents-api.ts';

const PERIODS = [7, 30, 90] as const;
const DAY = 86_400_000;
// Stable props: the chart redraws only when its figures change.
const X = [...SEVERITIES];
const NONE: never[] = [];
type Unit = 'second' | 'minute' | 'hour';
const UNIT_SECONDS: Record<Unit, number> = { second: 1, minute: 60, hour: 3600 };
/** The unit that keeps a chart's figures readable: seconds under two minutes, minutes under two hours, then hours. */
const unitFor = (max: number): Unit => (max < 120 ? 'second' : max < 7200 ? 'minute' : 'hour');

export function ResponseTimes() {
  const { t, i18n } = useTranslation('incidents');
  const [days, setDays] = useState<(typeof PERIODS)[number]>(30);
  const stats = useQuery({
    queryKey: ['incidents', 'stats', days],
    queryFn: async () =>
      unwrap(await api.GET('/incidents/stats', { params: { query: { from: new Date(Date.now() - days * DAY).toISOString() } } })),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });
  const language = i18n.language;
  const bySeverity = stats.data?.bySeverity;
  const charts = useMemo(() => {
    if (!bySeverity) return null;
    type Figures = IncidentStats['overall']['timeToAcknowledge'];
    const chart = (pick: (g: IncidentStats['overall']) => Figures) => {
      const figures = SEVERITIES.map((s) => pick(bySeverity[s]));
      const unit = unitFor(Math.max(0, ...figures.flatMap((f) => [f.mean ?? 0, f.p90 ?? 0])));
      const scaled = (v: number | null) => (v === null ? null : Math.round((v / UNIT_SECONDS[unit]) * 10) / 10);
      // p90 behind, the mean in front: the bars of one category overlap, so the mean shows inside its p90.
      const series: ChartSeries[] = [
        { label: t('stats.p90'), values: figures.map((f) => scaled(f.p90)), color: '#7fb2e5' },
        { label: t('stats.mean'), values: figures.map((f) => scaled(f.mean)), color: '#0b5cad' },
      ];
      const format = new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 });
      return { series, formatValue: (v: number) => format.format(v) };
    };
    return { tta: chart((g) => g.timeToAcknowledge), ttr: chart((g) => g.timeToResolve) };
  }, [bySeverity, t, language]);
  const overall = stats.data?.overall;
  const seconds = (value: number | null) => (value === null ? t('stats.none') : formatSeconds(value, language));

  return (
    <section aria-labelledby="incidents-stats-title" className="incidents-stats">
      <h2 id="incidents-stats-title">{t('stats.heading')}</h2>
      <div className="toolbar">
        <label htmlFor="incidents-period">{t('stats.period')}</label>
        <select id="incidents-period" value={days} onChange={(e) => setDays(Number(e.target.value) as (typeof PERIODS)[number])}>
          {PERIODS.map((d) => (
            <option key={d} value={d}>
              {t('stats.lastDays', { days: d })}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={stats.error} />
      {stats.isPending && <Loading />}
      {overall && (
        <Facts
          items={[
            [t('stats.total'), overall.total],
            [t('stats.openNow'), overall.open],
            [t('stats.mtta'), seconds(overall.timeToAcknowledge.mean)],
            [t('stats.mttaP90'), seconds(overall.timeToAcknowledge.p90)],
            [t('stats.mttr'), seconds(overall.timeToResolve.mean)],
            [t('stats.mttrP90'), seconds(overall.timeToResolve.p90)],
            [t('stats.slaMet'), overall.ackSla.met],
            [t('stats.slaBreached'), overall.ackSla.breached],
          ]}
        />
      )}
      {charts && (
        <div className="incidents-charts">
          <Chart
            title={t('stats.ttaChart')}
            x={X}
            series={charts.tta.series}
            kind="bars"
            formatValue={charts.tta.formatValue}
            thresholds={NONE}
            spans={NONE}
          />
          <Chart
            title={t('stats.ttrChart')}
            x={X}
            series={charts.ttr.series}
            kind="bars"
            formatValue={charts.ttr.formatValue}
            thresholds={NONE}
            spans={NONE}
          />
        </div>
      )}
    </section>
  );
}
