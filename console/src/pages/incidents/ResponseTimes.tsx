// MTTA and MTTR: GET /incidents/stats (computed in SQL from the incidents read model) over a chosen period, overall
// as figures and by severity as charts (mean and p90, in minutes).
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
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
const minutes = (seconds: number | null) => (seconds === null ? null : Math.round((seconds / 60) * 10) / 10);

export function ResponseTimes() {
  const { t, i18n } = useTranslation('incidents');
  const [days, setDays] = useState<(typeof PERIODS)[number]>(30);
  const stats = useQuery({
    queryKey: ['incidents', 'stats', days],
    queryFn: async () => unwrap(await api.GET('/incidents/stats', { params: { query: { from: new Date(Date.now() - days * DAY).toISOString() } } })),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });
  const language = i18n.language;
  const fmtMinutes = useCallback(
    (value: number) => new Intl.NumberFormat(language, { style: 'unit', unit: 'minute', unitDisplay: 'short', maximumFractionDigits: 1 }).format(value),
    [language],
  );
  const bySeverity = stats.data?.bySeverity;
  const series = useMemo(() => {
    if (!bySeverity) return null;
    const of = (pick: (g: IncidentStats['overall']) => number | null, label: string, dashed = false): ChartSeries =>
      ({ label, values: SEVERITIES.map((s) => minutes(pick(bySeverity[s]))), dashed });
    return {
      tta: [of((g) => g.timeToAcknowledge.mean, t('stats.mean')), of((g) => g.timeToAcknowledge.p90, t('stats.p90'))],
      ttr: [of((g) => g.timeToResolve.mean, t('stats.mean')), of((g) => g.timeToResolve.p90, t('stats.p90'))],
    };
  }, [bySeverity, t]);
  const overall = stats.data?.overall;
  const seconds = (value: number | null) => (value === null ? t('stats.none') : formatSeconds(value, language));

  return (
    <section aria-labelledby="incidents-stats-title" className="incidents-stats">
      <h2 id="incidents-stats-title">{t('stats.heading')}</h2>
      <div className="toolbar">
        <label htmlFor="incidents-period">{t('stats.period')}</label>
        <select id="incidents-period" value={days} onChange={(e) => setDays(Number(e.target.value) as (typeof PERIODS)[number])}>
            {PERIODS.map((d) => <option key={d} value={d}>{t('stats.lastDays', { days: d })}</option>)}
        </select>
      </div>
      <ErrorNote error={stats.error} />
      {stats.isPending && <Loading />}
      {overall && (
        <Facts items={[
          [t('stats.total'), overall.total],
          [t('stats.openNow'), overall.open],
          [t('stats.mtta'), seconds(overall.timeToAcknowledge.mean)],
          [t('stats.mttaP90'), seconds(overall.timeToAcknowledge.p90)],
          [t('stats.mttr'), seconds(overall.timeToResolve.mean)],
          [t('stats.mttrP90'), seconds(overall.timeToResolve.p90)],
          [t('stats.slaMet'), overall.ackSla.met],
          [t('stats.slaBreached'), overall.ackSla.breached],
        ]} />
      )}
      {series && (
        <div className="incidents-charts">
          <Chart title={t('stats.ttaChart')} x={X} series={series.tta} kind="bars" formatValue={fmtMinutes} thresholds={NONE} spans={NONE} />
          <Chart title={t('stats.ttrChart')} x={X} series={series.ttr} kind="bars" formatValue={fmtMinutes} thresholds={NONE} spans={NONE} />
        </div>
      )}
    </section>
  );
}
