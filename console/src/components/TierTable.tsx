// A revenue share's tiers as a table: from, to (or "and above"), rate; the mode (whole or marginal) and the cap beside.
import { formatMoney, formatNumber } from '../format.ts';

export interface Tier {
  from: number;
  to: number | null;
  rate: number;
}

export function TierTable({
  tiers,
  currency,
  language,
  labels,
}: {
  tiers: readonly Tier[];
  currency: string;
  language: string;
  labels: { caption: string; from: string; to: string; rate: string; above: string };
}) {
  return (
    <table className="tier-table">
      <caption>{labels.caption}</caption>
      <thead>
        <tr>
          <th scope="col">{labels.from}</th>
          <th scope="col">{labels.to}</th>
          <th scope="col">{labels.rate}</th>
        </tr>
      </thead>
      <tbody>
        {tiers.map((t) => (
          <tr key={t.from}>
            <td>{formatMoney(t.from, currency, language)}</td>
            <td>{t.to === null ? labels.above : formatMoney(t.to, currency, language)}</td>
            <td>{formatNumber(t.rate / 100, language, { style: 'percent', maximumFractionDigits: 2 })}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
