// Campaign side effects: the read model (and send gate), the frozen audience, the send passes, the A/B figures and
// the retrospective.
import { campaignAttribution, variantFigures as attributedVariantFigures } from '../db/campaign-attribution.ts';
import { ledgerCounts } from '../db/campaign-counts.ts';
import { assignWinner, closeLedger, freezeAudience, type AbSplit, type FrozenAudience } from '../db/campaign-recipients.ts';
import { saveCampaignRow, storeCampaignReport, storedCampaignReport, type CampaignRecord } from '../db/campaigns.ts';
import { liveVersionIds } from '../db/message-templates.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import {
  DEFAULT_CAMPAIGN_APPROVAL_POLICY,
  goalActual,
  roi,
  type AbState,
  type Attribution,
  type Audience,
  type CampaignApprovalPolicy,
  type CampaignReport,
  type CampaignSpec,
  type CampaignStage,
  type StageChange,
  type VariantResult,
} from '../domain/campaign.ts';
import { variantRates } from '../domain/campaign.ts';
import { runSendPass, type SendPass, type SendPassResult } from './campaign-sender.ts';
import type { CustomerEmailDeps } from './customer-email.ts';

export type { CampaignRecord } from '../db/campaigns.ts';
export type { FrozenAudience } from '../db/campaign-recipients.ts';

export function createCampaignActivities(deps: CustomerEmailDeps) {
  const { orm } = deps;

  // From the attribution rollups (db/campaign-attribution.ts): the same figures as the raw events, read in O(days).
  const attribution = (campaignId: string, until?: string): Promise<Attribution> => campaignAttribution(orm, campaignId, until);
  const variantFigures = (campaignId: string, variants: string[]): Promise<Omit<VariantResult, 'rate'>[]> =>
    attributedVariantFigures(orm, campaignId, variants);

  return {
    async saveCampaign(record: CampaignRecord): Promise<void> {
      await saveCampaignRow(orm, record);
    },

    /** The campaign message template's live versions by locale: an approved campaign sends these, whatever changes later. */
    async pinCampaignTemplates(): Promise<Record<string, string>> {
      return liveVersionIds(orm, 'campaign');
    },

    async loadCampaignApprovalPolicy(): Promise<CampaignApprovalPolicy> {
      return readSetting(orm, SETTINGS.campaignApprovalPolicy, DEFAULT_CAMPAIGN_APPROVAL_POLICY);
    },

    /** Freezes the audience into the send ledger, once (db/campaign-recipients.ts: the shuffle, the A/B test group). */
    async freezeAudience(args: { campaignId: string; audience: Audience; abTest: AbSplit | null }): Promise<FrozenAudience> {
      return freezeAudience(orm, args);
    },

    async sendCampaignPass(pass: SendPass): Promise<SendPassResult> {
      return runSendPass(deps, pass);
    },

    /** The test group's figures per variant, from events carrying the campaign id. */
    async variantResults(args: { campaignId: string; variants: string[]; metric: 'conversions' | 'clicks' }): Promise<VariantResult[]> {
      return variantRates(await variantFigures(args.campaignId, args.variants), args.metric);
    },

    /** The rest of the audience gets the winner. */
    async assignWinner(args: { campaignId: string; variant: string }): Promise<void> {
      await assignWinner(orm, args.campaignId, args.variant);
    },

    /** Closes the ledger when the campaign ends: deferred recipients are skipped as quiet, the rest stay pending. */
    async closeLedger(args: { campaignId: string }): Promise<void> {
      await closeLedger(orm, args.campaignId);
    },

    /** Builds the retrospective from the ledger and the attributed events, stores it (once) and answers it. */
    async buildCampaignReport(args: {
      campaignId: string;
      ownerId: string;
      spec: CampaignSpec;
      finalStage: CampaignStage;
      launchedAt: string | null;
      endedAt: string | null;
      ab: AbState | null;
      timeline: StageChange[];
    }): Promise<CampaignReport> {
      const stored = await storedCampaignReport(orm, args.campaignId);
      if (stored) return stored;
      const counts = await ledgerCounts(orm, args.campaignId);
      const total = await attribution(args.campaignId);
      const goals = await Promise.all(
        args.spec.goals.map(async (g) => {
          const actual = goalActual(g.metric, await attribution(args.campaignId, g.deadline), counts.sent);
          return { ...g, actual, achieved: actual >= g.target, progress: g.target === 0 ? 1 : actual / g.target };
        }),
      );
      const {
        frequency_cap: capped = 0,
        quiet_hours: quiet = 0,
        unsubscribed = 0,
        no_consent: noConsent = 0,
        ...otherSkips
      } = counts.skipped;
      const ab = args.spec.abTest;
      const report: CampaignReport = {
        campaignId: args.campaignId,
        name: args.spec.name,
        ownerId: args.ownerId,
        finalStage: args.finalStage,
        launchedAt: args.launchedAt,
        endedAt: args.endedAt,
        generatedAt: new Date().toISOString(),
        goals,
        sends: {
          audience: counts.audience,
          sent: counts.sent,
          skipped: { capped, quiet, unsubscribed, no_consent: noConsent, ...otherSkips },
          deferredForQuietHours: counts.everDeferred,
          failed: counts.failed,
          notSent: counts.pending + counts.deferred,
        },
        attribution: { ...total, conversionRate: counts.sent === 0 ? null : total.conversions / counts.sent },
        money: {
          currency: args.spec.budget.currency,
          budget: args.spec.budget.total,
          spend: counts.spend,
          costPerSend: args.spec.budget.costPerSend,
          gmv: total.gmv,
          roi: roi(total.gmv, counts.spend),
        },
        abTest: ab
          ? {
              winningMetric: ab.winningMetric,
              variants: args.ab?.results.length
                ? args.ab.results
                : variantRates(
                    await variantFigures(
                      args.campaignId,
                      ab.variants.map((v) => v.name),
                    ),
                    ab.winningMetric,
                  ),
              winner: args.ab?.choice?.winner ?? null,
              runnerUp: args.ab?.choice?.runnerUp ?? null,
              margin: args.ab?.choice?.margin ?? null,
              lift: args.ab?.choice?.lift ?? null,
            }
          : null,
        timeline: args.timeline,
      };
      return storeCampaignReport(orm, args.campaignId, report);
    },
  };
}
