// Pure: the RFM segment rules, shared by the scoring activity (SQL), the workflow and the API (names, descriptions).

/** Scores are 1..5, 5 best; a rule bound is inclusive. */
type Bound = readonly [min: number, max: number];

export interface SegmentRule {
  name: string;
  description: string;
  r?: Bound;
  f?: Bound;
  m?: Bound;
}

/** First match wins, so the order is part of the definition; `lost` has no bounds and takes everyone else. */
export const SEGMENT_RULES = [
  {
    name: 'champions',
    r: [4, 5],
    f: [4, 5],
    m: [4, 5],
    description: 'R >= 4, F >= 4 and M >= 4: bought recently, often, and spend the most',
  },
  { name: 'loyal', r: [3, 5], f: [4, 5], description: 'F >= 4 and R >= 3: active often and not lapsing' },
  { name: 'new', r: [4, 5], f: [1, 1], description: 'R >= 4 and F <= 1: seen recently, barely active yet' },
  { name: 'potential', r: [3, 5], description: 'R >= 3: recent enough to grow' },
  { name: 'at_risk', r: [1, 2], f: [3, 5], description: 'R <= 2 and F >= 3: used to be active, not seen lately' },
  { name: 'hibernating', r: [2, 2], description: 'R = 2: quiet for a while' },
  { name: 'lost', description: 'everyone else scored (R = 1 and F <= 2)' },
] as const satisfies readonly SegmentRule[];

export type Segment = (typeof SEGMENT_RULES)[number]['name'];
export const SEGMENTS = SEGMENT_RULES.map((s) => s.name) as unknown as readonly [Segment, ...Segment[]];

export const DEFAULT_LOOKBACK_DAYS = 365;
export const MAX_LOOKBACK_DAYS = 3650;

export type RfmTrigger = 'schedule' | 'manual';

export interface RfmScoringInput {
  trigger?: RfmTrigger;
  /** ISO time the scores are computed at; default: the workflow's start. */
  asOf?: string;
  /** Only events in the days before asOf count; default 365. */
  lookbackDays?: number;
}

export interface RfmResult {
  scored: number;
  /** Customers per segment, every segment present (0 included). */
  segments: Record<Segment, number>;
}

export interface RfmScores {
  r: number;
  f: number;
  m: number;
}

const within = (v: number, b: Bound | undefined) => b === undefined || (v >= b[0] && v <= b[1]);

/** The segment of one set of scores: the same rules as `segmentSql`, for code that has the scores in hand. */
export function segmentOf(s: RfmScores): Segment {
  const rules: readonly SegmentRule[] = SEGMENT_RULES;
  return rules.find((rule) => within(s.r, rule.r) && within(s.f, rule.f) && within(s.m, rule.m))!.name as Segment;
}

/** A SQL CASE over score columns that assigns the first matching segment (numbers only, so it is safe to inline). */
export function segmentSql(r: string, f: string, m: string): string {
  const rules: readonly SegmentRule[] = SEGMENT_RULES;
  const arms = rules.map((rule) => {
    const parts = (
      [
        [r, rule.r],
        [f, rule.f],
        [m, rule.m],
      ] as const
    )
      .filter(([, b]) => b !== undefined)
      .map(([col, b]) => `${col} between ${Number(b![0])} and ${Number(b![1])}`);
    return parts.length ? `when ${parts.join(' and ')} then '${rule.name}'` : `else '${rule.name}'`;
  });
  return `case ${arms.join(' ')} end`;
}

export const emptyCounts = (): Record<Segment, number> => Object.fromEntries(SEGMENTS.map((s) => [s, 0])) as Record<Segment, number>;
