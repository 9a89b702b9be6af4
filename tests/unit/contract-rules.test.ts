// The pure contract rules, against hand-computed figures: tiered payouts in both modes with a cap, pro rata, the
// evaluation calendar, tier validation, renewal reminders, performance scores, and partner ranking.
import {
  addMonths,
  periodFraction,
  periodPayout,
  periodsOf,
  performanceScore,
  renewalReminders,
  tierProblems,
  type Tier,
} from '../../domain/contract.ts';
import { scorePartners, type ScoredPartnerInput } from '../../domain/partner.ts';

const tiers: Tier[] = [
  { from: 0, to: 10_000, rate: 5 },
  { from: 10_000, to: 50_000, rate: 8 },
  { from: 50_000, to: null, rate: 10 },
];
const terms = (mode: 'whole' | 'marginal', cap: number | null = null, fee = 0) => ({ fee, revenueShare: { mode, tiers, cap } });

test('whole volume: the tier reached pays its rate on all of it', () => {
  expect(periodPayout(terms('whole'), 30_000)).toMatchObject({ share: 2400, tier: 1, total: 2400 });
  expect(periodPayout(terms('whole'), 60_000)).toMatchObject({ share: 6000, tier: 2 });
  expect(periodPayout(terms('whole'), 10_000)).toMatchObject({ share: 800, tier: 1 }); // `from` is inclusive
  expect(periodPayout(terms('whole'), 0)).toMatchObject({ share: 0, tier: null });
});

test('marginal: each tier pays only the part of the volume inside it', () => {
  expect(periodPayout(terms('marginal'), 30_000).share).toBe(500 + 1600);
  expect(periodPayout(terms('marginal'), 60_000).share).toBe(500 + 3200 + 1000);
  expect(periodPayout(terms('marginal'), 10_000).share).toBe(500);
});

test('the cap holds the share, the fee comes on top; a part period is pro rata, cap included', () => {
  expect(periodPayout(terms('whole', 4000, 1000), 60_000)).toEqual({ fee: 1000, share: 4000, tier: 2, capped: true, total: 5000 });
  expect(periodPayout(terms('marginal', 4000), 60_000)).toMatchObject({ share: 4000, capped: true });
  expect(periodPayout(terms('marginal', 4000), 30_000)).toMatchObject({ share: 2100, capped: false });
  expect(periodPayout(terms('whole', 4000, 1000), 60_000, 0.5)).toEqual({ fee: 500, share: 2000, tier: 2, capped: true, total: 2500 });
});

test('tiers out of order, overlapping, with gaps or an empty range are named by index', () => {
  expect(tierProblems(tiers)).toEqual([]);
  expect(
    tierProblems([
      { from: 0, to: 100, rate: 1 },
      { from: 50, to: 200, rate: 2 },
    ]).map(([i]) => i),
  ).toEqual([1]);
  expect(
    tierProblems([
      { from: 0, to: 100, rate: 1 },
      { from: 150, to: 200, rate: 2 },
    ])[0]![1],
  ).toMatch(/gap/);
  expect(
    tierProblems([
      { from: 100, to: 200, rate: 1 },
      { from: 0, to: 100, rate: 2 },
    ]).length,
  ).toBeGreaterThan(0);
  expect(
    tierProblems([
      { from: 0, to: null, rate: 1 },
      { from: 100, to: 200, rate: 2 },
    ])[0]![1],
  ).toMatch(/without a top/);
  expect(tierProblems([{ from: 0, to: 0, rate: 1 }])).toEqual([[0, 'to must be above from']]);
  expect(tierProblems([{ from: 100, to: null, rate: 1 }])[0]![1]).toMatch(/start at 0/);
});

