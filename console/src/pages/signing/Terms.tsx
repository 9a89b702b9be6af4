// A contract's terms as people read them: scope, deliverables, the term and its cadence, the fee, the revenue share's
// tiers, milestones and targets. The partner's signing page and the console's contract page show the same text.
import { useTranslation } from 'react-i18next';
import type { paths } from '../../api/schema.d.ts';
import { formatDate, formatMoney, formatNumber } from '../../format.ts';
import { registerMessages } from '../../i18n.ts';
import './terms.css';

export type ContractTerms = paths['/contracts/{id}/sign']['get']['responses']['200']['content']['application/json']['terms'];

const en = {
  scope: 'Scope',
  deliverables: 'Deliverables',
  noDeliverables: 'None listed',
  term: 'Term',
  termDates: '{{start}} to {{end}}',
  cadence: 'Evaluated',
  cadences: { weekly: 'weekly', monthly: 'monthly', quarterly: 'quarterly' },
  fee: 'Fixed fee per period',
  revenueShare: 'Revenue share',
  noShare: 'No revenue share',
  modes: {
    whole: 'The rate of the tier reached applies to the whole GMV of the period.',
    marginal: 'Each tier’s rate applies only to the part of the GMV within that tier.',
  },
  tiers: 'Revenue share tiers',
  from: 'GMV from',
  to: 'Up to',
  rate: 'Rate',
  above: 'and above',
  cap: 'At most {{cap}} per period',
  milestones: 'Milestones',
  milestone: 'Milestone',
  due: 'Due',
  amount: 'Amount',
  targets: 'Targets per period',
  metrics: { exposure: 'Exposure', clicks: 'Clicks', conversions: 'Conversions', gmv: 'GMV' },
  renewalNotice: 'Renewal reminders',
  daysBefore: '{{days}} days before the end',
};
const zhCN: typeof en = {
  scope: '合作范围',
  deliverables: '交付内容',
  noDeliverables: '未列出',
  term: '合同期',
  termDates: '{{start}} 至 {{end}}',
  cadence: '考核周期',
  cadences: { weekly: '每周', monthly: '每月', quarterly: '每季度' },
  fee: '每期固定费用',
  revenueShare: '销售分成',
  noShare: '无销售分成',
  modes: {
    whole: '达到某一档后，该档比例适用于当期全部 GMV。',
    marginal: '各档比例只适用于落在该档区间内的 GMV。',
  },
  tiers: '分成档位',
  from: 'GMV 起点',
  to: '上限',
  rate: '比例',
  above: '及以上',
  cap: '每期最多 {{cap}}',
  milestones: '里程碑',
  milestone: '里程碑',
  due: '到期日',
  amount: '金额',
  targets: '每期目标',
  metrics: { exposure: '曝光', clicks: '点击', conversions: '转化', gmv: 'GMV' },
  renewalNotice: '续约提醒',
  daysBefore: '到期前 {{days}} 天',
};
registerMessages('terms', { en, 'zh-CN': zhCN });

/** `headingLevel` keeps the page's headings in order wherever the terms sit. */
export function Terms({ terms, headingLevel = 3 }: { terms: ContractTerms; headingLevel?: 2 | 3 }) {
  const { t, i18n } = useTranslation('terms');
  const lang = i18n.language;
  const H = `h${headingLevel}` as 'h2' | 'h3';
  const money = (n: number) => formatMoney(n, terms.currency, lang);
  const targets = Object.entries(terms.targets) as [keyof typeof en.metrics, number][];
  return (
    <div className="terms">
      <H>{t('scope')}</H>
      <p className="scope">{terms.scope}</p>
      <H>{t('deliverables')}</H>
      {terms.deliverables.length ? (
        <ul>
          {terms.deliverables.map((d, i) => (
            <li key={i}>{d}</li>
          ))}
        </ul>
      ) : (
        <p className="muted">{t('noDeliverables')}</p>
      )}
      <dl className="facts">
        <div>
          <dt>{t('term')}</dt>
          <dd>{t('termDates', { start: formatDate(terms.start, lang), end: formatDate(terms.end, lang) })}</dd>
        </div>
        <div>
          <dt>{t('cadence')}</dt>
          <dd>{t(`cadences.${terms.cadence}`)}</dd>
        </div>
        <div>
          <dt>{t('fee')}</dt>
          <dd>{money(terms.fee)}</dd>
        </div>
      </dl>
      <H>{t('revenueShare')}</H>
      {terms.revenueShare.tiers.length === 0 ? (
        <p>{t('noShare')}</p>
      ) : (
        <>
          <p>
            {t(`modes.${terms.revenueShare.mode}`)}
            {terms.revenueShare.cap !== null && ` ${t('cap', { cap: money(terms.revenueShare.cap) })}`}
          </p>
          <table className="grid">
            <caption>{t('tiers')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('from')}</th>
                <th scope="col">{t('to')}</th>
                <th scope="col">{t('rate')}</th>
              </tr>
            </thead>
            <tbody>
              {terms.revenueShare.tiers.map((tier) => (
                <tr key={tier.from}>
                  <td>{money(tier.from)}</td>
                  <td>{tier.to === null ? t('above') : money(tier.to)}</td>
                  <td>{formatNumber(tier.rate / 100, lang, { style: 'percent', maximumFractionDigits: 2 })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {terms.milestones.length > 0 && (
        <>
          <H>{t('milestones')}</H>
          <table className="grid">
            <thead>
              <tr>
                <th scope="col">{t('milestone')}</th>
                <th scope="col">{t('due')}</th>
                <th scope="col">{t('amount')}</th>
              </tr>
            </thead>
            <tbody>
              {terms.milestones.map((m, i) => (
                <tr key={i}>
                  <th scope="row">{m.name}</th>
                  <td>{formatDate(m.due, lang)}</td>
                  <td>{money(m.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {targets.length > 0 && (
        <>
          <H>{t('targets')}</H>
          <dl className="facts">
            {targets.map(([metric, value]) => (
              <div key={metric}>
                <dt>{t(`metrics.${metric}`)}</dt>
                <dd>{metric === 'gmv' ? money(value) : formatNumber(value, lang)}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {terms.renewalNotice.length > 0 && (
        <p className="muted">
          {t('renewalNotice')}: {terms.renewalNotice.map((days) => t('daysBefore', { days })).join(', ')}
        </p>
      )}
    </div>
  );
}
