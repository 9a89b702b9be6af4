// A text with passages marked (<mark>): the automated check findings in content under review. Each passage is marked
// wherever it occurs, overlaps merged; the text keeps its line breaks.
import type { ReactNode } from 'react';
import './marked-text.css';

export interface Highlight {
  /** The exact text to mark, as it appears. */
  text: string;
  /** What it is, for the tooltip and screen readers ("links to evil.test, which is not on the allow-list"). */
  label?: string;
}

interface Span {
  start: number;
  end: number;
  label: string | undefined;
}

function spans(text: string, highlights: readonly Highlight[]): Span[] {
  const found: Span[] = [];
  for (const h of highlights) {
    if (!h.text) continue;
    for (let at = text.indexOf(h.text); at !== -1; at = text.indexOf(h.text, at + h.text.length)) {
      found.push({ start: at, end: at + h.text.length, label: h.label });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const s of found) {
    const last = merged.at(-1);
    if (last && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      if (s.label && last.label !== s.label) last.label = last.label ? `${last.label}; ${s.label}` : s.label;
    } else merged.push({ ...s });
  }
  return merged;
}

export function HighlightedText({ text, highlights, className }: { text: string; highlights: readonly Highlight[]; className?: string }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const s of spans(text, highlights)) {
    if (s.start > at) parts.push(text.slice(at, s.start));
    parts.push(
      <mark key={s.start} title={s.label}>
        {text.slice(s.start, s.end)}
      </mark>,
    );
    at = s.end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <div className={`marked-text${className ? ` ${className}` : ''}`}>{parts}</div>;
}
