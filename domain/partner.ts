// Pure: partners and how they are ranked for a brief, with every factor's value, weight and contribution shown.

export const PARTNER_TYPES = ['channel', 'content', 'kol', 'tech'] as const;
export type PartnerType = (typeof PARTNER_TYPES)[number];
export const BRIEF_GOALS = ['awareness', 'engagement', 'conversion'] as const;
export type BriefGoal = (typeof BRIEF_GOALS)[number];
export const SCORE_FACTORS = ['reach', 'engagement', 'audienceMatch', 'conversion', 'cost'] as const;
export type ScoreFactor = (typeof SCORE_FACTORS)[number];

/** A partner's audience figures, as the team records them. Rates are fractions (0.034 = 3.4%). */
export interface PartnerFigures {
  followers: number;
  engagementRate: number;
  /** How well the partner's audience matches our target audience, 0 to 1. */
  audienceMatch: number;
  pastConversionRate: number;
  /** Price of one engagement, in the brief's currency. */
  price: number;
}

export interface ScoredPartnerInput {
  id: string;
  name: string;
  type: PartnerType;
  figures: PartnerFigures;
}

export interface Brief {
  budget: number;
  goal: BriefGoal;
  /** Only partners of these types (all when empty). */
  types?: PartnerType[];
  /** Weights that replace the goal's defaults for the factors named. */
  weights?: Partial<Record<ScoreFactor, number>>;
}

/** Default weights per goal; each row sums to 1. */
export const GOAL_WEIGHTS: Record<BriefGoal, Record<ScoreFactor, number>> = {
  awareness: { reach: 0.5, engagement: 0.1, audienceMatch: 0.2, conversion: 0.05, cost: 0.15 },
  engagement: { reach: 0.15, engagement: 0.4, audienceMatch: 0.25, conversion: 0.05, cost: 0.15 },
  conversion: { reach: 0.1, engagement: 0.15, audienceMatch: 0.25, conversion: 0.35, cost: 0.15 },
};

export interface FactorScore {
  factor: ScoreFactor;
  /** The partner's own figure behind the factor. */
  value: number;
  /** 0 to 1: against the best candidate, or the audience match itself, or the share of the budget the price leaves. */
  normalized: number;
  weight: number;
  /** normalized x weight x 100: the points this factor adds to the score. */
  contribution: number;
  explanation: string;
}

export interface PartnerScore {
  partnerId: string;
  name: string;
  type: PartnerType;
  /** 0 to 100, the sum of the contributions. */
  score: number;
  withinBudget: boolean;
  factors: FactorScore[];
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Ranks the partners for a brief, best first. Each factor is normalized to 0..1 across the candidates, weighted by the
 * brief's goal (or its own weights, rescaled to sum to 1), and shown with its contribution. A partner over budget
 * scores 0 on cost, is flagged, and ranks after every partner within it.
 */
export function scorePartners(partners: ScoredPartnerInput[], brief: Brief): PartnerScore[] {
  const candidates = partners.filter((p) => !brief.types?.length || brief.types.includes(p.type));
  const raw = { ...GOAL_WEIGHTS[brief.goal], ...brief.weights };
  const sum = SCORE_FACTORS.reduce((s, f) => s + raw[f], 0);
  const weights = Object.fromEntries(SCORE_FACTORS.map((f) => [f, sum > 0 ? raw[f] / sum : 1 / SCORE_FACTORS.length])) as Record<
    ScoreFactor,
    number
  >;
  const max = (pick: (f: PartnerFigures) => number) => Math.max(0, ...candidates.map((p) => pick(p.figures)));
  const maxReach = max((f) => f.followers);
  const maxEngagement = max((f) => f.engagementRate);
  const maxConversion = max((f) => f.pastConversionRate);
  const ratio = (v: number, m: number) => (m > 0 ? v / m : 0);

  return candidates
    .map((p) => {
      const f = p.figures;
      const withinBudget = f.price <= brief.budget;
      const parts: Record<ScoreFactor, { value: number; normalized: number; explanation: string }> = {
        reach: { value: f.followers, normalized: ratio(f.followers, maxReach), explanation: 'followers against the largest candidate' },
        engagement: {
          value: f.engagementRate,
          normalized: ratio(f.engagementRate, maxEngagement),
          explanation: 'engagement rate against the best candidate',
        },
        audienceMatch: {
          value: f.audienceMatch,
          normalized: Math.min(1, Math.max(0, f.audienceMatch)),
          explanation: 'share of the audience that matches the target',
        },
        conversion: {
          value: f.pastConversionRate,
          normalized: ratio(f.pastConversionRate, maxConversion),
          explanation: 'past conversion rate against the best candidate',
        },
        cost: {
          value: f.price,
          normalized: withinBudget && brief.budget > 0 ? 1 - f.price / brief.budget : 0,
          explanation: withinBudget ? 'share of the budget left after the price' : 'over budget',
        },
      };
      const factors = SCORE_FACTORS.map((factor): FactorScore => ({
        factor,
        value: parts[factor].value,
        normalized: round(parts[factor].normalized),
        weight: round(weights[factor]),
        contribution: round(parts[factor].normalized * weights[factor] * 100, 2),
        explanation: parts[factor].explanation,
      }));
      return {
        partnerId: p.id,
        name: p.name,
        type: p.type,
        withinBudget,
        factors,
        score: round(
          factors.reduce((s, x) => s + x.contribution, 0),
          2,
        ),
      };
    })
    .sort((a, b) => Number(b.withinBudget) - Number(a.withinBudget) || b.score - a.score || a.name.localeCompare(b.name));
}
