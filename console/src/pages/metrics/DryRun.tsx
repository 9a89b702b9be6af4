// A dry run's answer: what the rule decides now, and over the past range each evaluation's value against the threshold
// with the episodes it would have fired shaded (nothing was stored or fired).
import { useMemo } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Chart } from '../../components/Chart.tsx';
import { formatDateTime } from '../../format.ts';
import type { DryRun, RuleBody } from './api.ts';
import { useFormatValue } from './parts.tsx';

export function DryRunResult({ result, rule }: { result: DryRun; rule: RuleBody }) {
  const { t, i18n } = useTranslation('metrics');
  const fmt = useFormatValue();
  const when = (iso: string) => formatDateTime(iso, i18n.language);
  const { now, episodes } = result;
  const change = rule.comparison.startsWith('change_');
  const aggregate = t('conditionValue', { aggregation: t(`aggregations.${rule.aggregation}`), window: rule.window });

  const x = useMemo(() => result.evaluations.map((e) => Date.parse(e.at)), [result]);
  const series = useMemo(() => [{ label: aggregate, values: result.evaluations.map((e) => e.value) }], [result, aggregate]);
  const thresholds = useMemo(
    () => (change ? [] : [{ label: t('thresholdOf', { comparison: t(`comparisons.${rule.comparison}`) }), value: rule.threshold }]),
    [change, rule.comparison, rule.threshold, t, fmt],
  );
  const spans = useMemo(
    () =>
      episodes.map((e, i) => {
        const name = t('dryRun.wouldBe', { n: i + 1 });
        const from = formatDateTime(e.firedAt, i18n.language);
        return {
          from: Date.parse(e.firedAt),
          to: e.resolvedAt ? Date.parse(e.resolvedAt) : undefined,
          label: e.resolvedAt
            ? t('spanLabel', { name, from, to: formatDateTime(e.resolvedAt, i18n.language) })
            : t('spanLabelOpen', { name, from }),
        };
      }),
    [episodes, t, i18n.language],
  );

  return (
    <section className="panel dry-run" aria-labelledby="dry-run-title">
      <h2 id="dry-run-title">{t('dryRun.title')}</h2>
      <div role="status">
        <p>
          <strong>{now.holds === null ? t('dryRun.nowKeeps') : now.holds ? t('dryRun.nowHolds') : t('dryRun.nowClear')}</strong>{' '}
          {t('dryRun.reason', { reason: reasonOf(result.now, rule, t, fmt), count: now.window.points })}
        </p>
        <p className="dry-run-summary">
          {t('dryRun.summary', {
            from: when(result.from),
            to: when(result.to),
            evaluations: result.evaluations.length,
            step: formatStep(result.stepMs),
            count: episodes.length,
          })}
        </p>
      </div>
      {result.truncated && <p className="muted">{t('dryRun.truncated')}</p>}
      {change && <p className="muted">{t('dryRun.changeNote')}</p>}
      <Chart
        title={t('dryRun.chartTitle', { value: aggregate })}
        x={x}
        series={series}
        thresholds={thresholds}
        spans={spans}
        formatValue={fmt}
      />
      {episodes.length > 0 && (
        <table className="episodes">
          <caption>{t('dryRun.episodes')}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('episodeColumns.since')}</th>
              <th scope="col">{t('episodeColumns.fired')}</th>
              <th scope="col">{t('episodeColumns.resolved')}</th>
            </tr>
          </thead>
          <tbody>
            {episodes.map((e, i) => (
              <tr key={e.firedAt}>
                <th scope="row">{i + 1}</th>
                <td>{when(e.since)}</td>
                <td>{when(e.firedAt)}</td>
                <td>{e.resolvedAt ? when(e.resolvedAt) : t('stillFiring')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The verdict in the console's language, from its figures (the API's `reason` says the same in English). */
function reasonOf(now: DryRun['now'], rule: RuleBody, t: TFunction<'metrics'>, fmt: (v: number) => string): string {
  const policy = t(`noData.${rule.noData}`);
  if (now.value === null) return t('reasons.noData', { policy });
  const words = { aggregation: t(`aggregations.${rule.aggregation}`), value: fmt(now.value), threshold: fmt(rule.threshold) };
  if (rule.comparison === 'above' || rule.comparison === 'below') {
    return t(now.holds ? 'reasons.holds' : 'reasons.clear', { ...words, comparison: t(`comparisons.${rule.comparison}`) });
  }
  if (now.previous === null || now.change === null) return t('reasons.noPrevious', { policy });
  return t(now.holds ? 'reasons.changed' : 'reasons.notChanged', {
    ...words,
    previous: fmt(now.previous),
    change: fmt(Number(now.change.toFixed(2))),
    direction: t(`changeWords.${rule.comparison}`, { threshold: fmt(Math.abs(rule.threshold)) }),
  });
}

/** 60000 → '1m', 90000 → '90s'. */
function formatStep(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
