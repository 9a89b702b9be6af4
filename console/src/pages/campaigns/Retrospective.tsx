// The retrospective, once the campaign has ended: goals against actuals, sends, money and ROI, and the A/B variants
// compared side by side.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { Chart } from '../../components/Chart.tsx';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../components/page.tsx';
import { formatDateTime, formatMoney, formatNumber, formatPercent } from '../../format.ts';
import type { Report, Stage } from './campaigns-api.ts';

export function Retrospective({ id, stage }: { id: string; stage: Stage }) {
  const { t, i18n } = useTranslation('campaigns');
  const lang = i18n.language;
  const report = useQuery({
    queryKey: ['campaigns', 'report', id, stage],
    queryFn: async () => unwrap(await api.GET('/campaigns/{id}/report', { params: { path: { id } } })) as unknown as Report,
    // Written moments after the campaign ends (409 until then).
    retry: 10,
    retryDelay: 1000,
  });
  const r = report.data;
  const n = (v: number) => formatNumber(v, lang);

  return (
    <section aria-labelledby="retro-title" className="retrospective">
      <h2 id="retro-title">{t('retro.title')}</h2>
      <ErrorNote error={report.error} />
      {report.isPending && <Loading />}
      {r && (
        <>
          <p className="muted">{t('retro.generated', { time: formatDateTime(r.generatedAt, lang), stage: t(`stages.${r.finalStage}`) })}</p>
          <Facts
            items={[
              [
                t('retro.spend'),
                `${formatMoney(r.money.spend, r.money.currency, lang)} / ${formatMoney(r.money.budget, r.money.currency, lang)}`,
              ],
              [t('retro.gmv'), formatMoney(r.money.gmv, r.money.currency, lang)],
              [t('retro.roi'), r.money.roi === null ? t('retro.noRoi') : formatPercent(r.money.roi, lang)],
              [t('counts.sent'), `${n(r.sends.sent)} / ${n(r.sends.audience)}`],
              [t('counts.failed'), n(r.sends.failed)],
              [t('retro.notSent'), n(r.sends.notSent)],
              [t('retro.conversions'), n(r.attribution.conversions)],
              [t('retro.conversionRate'), r.attribution.conversionRate === null ? '—' : formatPercent(r.attribution.conversionRate, lang)],
              [t('goalMetrics.uv'), n(r.attribution.uv)],
              [t('goalMetrics.new_users'), n(r.attribution.newUsers)],
              [t('retro.clicks'), n(r.attribution.clicks)],
              [t('retro.deferred'), n(r.sends.deferredForQuietHours)],
            ]}
          />

          {r.goals.length > 0 && (
            <>
              <h3>{t('retro.goals')}</h3>
              <table className="tasks">
                <thead>
                  <tr>
                    <th scope="col">{t('form.goalMetric')}</th>
                    <th scope="col">{t('form.target')}</th>
                    <th scope="col">{t('retro.actual')}</th>
                    <th scope="col">{t('retro.result')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.goals.map((g, i) => {
                    const show = (v: number) =>
                      g.metric === 'conversion_rate'
                        ? formatPercent(v, lang)
                        : g.metric === 'gmv'
                          ? formatMoney(v, r.money.currency, lang)
                          : n(v);
                    return (
                      <tr key={i}>
                        <th scope="row">{t(`goalMetrics.${g.metric}`)}</th>
                        <td>{show(g.target)}</td>
                        <td>{show(g.actual)}</td>
                        <td className={g.achieved ? 'achieved' : 'missed'}>
                          {g.achieved ? t('retro.achieved') : t('retro.missed')} ({formatPercent(g.progress, lang)})
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <Chart
                title={t('retro.goalsChart')}
                kind="bars"
                x={r.goals.map((g) => t(`goalMetrics.${g.metric}`))}
                series={[{ label: t('retro.progress'), values: r.goals.map((g) => g.progress) }]}
                thresholds={[{ label: t('retro.targetLine'), value: 1, color: '#15803d' }]}
                formatValue={(v) => formatPercent(v, lang)}
              />
            </>
          )}

          {Object.values(r.sends.skipped).some((v) => v > 0) && (
            <Chart
              title={t('retro.skippedChart')}
              kind="bars"
              x={Object.keys(r.sends.skipped).map((k) => t(`skipReasons.${k}`, { defaultValue: k }))}
              series={[{ label: t('counts.recipients'), values: Object.values(r.sends.skipped) }]}
            />
          )}

          {r.abTest && (
            <>
              <h3>{t('retro.ab')}</h3>
              <p>
                {r.abTest.winner
                  ? t('ab.winner', {
                      name: r.abTest.winner,
                      margin: formatNumber((r.abTest.margin ?? 0) * 100, lang, { maximumFractionDigits: 1 }),
                    })
                  : t('retro.noWinner')}
                {r.abTest.lift !== null && ` · ${t('ab.lift', { lift: formatPercent(r.abTest.lift, lang) })}`}
                {' · '}
                {t('retro.winningOn', { metric: t(`winning.${r.abTest.winningMetric}`) })}
              </p>
              <Chart
                title={t('ab.rateChart')}
                kind="bars"
                x={r.abTest.variants.map((v) => v.name)}
                series={[{ label: t('ab.rate'), values: r.abTest.variants.map((v) => v.rate) }]}
                formatValue={(v) => formatPercent(v, lang)}
              />
              <Chart
                title={t('retro.abCounts')}
                kind="bars"
                x={r.abTest.variants.map((v) => v.name)}
                series={[
                  { label: t('counts.sent'), values: r.abTest.variants.map((v) => v.sent) },
                  { label: t('retro.conversions'), values: r.abTest.variants.map((v) => v.conversions) },
                  { label: t('retro.clicks'), values: r.abTest.variants.map((v) => v.clicks) },
                ]}
              />
            </>
          )}
        </>
      )}
    </section>
  );
}
