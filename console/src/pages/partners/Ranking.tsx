// The ranking for a brief (POST /partners/score): each partner's score as the sum of its factors' contributions,
// shown as a table and as bars per factor; one partner's factors with their values, weights and why.
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { Chart } from '../../components/Chart.tsx';
import { ErrorNote, usePageTitle } from '../../components/page.tsx';
import { formatNumber, formatPercent } from '../../format.ts';
import { Link } from '../../router.tsx';
import { GOALS, PARTNER_TYPES, type Brief, type Factor, type Goal, type PartnerType, type Ranked } from './api.ts';

const FACTORS: Factor[] = ['reach', 'engagement', 'audienceMatch', 'conversion', 'cost'];
const CHARTED = 10;

export function Ranking() {
  const { t, i18n } = useTranslation('partners');
  usePageTitle(t('ranking.title'));
  const [budget, setBudget] = useState('1000');
  const [goal, setGoal] = useState<Goal>('engagement');
  const [audience, setAudience] = useState('');
  const [types, setTypes] = useState<PartnerType[]>([]);
  const [limit, setLimit] = useState('20');
  const [open, setOpen] = useState<string | null>(null);
  const score = useMutation({
    mutationFn: async (brief: Brief) => unwrap(await api.POST('/partners/score', { body: { brief, limit: Number(limit) } })),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setOpen(null);
    score.mutate({
      budget: Number(budget),
      goal,
      ...(audience.trim() ? { targetAudience: audience.trim() } : {}),
      ...(types.length ? { types } : {}),
    });
  };
  const ranking = score.data?.ranking;
  const lang = i18n.language;
  const top = ranking?.slice(0, CHARTED) ?? [];

  return (
    <section aria-labelledby="ranking-title">
      <h1 id="ranking-title">{t('ranking.title')}</h1>
      <p className="muted">{t('ranking.intro')}</p>
      <form className="brief" onSubmit={submit}>
        <label>
          {t('ranking.budget')}
          <input type="number" min="0.01" step="any" required value={budget} onChange={(e) => setBudget(e.target.value)} />
        </label>
        <label>
          {t('ranking.goal')}
          <select value={goal} onChange={(e) => setGoal(e.target.value as Goal)}>
            {GOALS.map((g) => (
              <option key={g} value={g}>
                {t(`ranking.goals.${g}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('ranking.audience')}
          <input maxLength={500} value={audience} onChange={(e) => setAudience(e.target.value)} />
        </label>
        <label>
          {t('ranking.limit')}
          <input type="number" min="1" max="500" required value={limit} onChange={(e) => setLimit(e.target.value)} />
        </label>
        <fieldset>
          <legend>{t('ranking.types')}</legend>
          {PARTNER_TYPES.map((p) => (
            <label key={p}>
              <input
                type="checkbox"
                checked={types.includes(p)}
                onChange={(e) => setTypes(e.target.checked ? [...types, p] : types.filter((x) => x !== p))}
              />{' '}
              {t(`types.${p}`)}
            </label>
          ))}
        </fieldset>
        <div>
          <button type="submit" className="primary" disabled={score.isPending}>
            {t('ranking.run')}
          </button>
        </div>
      </form>
      <ErrorNote error={score.error} />
      {ranking && ranking.length === 0 && <p>{t('ranking.none')}</p>}
      {ranking && ranking.length > 0 && (
        <>
          <h2>{t('ranking.results')}</h2>
          <Chart
            kind="bars"
            title={t('ranking.chart', { count: top.length })}
            x={top.map((r) => r.name)}
            series={[{ label: t('ranking.score'), values: top.map((r) => r.score) }]}
          />
          <table className="list">
            <thead>
              <tr>
                <th scope="col" className="num">
                  {t('ranking.rank')}
                </th>
                <th scope="col">{t('columns.partner')}</th>
                <th scope="col">{t('columns.type')}</th>
                <th scope="col" className="num">
                  {t('ranking.score')}
                </th>
                {FACTORS.map((f) => (
                  <th key={f} scope="col" className="num">
                    {t(`factors.${f}`)}
                  </th>
                ))}
                <th scope="col">{t('ranking.withinBudget')}</th>
              </tr>
            </thead>
            <tbody>
              {ranking.map((r, i) => (
                <tr key={r.partnerId}>
                  <td className="num">{i + 1}</td>
                  <th scope="row">
                    <button
                      type="button"
                      className="link"
                      aria-expanded={open === r.partnerId}
                      onClick={() => setOpen(open === r.partnerId ? null : r.partnerId)}
                    >
                      {r.name}
                    </button>
                  </th>
                  <td>{t(`types.${r.type}`)}</td>
                  <td className="num">
                    <strong>{formatNumber(r.score, lang, { maximumFractionDigits: 2 })}</strong>
                  </td>
                  {FACTORS.map((f) => (
                    <td key={f} className="num">
                      {formatNumber(contribution(r, f), lang, { maximumFractionDigits: 2 })}
                    </td>
                  ))}
                  <td>{r.withinBudget ? t('ranking.withinBudget') : t('ranking.overBudget')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {open && <FactorTable ranked={ranking.find((r) => r.partnerId === open)!} />}
        </>
      )}
    </section>
  );
}

const contribution = (r: Ranked, f: Factor) => r.factors.find((x) => x.factor === f)?.contribution ?? 0;

function FactorTable({ ranked }: { ranked: Ranked }) {
  const { t, i18n } = useTranslation('partners');
  const lang = i18n.language;
  const num = (n: number) => formatNumber(n, lang, { maximumFractionDigits: 4 });
  return (
    <section className="panel" aria-labelledby="factors-title">
      <h3 id="factors-title">{t('ranking.factorsOf', { name: ranked.name })}</h3>
      <Chart
        kind="bars"
        height={200}
        title={t('ranking.factorsChart', { name: ranked.name })}
        x={ranked.factors.map((f) => t(`factors.${f.factor}`))}
        series={[{ label: t('ranking.contribution'), values: ranked.factors.map((f) => f.contribution), color: '#7e22ce' }]}
      />
      <table className="list">
        <thead>
          <tr>
            <th scope="col">{t('ranking.factor')}</th>
            <th scope="col" className="num">
              {t('ranking.value')}
            </th>
            <th scope="col" className="num">
              {t('ranking.normalized')}
            </th>
            <th scope="col" className="num">
              {t('ranking.weight')}
            </th>
            <th scope="col" className="num">
              {t('ranking.contribution')}
            </th>
            <th scope="col">{t('ranking.why')}</th>
          </tr>
        </thead>
        <tbody>
          {ranked.factors.map((f) => (
            <tr key={f.factor}>
              <th scope="row">{t(`factors.${f.factor}`)}</th>
              <td className="num">{num(f.value)}</td>
              <td className="num">{num(f.normalized)}</td>
              <td className="num">{formatPercent(f.weight, lang)}</td>
              <td className="num">{num(f.contribution)}</td>
              <td>{t(f.factor === 'cost' && !ranked.withinBudget ? 'why.costOver' : `why.${f.factor}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link to={`/${ranked.partnerId}`}>{ranked.name}</Link>
      </p>
    </section>
  );
}
