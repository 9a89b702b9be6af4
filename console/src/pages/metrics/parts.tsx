// Small pieces the metrics pages share: a rule's condition in words, its monitor's state, numbers in the language.
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { MonitorState, Rule } from './api.ts';

export function useFormatValue(): (value: number) => string {
  const { i18n } = useTranslation();
  return useCallback((value: number) => new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 4 }).format(value), [i18n.language]);
}

/** "max over 5m above 800", "avg over 1h rose more than 25%". */
export function Condition({ rule }: { rule: Pick<Rule, 'aggregation' | 'window' | 'comparison' | 'threshold' | 'for'> }) {
  const { t } = useTranslation('metrics');
  const fmt = useFormatValue();
  const text = t(`conditionText.${rule.comparison}`, {
    aggregation: t(`aggregations.${rule.aggregation}`),
    window: rule.window,
    threshold: fmt(rule.threshold),
  });
  return (
    <>
      {text}
      {rule.for !== '0s' && <span className="muted"> {t('conditionFor', { for: rule.for })}</span>}
    </>
  );
}

export function StateBadge({ state }: { state: MonitorState }) {
  const { t } = useTranslation('metrics');
  return <span className={`state state-${state}`}>{t(`states.${state}`)}</span>;
}
