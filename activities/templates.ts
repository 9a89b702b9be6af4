// Email templates are code: each takes the data it needs and renders subject, text and html.
import escapeHtml from 'escape-html';
import type { CampaignReport } from '../domain/campaign.ts';
import type { CheckFinding, ChannelDelivery } from '../domain/content.ts';
import type { PayoutRecord } from '../domain/contract.ts';

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

/** What every incident email names. */
interface IncidentMail {
  incidentId: string;
  title: string;
  severity: string;
  service: string | null;
}

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
    .map((p) => (Array.isArray(p)
      ? `<ul>${p.map((l) => `<li>${lineHtml(l)}</li>`).join('')}</ul>`
      : `<p>${lineHtml(p)}</p>`))
    .join('\n');
  return { subject, text: `${text}\n`, html: `<!doctype html><html><body>${html}</body></html>` };
}

export const templates = {
  taskEscalated: ((d: { taskId: string; taskTitle: string; candidateRole: string; dueAt: string }, ctx) => compose(
    `[opsflow] Overdue task: ${d.taskTitle}`,
    [
      `The task "${d.taskTitle}" for the ${d.candidateRole} role passed its due time (${d.dueAt}) without a decision.`,
      'It stays open and is now marked escalated. Please make sure someone decides it.',
      `${ctx.publicUrl}/console/inbox/${d.taskId}`,
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

  ruleFired: ((d: { ruleId: string; name: string; severity: string; metric: string; reason: string; episode: number; at: string }, ctx) => compose(
    `[opsflow] ${d.severity} rule fired: ${d.name}`,
    [
      `The rule "${d.name}" on ${d.metric} fired at ${d.at} (episode ${d.episode}).`,
      `Why: ${d.reason}`,
      `The rule, its monitor and the metric's chart: ${ctx.publicUrl}/console/metrics/rules/${d.ruleId}`,
    ],
  )) satisfies Template<never>,

  incidentPaged: ((d: IncidentMail & { level: number; pass: number; description: string | null; triggeredAt: string; ackDueAt: string | null }, ctx) => compose(
    `[opsflow] ${d.severity} incident: ${d.title}`,
    [
      `You are paged for a ${d.severity} incident${d.service ? ` on ${d.service}` : ''}: "${d.title}" (level ${d.level}${d.pass > 0 ? `, repeat ${d.pass}` : ''}).`,
      ...(d.description && d.description !== d.title ? [d.description] : []),
      `Triggered at ${d.triggeredAt}.${d.ackDueAt ? ` Acknowledge by ${d.ackDueAt}, or the next level is paged.` : ''}`,
      // The console's incident page: the on-call signs in (it returns there) and acknowledges with one button.
      `Open it and acknowledge: ${ctx.publicUrl}/console/incidents/${d.incidentId}`,
      `With an API token: POST ${ctx.publicUrl}/incidents/${d.incidentId}/ack`,
    ],
  )) satisfies Template<never>,

  incidentCommander: ((d: IncidentMail & { by: string }, ctx) => compose(
    `[opsflow] You are the commander of ${d.severity} incident: ${d.title}`,
    [`${d.by} made you the commander of the incident "${d.title}".`, `${ctx.publicUrl}/console/incidents/${d.incidentId}`],
  )) satisfies Template<never>,

  incidentRecovered: ((d: IncidentMail, ctx) => compose(
    `[opsflow] Recovered: ${d.title}`,
    [
      `The rule that opened the ${d.severity} incident "${d.title}" has recovered.`,
      `If the cause is dealt with, resolve it: ${ctx.publicUrl}/console/incidents/${d.incidentId}`,
    ],
  )) satisfies Template<never>,

  postmortemRequested: ((d: IncidentMail & { taskId: string; dueAt: string }, ctx) => compose(
    `[opsflow] Postmortem due ${d.dueAt.slice(0, 10)}: ${d.title}`,
    [
      `The ${d.severity} incident "${d.title}" is resolved. Its postmortem is due by ${d.dueAt}.`,
      `Write it in the console: ${ctx.publicUrl}/console/inbox/${d.taskId}`,
      `With an API token: POST ${ctx.publicUrl}/incidents/${d.incidentId}/postmortem {summary, rootCause, actionItems}`,
    ],
  )) satisfies Template<never>,

  postmortemOverdue: ((d: IncidentMail & { taskId: string; dueAt: string }, ctx) => compose(
    `[opsflow] Overdue postmortem: ${d.title}`,
    [
      `The postmortem of the ${d.severity} incident "${d.title}" was due at ${d.dueAt} and is not done yet.`,
      `Submit it: POST ${ctx.publicUrl}/incidents/${d.incidentId}/postmortem`,
    ],
  )) satisfies Template<never>,

  contractRejected: ((d: { contractId: string; partner: string; comment: string }, ctx) => compose(
    `[opsflow] The contract with ${d.partner} was not approved`,
    [`The contract with ${d.partner} was rejected and is a draft again.`, d.comment ? `Comment: ${d.comment}` : 'No comment was given.',
      `Amend it (PATCH ${ctx.publicUrl}/contracts/${d.contractId}) and submit it again (POST ${ctx.publicUrl}/contracts/${d.contractId}/submit).`],
  )) satisfies Template<never>,

  contractToSign: ((d: { contractId: string; partner: string; termsVersion: number; expiresAt?: string | null }, ctx) => compose(
    `[opsflow] Please sign the contract with ${d.partner}`,
    [`The contract with ${d.partner} (terms version ${d.termsVersion}) is approved and waits for your signature; the partner signs after you.`,
      ...(d.expiresAt ? [`Unsigned by both by ${d.expiresAt}, it expires.`] : []),
      // The console's contract page: the signer reads the terms and signs with one button.
      `Read it and sign: ${ctx.publicUrl}/console/partners/contracts/${d.contractId}`,
      `With an API token: POST ${ctx.publicUrl}/contracts/${d.contractId}/sign`],
  )) satisfies Template<never>,

  contractSignatureExpired: ((d: { contractId: string; partner: string }, ctx) => compose(
    `[opsflow] ${d.partner} did not sign: the contract expired`,
    [`${d.partner} did not sign the contract in time, so it has expired.`, `${ctx.publicUrl}/console/partners/contracts/${d.contractId}`],
  )) satisfies Template<never>,

  contractActivated: ((d: { contractId: string; partner: string; code: string; start: string; end: string }) => compose(
    'Your partnership is active',
    [`Hello ${d.partner}, thank you for signing. The partnership runs from ${d.start.slice(0, 10)} to ${d.end.slice(0, 10)}.`,
      `Your tracking code: ${d.code}. Sales and traffic with it are credited to you.`],
  )) satisfies Template<never>,

  contractEvaluation: ((d: { contractId: string; partner: string; currency: string; record: PayoutRecord }, ctx) => {
    const r = d.record;
    return compose(`[opsflow] Evaluation of ${d.partner}: ${r.periodFrom.slice(0, 10)} to ${r.periodTo.slice(0, 10)}`, [
      `The period ${r.periodFrom.slice(0, 10)} to ${r.periodTo.slice(0, 10)} of the contract with ${d.partner} (term ${r.term}${r.fraction < 1 ? `, ${Math.round(r.fraction * 100)}% of a period` : ''}):`,
      [
        `Exposure ${r.actuals.exposure}, clicks ${r.actuals.clicks}, conversions ${r.actuals.conversions}, GMV ${r.actuals.gmv} ${d.currency}`,
        `Score against the targets: ${r.score === null ? 'no targets set' : r.score}`,
        `Payout ${r.total} ${d.currency}: fee ${r.fee}, revenue share ${r.share}${r.tier === null ? '' : ` (tier ${r.tier + 1}${r.capped ? ', capped' : ''})`}, milestones ${r.milestones}`,
      ],
      `The payouts ledger: ${ctx.publicUrl}/console/partners/contracts/${d.contractId}`,
    ]);
  }) satisfies Template<never>,

  contractRenewalReminder: ((d: { contractId: string; partner: string; end: string; daysLeft: number }, ctx) => compose(
    `[opsflow] ${d.daysLeft} days left: renew the contract with ${d.partner}?`,
    [`The contract with ${d.partner} ends on ${d.end.slice(0, 10)}. Decide in the renewal task: renew, renegotiate, or let it expire.`,
      `${ctx.publicUrl}/tasks?kind=contract_renewal&entityId=${d.contractId}`],
  )) satisfies Template<never>,

  contractTerminated: ((d: { contractId: string; partner: string; reason: string }) => compose(
    'Your partnership has been terminated',
    [`Hello ${d.partner}, the partnership has been terminated.`, `Reason: ${d.reason}`,
      'The period under way is settled pro rata, and your tracking code no longer works.'],
  )) satisfies Template<never>,

  campaignRejected: ((d: { campaignId: string; name: string; comment: string }, ctx) => compose(
    `[opsflow] Campaign "${d.name}" was not approved`,
    [
      `The budget approval of "${d.name}" was rejected; the campaign is a draft again.`,
      d.comment ? `Comment: ${d.comment}` : 'No comment was given.',
      `Change it (PATCH ${ctx.publicUrl}/campaigns/${d.campaignId}) and submit it again (POST ${ctx.publicUrl}/campaigns/${d.campaignId}/submit).`,
    ],
  )) satisfies Template<never>,

  campaignPaused: ((d: { campaignId: string; name: string; reason: string; detail: string }, ctx) => compose(
    `[opsflow] Campaign "${d.name}" paused itself: ${d.reason}`,
    [
      `The campaign "${d.name}" stopped sending and is paused.`,
      `Why: ${d.detail}`,
      d.reason === 'budget' ? 'Its budget cannot pay for another send. End it to get its retrospective, or cancel it.'
        : d.reason === 'guard' ? 'Look into it, then resume it (the guard then watches only the sends after this pause) or end it.'
          : 'Resume it to try again once the cause is fixed, or end it.',
      `${ctx.publicUrl}/campaigns/${d.campaignId}`,
    ],
  )) satisfies Template<never>,

  campaignReport: ((d: { report: CampaignReport }, ctx) => {
    const r = d.report;
    const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
    const skipped = Object.entries(r.sends.skipped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    return compose(`[opsflow] Retrospective: campaign "${r.name}"`, [
      `The campaign "${r.name}" ${r.finalStage === 'cancelled' ? 'was cancelled' : 'has ended'}. Its retrospective:`,
      r.goals.length
        ? r.goals.map((g) => `Goal ${g.metric}: ${g.metric === 'conversion_rate' ? pct(g.actual) : g.actual} of ${g.metric === 'conversion_rate' ? pct(g.target) : g.target} by ${g.deadline.slice(0, 10)}: ${g.achieved ? 'achieved' : 'missed'}`)
        : ['No goals were set.'],
      [
        `Audience ${r.sends.audience}, sent ${r.sends.sent}, skipped: ${skipped}, failed ${r.sends.failed}, not sent ${r.sends.notSent}`,
        `Conversions ${r.attribution.conversions}, conversion rate ${pct(r.attribution.conversionRate)}, UV ${r.attribution.uv}, new users ${r.attribution.newUsers}`,
        `GMV ${r.money.gmv} ${r.money.currency}, spend ${r.money.spend} of ${r.money.budget}, ROI ${pct(r.money.roi)}`,
        ...(r.abTest ? [`A/B test on ${r.abTest.winningMetric}: winner ${r.abTest.winner ?? 'none'}, margin ${r.abTest.margin === null ? 'n/a' : `${(r.abTest.margin * 100).toFixed(2)} points`}`] : []),
      ],
      `${ctx.publicUrl}/campaigns/${r.campaignId}/report`,
    ]);
  }) satisfies Template<never>,
};

export type TemplateName = keyof typeof templates;
export type TemplateData<T extends TemplateName> = Parameters<(typeof templates)[T]>[0];

export function render<T extends TemplateName>(name: T, data: TemplateData<T>, ctx: TemplateContext): Rendered {
  const template = templates[name] as Template<TemplateData<T>>;
  return template(data, ctx);
}
