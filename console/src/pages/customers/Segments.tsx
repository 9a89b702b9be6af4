// The RFM segments: customers per segment (a chart and a table, each segment linking to its customers in the search)
// and the R×F grid as a table heat-map. Admins and ops managers can score now, as the nightly schedule does.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { Chart } from '../../components/Chart.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { formatDateTime, formatNumber } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { SegmentsReport } from './shared.ts';

const SCORES = [1, 2, 3, 4, 5] as const;

export function Segments({ session }: { session: Session }) {
  const { t, i18n } = useTranslation('customers');
  usePageTitle(t('segmentsPage.title'));
  const queryClient = useQueryClient();
  const report = useQuery({
    queryKey: ['segments'],
    queryFn: async () => unwrap(await api.GET('/segments')),
  });
  const [runId, setRunId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: async () => unwrap(await api.POST('/segments/rfm-runs', { body: {} })),
    onSuccess: ({ runId: id }) => setRunId(id),
  });
  const run = useQuery({
    queryKey: ['rfm-run', runId],
    enabled: runId !== null,
    queryFn: async () => unwrap(await api.GET('/segments/rfm-runs/{runId}', { params: { path: { runId: runId! } } })),
    refetchInterval: (query) => (query.state.data?.status === 'finished' || query.state.data?.status === 'failed' ? false : 1_000),
  });
  const outcome = run.data?.status;
  useEffect(() => {
    if (outcome !== 'finished' && outcome !== 'failed') return;
    setRunId(null);
    void queryClient.invalidateQueries({ queryKey: ['segments'] });
    void queryClient.invalidateQueries({ queryKey: ['customers'] });
  }, [outcome, queryClient]);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (outcome) setFailed(outcome === 'failed');
  }, [outcome]);
  const mayScore = session.operator.roles.some((r) => r === 'admin' || r === 'ops_manager');
  const data = report.data;

  return (
    <section aria-labelledby="segments-title">
      <h1 id="segments-title">{t('segmentsPage.title')}</h1>
      {data && (
        <p>
          {data.lastRun
            ? t('segmentsPage.lastRun', {
                scored: formatNumber(data.lastRun.scored, i18n.language),
                asOf: formatDateTime(data.lastRun.asOf, i18n.language),
                finished: formatDateTime(data.lastRun.finishedAt, i18n.language),
              })
            : t('segmentsPage.noRun')}
        </p>
      )}
      {mayScore && (
        <div className="toolbar">
          <button type="button" className="primary" disabled={start.isPending || runId !== null} onClick={() => start.mutate()}>
            {t('segmentsPage.runNow')}
          </button>
          {runId !== null && <span role="status">{t('segmentsPage.running')}</span>}
        </div>
      )}
      {failed && (
        <p role="alert" className="error">
          {t('segmentsPage.failed')}
        </p>
      )}
      <ErrorNote error={start.error} />
      <ErrorNote error={run.error} />
      <ErrorNote error={report.error} />
      {report.isPending && <Loading />}
      {data && <Counts report={data} />}
      {data && <Grid report={data} />}
    </section>
  );
}

function Counts({ report }: { report: SegmentsReport }) {
  const { t, i18n } = useTranslation('customers');
  const names = useMemo(() => report.segments.map((s) => t(`segments.${s.name}`)), [report, t]);
  const series = useMemo(() => [{ label: t('segmentsPage.columns.count'), values: report.segments.map((s) => s.count) }], [report, t]);
  return (
    <section aria-labelledby="segments-counts">
      <h2 id="segments-counts">{t('segmentsPage.counts')}</h2>
      <Chart title={t('segmentsPage.countsChart')} x={names} series={series} kind="bars" height={220} />
      <table className="customers">
        <thead>
          <tr>
            <th scope="col">{t('segmentsPage.columns.segment')}</th>
            <th scope="col" className="number">
              {t('segmentsPage.columns.count')}
            </th>
            <th scope="col">{t('segmentsPage.columns.rule')}</th>
          </tr>
        </thead>
        <tbody>
          {report.segments.map((s, i) => (
            <tr key={s.name}>
              <th scope="row">
                <Link to={`/?segment=${s.name}`} aria-label={t('segmentsPage.showCustomers', { segment: names[i] })}>
                  {names[i]}
                </Link>
              </th>
              <td className="number">{formatNumber(s.count, i18n.language)}</td>
              <td className="muted">{s.rule}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** White to a mid blue, light enough that the dark figures keep their contrast in every cell. */
function heat(share: number): string {
  const mix = (from: number, to: number) => Math.round(from + (to - from) * share);
  return `rgb(${mix(255, 111)}, ${mix(255, 168)}, ${mix(255, 220)})`;
}

function Grid({ report }: { report: SegmentsReport }) {
  const { t, i18n } = useTranslation('customers');
  const count = (r: number, f: number) => report.grid.find((c) => c.recency === r && c.frequency === f)?.count ?? 0;
  const max = Math.max(1, ...report.grid.map((c) => c.count));
  const rowTotal = (r: number) => SCORES.reduce((n, f) => n + count(r, f), 0);
  const colTotal = (f: number) => SCORES.reduce((n, r) => n + count(r, f), 0);
  const n = (v: number) => formatNumber(v, i18n.language);
  return (
    <section aria-labelledby="segments-grid">
      <h2 id="segments-grid">{t('segmentsPage.grid')}</h2>
      <table className="rf-grid">
        <caption>{t('segmentsPage.gridCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('segmentsPage.rf')}</th>
            {SCORES.map((f) => (
              <th key={f} scope="col">
                {t('segmentsPage.frequency', { score: f })}
              </th>
            ))}
            <th scope="col">{t('segmentsPage.total')}</th>
          </tr>
        </thead>
        <tbody>
          {[...SCORES].reverse().map((r) => (
            <tr key={r}>
              <th scope="row">{t('segmentsPage.recency', { score: r })}</th>
              {SCORES.map((f) => {
                const value = count(r, f);
                return (
                  <td key={f} data-r={r} data-f={f} style={{ background: heat(value / max) }}>
                    {n(value)}
                  </td>
                );
              })}
              <td>{n(rowTotal(r))}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t('segmentsPage.total')}</th>
            {SCORES.map((f) => (
              <td key={f}>{n(colTotal(f))}</td>
            ))}
            <td>{n(report.grid.reduce((sum, c) => sum + c.count, 0))}</td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}
