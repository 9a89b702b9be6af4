// The KPI dashboard over GET /kpis: the last 7, 30 or 90 calendar days in the operator's own time zone, with DAU/WAU/
// MAU, signups, GMV and ARPU per day as charts (each with its figures as a table) and the retention cohort table.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { Chart } from '../../components/Chart.tsx';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { formatDate, formatNumber, formatPercent, timeZone } from '../../format.ts';
import { useSearchParams } from '../../router.tsx';
import type { KpiReport } from './shared.ts';

const PERIODS = [7, 30, 90] as const;
type Period = (typeof PERIODS)[number];

/** Today's calendar date in the operator's zone, YYYY-MM-DD. */
function today(tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The day's local midnight (the browser's zone is the report's): the charts' time axis. */
function midnight(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

export function Kpis() {
  const { t } = useTranslation('customers');
  usePageTitle(t('kpis.title'));
  const [params, setParams] = useSearchParams();
  const period: Period = PERIODS.find((p) => String(p) === params.get('days')) ?? 30;
  const tz = timeZone();
  const to = today(tz);
  const from = addDays(to, -(period - 1));
  const report = useQuery({
    queryKey: ['kpis', { from, to, tz }],
    queryFn: async () => unwrap(await api.GET('/kpis', { params: { query: { from, to, tz } } })),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });

  return (
    <section aria-labelledby="kpis-title">
      <h1 id="kpis-title">{t('kpis.title')}</h1>
      <div className="toolbar">
        <label>
          {t('kpis.period')}{' '}
          <select value={period} onChange={(e) => setParams({ days: e.target.value }, { replace: true })}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {t('kpis.days', { count: p })}
              </option>
            ))}
          </select>
        </label>
        {report.data && (
          <span className="muted">{t('kpis.range', { from: report.data.from, to: report.data.to, tz: report.data.tz })}</span>
        )}
      </div>
      <ErrorNote error={report.error} />
      {report.isPending && <Loading />}
      {report.data && <Dashboard report={report.data} />}
    </section>
  );
}

function Dashboard({ report }: { report: KpiReport }) {
  const { t, i18n } = useTranslation('customers');
  const lang = i18n.language;
  const money = useMemo(() => (v: number) => formatNumber(v, lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }), [lang]);
  const count = useMemo(() => (v: number) => formatNumber(v, lang, { maximumFractionDigits: 0 }), [lang]);
  const charts = useMemo(() => {
    const x = report.days.map((d) => midnight(d.date));
    const col = <K extends 'dau' | 'wau' | 'mau' | 'signups' | 'gmv' | 'arpu'>(key: K) => report.days.map((d) => d[key]);
    return {
      x,
      active: [
        { label: t('kpis.dau'), values: col('dau') },
        { label: t('kpis.wau'), values: col('wau') },
        { label: t('kpis.mau'), values: col('mau') },
      ],
      signups: [{ label: t('kpis.signupsSeries'), values: col('signups') }],
      gmv: [{ label: t('kpis.gmvSeries'), values: col('gmv') }],
      arpu: [{ label: t('kpis.arpuSeries'), values: col('arpu') }],
    };
  }, [report, t]);
  const totals = report.totals;

  return (
    <>
      <div className="dashboard-totals">
        <Facts
          items={[
            [t('kpis.totals.gmv'), money(totals.gmv)],
            [t('kpis.totals.purchases'), count(totals.purchases)],
            [t('kpis.totals.signups'), count(totals.signups)],
            [t('kpis.totals.active'), count(totals.activeCustomers)],
            [t('kpis.totals.arpu'), totals.arpu === null ? null : money(totals.arpu)],
          ]}
        />
      </div>
      <div className="charts">
        <Chart title={t('kpis.active')} x={charts.x} series={charts.active} />
        <Chart title={t('kpis.signups')} x={charts.x} series={charts.signups} />
        <Chart title={t('kpis.gmv')} x={charts.x} series={charts.gmv} formatValue={money} />
        <Chart title={t('kpis.arpu')} x={charts.x} series={charts.arpu} formatValue={money} />
      </div>
      <Cohorts report={report} />
    </>
  );
}

function Cohorts({ report }: { report: KpiReport }) {
  const { t, i18n } = useTranslation('customers');
  const rate = (v: number | null) => (v === null ? '—' : formatPercent(v, i18n.language));
  // Newest cohort first: the one an operator is watching.
  const cohorts = report.days.filter((d) => d.signups > 0).reverse();
  return (
    <section aria-labelledby="kpis-cohorts">
      <h2 id="kpis-cohorts">{t('kpis.cohorts')}</h2>
      <p className="muted">{t('kpis.cohortsNote')}</p>
      {cohorts.length === 0 ? (
        <p>{t('kpis.noCohorts')}</p>
      ) : (
        <table className="customers">
          <thead>
            <tr>
              <th scope="col">{t('kpis.columns.cohort')}</th>
              <th scope="col" className="number">
                {t('kpis.columns.size')}
              </th>
              <th scope="col" className="number">
                {t('kpis.columns.d1')}
              </th>
              <th scope="col" className="number">
                {t('kpis.columns.d7')}
              </th>
              <th scope="col" className="number">
                {t('kpis.columns.d30')}
              </th>
              <th scope="col" className="number">
                {t('kpis.columns.conversion')}
              </th>
            </tr>
          </thead>
          <tbody>
            {cohorts.map((d) => (
              <tr key={d.date}>
                <th scope="row">
                  <time dateTime={d.date}>{formatDate(new Date(midnight(d.date)).toISOString(), i18n.language)}</time>
                </th>
                <td className="number">{formatNumber(d.signups, i18n.language)}</td>
                <td className="number">{rate(d.retention.d1)}</td>
                <td className="number">{rate(d.retention.d7)}</td>
                <td className="number">{rate(d.retention.d30)}</td>
                <td className="number">{rate(d.conversion)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
