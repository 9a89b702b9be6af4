// Email templates are code: each takes the data it needs and renders subject, text and html.
import escapeHtml from 'escape-html';
import type { CheckFinding, ChannelDelivery } from '../workflows/content.rules.ts';

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export interface TemplateContext {
  /** Base URL of the API, for links. */
  publicUrl: string;
}

type Template<D> = (data: D, ctx: TemplateContext) => Rendered;

/** Builds text and html from the same paragraphs, so the two never drift apart. */
export function compose(subject: string, paragraphs: (string | string[])[]): Rendered {
  const text = paragraphs.map((p) => (Array.isArray(p) ? p.map((l) => `- ${l}`).join('\n') : p)).join('\n\n');
  const html = paragraphs
    .map((p) => (Array.isArray(p)
      ? `<ul>${p.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
      : `<p>${escapeHtml(p)}</p>`))
    .join('\n');
  return { subject, text: `${text}\n`, html: `<!doctype html><html><body>${html}</body></html>` };
}

export const templates = {
  taskEscalated: ((d: { taskId: string; taskTitle: string; candidateRole: string; dueAt: string }, ctx) => compose(
    `[opsflow] Overdue task: ${d.taskTitle}`,
    [
      `The task "${d.taskTitle}" for the ${d.candidateRole} role passed its due time (${d.dueAt}) without a decision.`,
      'It stays open and is now marked escalated. Please make sure someone decides it.',
      `${ctx.publicUrl}/tasks/${d.taskId}`,
    ],
  )) satisfies Template<never>,

  contentBlocked: ((d: { contentId: string; title: string; findings: CheckFinding[] }) => compose(
    `[opsflow] Your content "${d.title}" was blocked by automated checks`,
    [
      `"${d.title}" was rejected before review because the automated checks found:`,
      d.findings.map((f) => `${f.severity === 'block' ? 'Blocking' : 'Flagged'}: ${f.message}`),
      'Fix these points and submit it again as new content.',
    ],
  )) satisfies Template<never>,

  contentRejected: ((d: { contentId: string; title: string; reason: string }, ctx) => compose(
    `[opsflow] Your content "${d.title}" was rejected`,
    [`"${d.title}" was rejected.`, `Reason: ${d.reason}`, `${ctx.publicUrl}/content/${d.contentId}`],
  )) satisfies Template<never>,

  changesRequested: ((d: { contentId: string; title: string; comment: string; round: number; maxRounds: number }, ctx) =>
    compose(
      `[opsflow] Changes requested on "${d.title}"`,
      [
        `A reviewer asked for changes to "${d.title}" (review round ${d.round} of ${d.maxRounds}).`,
        d.comment ? `Comment: ${d.comment}` : 'No comment was given.',
        `Submit a revision: POST ${ctx.publicUrl}/content/${d.contentId}/revisions`,
      ],
    )) satisfies Template<never>,

  contentPublished: ((d: { contentId: string; title: string; publishedAt: string; deliveries: ChannelDelivery[] }, ctx) =>
    compose(
      `[opsflow] Published: "${d.title}"`,
      [
        `"${d.title}" was published at ${d.publishedAt}.`,
        d.deliveries.map((x) => `${x.channel}: ${x.status}${x.error ? ` (${x.error})` : ''}`),
        `${ctx.publicUrl}/content/${d.contentId}`,
      ],
    )) satisfies Template<never>,
};

export type TemplateName = keyof typeof templates;
export type TemplateData<T extends TemplateName> = Parameters<(typeof templates)[T]>[0];

export function render<T extends TemplateName>(name: T, data: TemplateData<T>, ctx: TemplateContext): Rendered {
  const template = templates[name] as Template<TemplateData<T>>;
  return template(data, ctx);
}
