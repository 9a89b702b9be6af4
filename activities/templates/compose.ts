// What every email template is built from: one list of paragraphs rendered as text and as html.
import escapeHtml from 'escape-html';

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export interface TemplateContext {
  /** Base URL of the API, for links. */
  publicUrl: string;
}

export type Template<D> = (data: D, ctx: TemplateContext) => Rendered;

// A link ends before trailing punctuation: "(POST https://x/a)." links https://x/a.
const LINK = /https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;

/** A line as HTML: escaped, its links clickable (the console's pages are one click from the email). */
function lineHtml(line: string): string {
  let html = '';
  let last = 0;
  for (const match of line.matchAll(LINK)) {
    const url = escapeHtml(match[0]);
    html += `${escapeHtml(line.slice(last, match.index))}<a href="${url}">${url}</a>`;
    last = match.index + match[0].length;
  }
  return html + escapeHtml(line.slice(last));
}

/** Builds text and html from the same paragraphs, so the two never drift apart. */
export function compose(subject: string, paragraphs: (string | string[])[]): Rendered {
  const text = paragraphs.map((p) => (Array.isArray(p) ? p.map((l) => `- ${l}`).join('\n') : p)).join('\n\n');
  const html = paragraphs
    .map((p) => (Array.isArray(p) ? `<ul>${p.map((l) => `<li>${lineHtml(l)}</li>`).join('')}</ul>` : `<p>${lineHtml(p)}</p>`))
    .join('\n');
  return { subject, text: `${text}\n`, html: `<!doctype html><html><body>${html}</body></html>` };
}
