// Campaigns' emails.
import type { CampaignReport } from '../../domain/campaign.ts';
import { compose, type Template } from './compose.ts';

export const campaignTemplates = {
  campaignRejected: ((d: { campaignId: string; name: string; comment: string }, ctx) =>
    compose(`[opsflow] Campaign "${d.name}" was not approved`, [
      `The budget approval of "${d.name}" was rejected; the campaign is a draft again.`,
      d.comment ? `Comment: ${d.comment}` : 'No comment was given.',
      `Change it (PATCH ${ctx.publicUrl}/campaigns/${d.campaignId}) and submit it again (POST ${ctx.publicUrl}/campaigns/${d.campaignId}/submit).`,
    ])) satisfies Template<never>,

  campaignPaused: ((d: { campaignId: string; name: string; reason: string; detail: string }, ctx) =>
    compose(`[opsflow] Campaign "${d.name}" paused itself: ${d.reason}`, [
      `The campaign "${d.name}" stopped sending and is paused.`,
      `Why: ${d.detail}`,
      d.reason === 'budget'
        ? 'Its budget cannot pay for another send. End it to get its retrospective, or cancel it.'
        : d.reason === 'guard'
          ? 'Look into it, then resume it (the guard then watches only the sends after this pause) or end it.'
          : 'Resume it to try again once the cause is fixed, or end it.',
      `${ctx.publicUrl}/campaigns/${d.campaignId}`,
    ])) satisfies Template<never>,

  campaignReport: ((d: { report: CampaignReport }, ctx) => {
    const r = d.report;
    const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
    const skipped =
      Object.entries(r.sends.skipped)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none';
    return compose(`[opsflow] Retrospective: campaign "${r.name}"`, [
      `The campaign "${r.name}" ${r.finalStage === 'cancelled' ? 'was cancelled' : 'has ended'}. Its retrospective:`,
      r.goals.length
        ? r.goals.map(
            (g) =>
              `Goal ${g.metric}: ${g.metric === 'conversion_rate' ? pct(g.actual) : g.actual} of ${g.metric === 'conversion_rate' ? pct(g.target) : g.target} by ${g.deadline.slice(0, 10)}: ${g.achieved ? 'achieved' : 'missed'}`,
          )
        : ['No goals were set.'],
      [
        `Audience ${r.sends.audience}, sent ${r.sends.sent}, skipped: ${skipped}, failed ${r.sends.failed}, not sent ${r.sends.notSent}`,
        `Conversions ${r.attribution.conversions}, conversion rate ${pct(r.attribution.conversionRate)}, UV ${r.attribution.uv}, new users ${r.attribution.newUsers}`,
        `GMV ${r.money.gmv} ${r.money.currency}, spend ${r.money.spend} of ${r.money.budget}, ROI ${pct(r.money.roi)}`,
        ...(r.abTest
          ? [
              `A/B test on ${r.abTest.winningMetric}: winner ${r.abTest.winner ?? 'none'}, margin ${r.abTest.margin === null ? 'n/a' : `${(r.abTest.margin * 100).toFixed(2)} points`}`,
            ]
          : []),
      ],
      `${ctx.publicUrl}/campaigns/${r.campaignId}/report`,
    ]);
  }) satisfies Template<never>,
};
