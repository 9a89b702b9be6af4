// Dates in the operator's own timezone (the browser's), in the console's language.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export const timeZone = (): string => zone;

export function formatDateTime(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(iso));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "in 3 hours", "2 days ago": the SLA countdown. */
export function formatRelative(iso: string, language: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const [unit, ms] = UNITS.find(([, size]) => Math.abs(diff) >= size) ?? ['minute', 60_000];
  return new Intl.RelativeTimeFormat(language, { numeric: 'auto' }).format(Math.round(diff / ms), unit);
}

export function formatNumber(value: number, language: string, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(language, options).format(value);
}

/** Money in its own currency (CNY as ¥, USD as $, in the console's language). */
export function formatMoney(amount: number, currency: string, language: string): string {
  return new Intl.NumberFormat(language, { style: 'currency', currency }).format(amount);
}

export function formatPercent(ratio: number, language: string): string {
  return new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

export function formatDate(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: zone }).format(new Date(iso));
}
