// Charts by uPlot (small, fast at thousands of points): time series or categories, lines or bars, with optional
// threshold lines and shaded spans (a rule's firing episodes). Every chart carries its figures as a table in a
// <details> below it, so a screen reader, or anyone who wants the numbers, gets them too.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDate, formatDateTime } from '../format.ts';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color?: string;
  dashed?: boolean;
}

export interface ChartProps {
  title: string;
  /** Epoch milliseconds (a time axis), or category names (bars side by side). */
  x: number[] | string[];
  series: ChartSeries[];
  kind?: 'line' | 'bars';
  height?: number;
  /** Horizontal lines, e.g. a rule's threshold. */
  thresholds?: { label: string; value: number; color?: string }[];
  /** Shaded spans on a time axis, e.g. firing episodes (epoch ms; `to` undefined = still going). */
  spans?: { from: number; to?: number; label: string }[];
  formatValue?: (value: number) => string;
}

const PALETTE = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490'];

export function Chart({ title, x, series, kind = 'line', height = 240, thresholds = [], spans = [], formatValue }: ChartProps) {
  const { t, i18n } = useTranslation();
  const box = useRef<HTMLDivElement>(null);
  const categorical = typeof x[0] === 'string';
  const fmt = formatValue ?? ((v: number) => new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 }).format(v));
  // The latest formatter, read by the plot without rebuilding it (callers pass a new function on every render).
  const fmtRef = useRef(fmt);
  fmtRef.current = fmt;
  // Daily figures (every point at local midnight) are labelled by date alone.
  const daily =
    !categorical &&
    (x as number[]).every((ms) => {
      const d = new Date(ms);
      return d.getHours() === 0 && d.getMinutes() === 0;
    });
  const xLabel = (i: number) => {
    if (categorical) return String(x[i]);
    const iso = new Date(x[i] as number).toISOString();
    return daily ? formatDate(iso, i18n.language) : formatDateTime(iso, i18n.language);
  };
  // The plot is rebuilt when the figures change, not when the caller re-creates equal arrays.
  const dataKey = JSON.stringify([x, series, kind, height, thresholds, spans, i18n.language]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = categorical ? x.map((_, i) => i) : (x as number[]).map((ms) => ms / 1000);
    const bars = kind === 'bars' ? uPlot.paths.bars!({ size: [0.6 / Math.max(1, series.length), 64] }) : undefined;
    const fmt = (v: number) => fmtRef.current(v);
    // Bars on a time axis get half a step of room at each end, so the first and last are drawn whole.
    const step = xs.length > 1 ? (xs[xs.length - 1]! - xs[0]!) / (xs.length - 1) : 86_400;
    const timeRange =
      kind === 'bars' && !categorical && xs.length
        ? { range: [xs[0]! - step / 2, xs[xs.length - 1]! + step / 2] as uPlot.Range.MinMax }
        : {};
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height,
      scales: { x: { time: !categorical, ...(categorical ? { range: [-0.5, x.length - 0.5] as uPlot.Range.MinMax } : timeRange) } },
      axes: [
        categorical ? { values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? String(x[s] ?? '') : '')) } : {},
        { values: (_u, splits) => splits.map(fmt), size: 60 },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          fill: kind === 'bars' ? `${s.color ?? PALETTE[i % PALETTE.length]}cc` : undefined,
          dash: s.dashed ? [6, 4] : undefined,
          width: 2,
          paths: bars,
          points: { show: kind !== 'bars' && xs.length < 60 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
        })),
      ],
      hooks: {
        drawClear: [
          (u) => {
            const { ctx } = u;
            ctx.save();
            ctx.fillStyle = 'rgba(220, 38, 38, 0.12)';
            for (const span of spans) {
              const from = u.valToPos(span.from / 1000, 'x', true);
              const to = u.valToPos((span.to ?? Date.now()) / 1000, 'x', true);
              ctx.fillRect(from, u.bbox.top, Math.max(2, to - from), u.bbox.height);
            }
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            const { ctx } = u;
            ctx.save();
            ctx.setLineDash([4, 4]);
            ctx.lineWidth = 2;
            for (const line of thresholds) {
              const y = u.valToPos(line.value, 'y', true);
              ctx.strokeStyle = line.color ?? '#b91c1c';
              ctx.beginPath();
              ctx.moveTo(u.bbox.left, y);
              ctx.lineTo(u.bbox.left + u.bbox.width, y);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    // The thresholds stay in view even when the data never comes near them.
    if (thresholds.length) {
      const values = [...series.flatMap((s) => s.values.filter((v): v is number => v !== null)), ...thresholds.map((l) => l.value)];
      const [min, max] = [Math.min(0, ...values), Math.max(...values)];
      opts.scales!.y = { range: [min, max + (max - min) * 0.1 || 1] };
    }
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
    // dataKey stands for every input the plot is built from.
  }, [dataKey]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={title} />
      <details>
        <summary>{t('chart.figures')}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{categorical ? t('chart.category') : t('chart.time')}</th>
              {series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {x.map((_, i) => (
              <tr key={i}>
                <th scope="row">{xLabel(i)}</th>
                {series.map((s) => (
                  <td key={s.label}>{s.values[i] == null ? '—' : fmt(s.values[i]!)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {thresholds.map((line) => (
          <p key={line.label}>
            {line.label}: {fmt(line.value)}
          </p>
        ))}
        {spans.map((span) => (
          <p key={`${span.from}`}>{span.label}</p>
        ))}
      </details>
    </figure>
  );
}