test('monthly periods keep the day of the month, the last one cut at the end; part periods are pro rata', () => {
  expect(addMonths('2026-01-31T00:00:00.000Z', 1)).toBe('2026-02-28T00:00:00.000Z');
  const periods = periodsOf('2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', 'monthly');
  expect(periods).toHaveLength(12);
  expect(periods[11]).toEqual({ index: 11, from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
  const cut = periodsOf('2026-01-01T00:00:00.000Z', '2026-02-15T00:00:00.000Z', 'monthly');
  expect(cut.map((p) => p.to)).toEqual(['2026-02-01T00:00:00.000Z', '2026-02-15T00:00:00.000Z']);
  const jan1 = { start: '2026-01-01T00:00:00.000Z', cadence: 'monthly' as const };
  expect(periodFraction(cut[1]!, jan1)).toBeCloseTo(14 / 28, 6);
  expect(periodFraction(periods[0]!, jan1, '2026-01-11T00:00:00.000Z')).toBeCloseTo(10 / 31, 6);
  // From a month's end: the second period is Nov 30 to Dec 31, 31 days, and half of it is half, not 15.5 of 30 days.
  const oct31 = { start: '2026-10-31T00:00:00.000Z', cadence: 'monthly' as const };
  const second = periodsOf(oct31.start, '2027-10-31T00:00:00.000Z', 'monthly')[1]!;
  expect(second).toEqual({ index: 1, from: '2026-11-30T00:00:00.000Z', to: '2026-12-31T00:00:00.000Z' });
  expect(periodFraction(second, oct31, '2026-12-15T12:00:00.000Z')).toBeCloseTo(0.5, 6);
  expect(periodFraction(second, oct31)).toBe(1);
  expect(periodsOf('2026-01-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z', 'quarterly')).toHaveLength(2);
});

test('performance: attainment per target (capped at 150%), its mean; renewal reminders still ahead', () => {
  const p = performanceScore({ exposure: 50_000, clicks: 900, conversions: 30, gmv: 0 }, { exposure: 100_000, clicks: 600 });
  expect(p.score).toBe(100); // (0.5 + 1.5) / 2
  expect(p.parts.map((x) => x.attainment)).toEqual([0.5, 1.5]);
  expect(performanceScore({ exposure: 1, clicks: 1, conversions: 1, gmv: 1 }, {}).score).toBeNull();
  const end = '2027-01-01T00:00:00.000Z';
  expect(renewalReminders(end, [7, 90, 30, 60], Date.parse('2026-10-15T00:00:00.000Z')).map((r) => [r.days, r.at.slice(0, 10)])).toEqual([
    [60, '2026-11-02'],
    [30, '2026-12-02'],
    [7, '2026-12-25'],
  ]);
});

test("partners rank by the goal's weights, every factor explained; over budget scores nothing on cost", () => {
  const partners: ScoredPartnerInput[] = [
    {
      id: 'a',
      name: 'Big KOL',
      type: 'kol',
      figures: { followers: 1_000_000, engagementRate: 0.01, audienceMatch: 0.4, pastConversionRate: 0.01, price: 9000 },
    },
    {
      id: 'b',
      name: 'Niche creator',
      type: 'content',
      figures: { followers: 20_000, engagementRate: 0.08, audienceMatch: 0.9, pastConversionRate: 0.04, price: 1000 },
    },
    {
      id: 'c',
      name: 'Pricey channel',
      type: 'channel',
      figures: { followers: 500_000, engagementRate: 0.02, audienceMatch: 0.5, pastConversionRate: 0.02, price: 20_000 },
    },
  ];
  const conversion = scorePartners(partners, { budget: 10_000, goal: 'conversion' });
  // c scores above a (38.75 against 32.13) but is over budget: it ranks last.
  expect(conversion.map((s) => [s.partnerId, s.score])).toEqual([
    ['b', expect.any(Number)],
    ['a', 32.13],
    ['c', 38.75],
  ]);
  const b = conversion[0]!;
  expect(b.factors.find((f) => f.factor === 'conversion')).toMatchObject({ value: 0.04, normalized: 1, weight: 0.35, contribution: 35 });
  expect(b.factors.find((f) => f.factor === 'cost')).toMatchObject({ normalized: 0.9, weight: 0.15, contribution: 13.5 });
  expect(b.score).toBeCloseTo(
    b.factors.reduce((s, f) => s + f.contribution, 0),
    2,
  );
  const c = conversion.find((s) => s.partnerId === 'c')!;
  expect(c).toMatchObject({ withinBudget: false });
  expect(c.factors.find((f) => f.factor === 'cost')!.contribution).toBe(0);
  // Awareness weighs reach most: the big KOL wins; a type filter leaves the others out.
  expect(scorePartners(partners, { budget: 10_000, goal: 'awareness' })[0]!.partnerId).toBe('a');
  expect(scorePartners(partners, { budget: 10_000, goal: 'awareness', types: ['content'] }).map((s) => s.partnerId)).toEqual(['b']);
});
