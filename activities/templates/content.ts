// The content review's emails.
import type { CheckFinding, ChannelDelivery } from '../../domain/content.ts';
import { compose, type Template } from './compose.ts';

export const contentTemplates = {
  contentBlocked: ((d: { contentId: string; title: string; findings: CheckFinding[] }) =>
    compose(`[opsflow] Your content "${d.title}" was blocked by automated checks`, [
      `"${d.title}" was rejected before review because the automated checks found:`,
      d.findings.map((f) => `${f.severity === 'block' ? 'Blocking' : 'Flagged'}: ${f.message}`),
      'Fix these points and submit it again as new content.',
    ])) satisfies Template<never>,

  contentRejected: ((d: { contentId: string; title: string; reason: string }, ctx) =>
    compose(`[opsflow] Your content "${d.title}" was rejected`, [
      `"${d.title}" was rejected.`,
      `Reason: ${d.reason}`,
      `${ctx.publicUrl}/content/${d.contentId}`,
    ])) satisfies Template<never>,

  changesRequested: ((d: { contentId: string; title: string; comment: string; round: number; maxRounds: number }, ctx) =>
    compose(`[opsflow] Changes requested on "${d.title}"`, [
      `A reviewer asked for changes to "${d.title}" (review round ${d.round} of ${d.maxRounds}).`,
      d.comment ? `Comment: ${d.comment}` : 'No comment was given.',
      `Submit a revision: POST ${ctx.publicUrl}/content/${d.contentId}/revisions`,
    ])) satisfies Template<never>,

  contentPublished: ((d: { contentId: string; title: string; publishedAt: string; deliveries: ChannelDelivery[] }, ctx) =>
    compose(`[opsflow] Published: "${d.title}"`, [
      `"${d.title}" was published at ${d.publishedAt}.`,
      d.deliveries.map((x) => `${x.channel}: ${x.status}${x.error ? ` (${x.error})` : ''}`),
      `${ctx.publicUrl}/content/${d.contentId}`,
    ])) satisfies Template<never>,
};
