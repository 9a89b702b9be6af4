// Pure: contract terms, the evaluation calendar, performance against targets and the tiered incentive, shared by the
// contract workflow, its activities and the API.
import type { VersionEdit } from './maker-checker.ts';

export const TIER_MODES = ['whole', 'marginal'] as const;
/** whole: the tier reached pays its rate on the whole volume; marginal: each tier's rate pays only the part in it. */
export type TierMode = (typeof TIER_MODES)[number];
export const CADENCES = ['weekly', 'monthly', 'quarterly'] as const;
export type Cadence = (typeof CADENCES)[number];
export const PERFORMANCE_METRICS = ['exposure', 'clicks', 'conversions', 'gmv'] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];

/** A revenue-share tier: from `from` (inclusive) of the period's GMV up to `to` (exclusive; null: no top), `rate` percent. */
export interface Tier {
  from: number;
  to: number | null;
  rate: number;
}

export interface ContractTerms {
  scope: string;
  deliverables: string[];
  currency: string;
  /** A fixed fee per evaluation period. */
  fee: number;
  revenueShare: { mode: TierMode; tiers: Tier[]; cap: number | null };
  /** Fixed payments on dates. */
  milestones: { name: string; due: string; amount: number }[];
  start: string;
  end: string;
  cadence: Cadence;
  /** Targets per period; the evaluation scores the actuals against them. */
  targets: Partial<Record<PerformanceMetric, number>>;
  /** Days before the end the owner is reminded to decide on renewal. */
  renewalNotice: number[];
}

export const DEFAULT_RENEWAL_NOTICE = [90, 60, 30, 7];

/** What is wrong with tiers, as [index, message]; none when they are in order and do not overlap. */
export function tierProblems(tiers: Tier[]): [number, string][] {
  const out: [number, string][] = [];
  tiers.forEach((t, i) => {
    if (t.to !== null && t.to <= t.from) out.push([i, 'to must be above from']);
    if (i === 0) {
      if (t.from !== 0) out.push([0, 'the first tier must start at 0 (every unit of GMV falls in a tier)']);
      return;
    }
    const prev = tiers[i - 1]!;
    if (prev.to === null) out.push([i, 'a tier after one without a top (to: null)']);
    else if (t.from < prev.to) out.push([i, `overlaps the tier before it (from ${t.from} is below its to ${prev.to})`]);
    else if (t.from > prev.to) out.push([i, `leaves a gap after the tier before it (${prev.to} to ${t.from})`]);
    if (t.from <= prev.from) out.push([i, 'tiers must be in increasing order of from']);
  });
  return out;
}

const cents = (x: number) => Math.round(x * 100) / 100;

/** The revenue share of one period's volume, before the cap and the pro-rata factor. */
export function tieredShare(volume: number, mode: TierMode, tiers: Tier[]): { share: number; tier: number | null } {
  const reached = tiers.findLastIndex((t) => volume >= t.from);
  if (reached < 0 || volume <= 0) return { share: 0, tier: null };
  if (mode === 'whole') return { share: (volume * tiers[reached]!.rate) / 100, tier: reached };
  let share = 0;
  for (const t of tiers.slice(0, reached + 1)) {
    const top = t.to === null ? volume : Math.min(volume, t.to);
    if (top > t.from) share += ((top - t.from) * t.rate) / 100;
  }
  return { share, tier: reached };
}

export interface PeriodPayout {
  fee: number;
  share: number;
  tier: number | null;
  capped: boolean;
  total: number;
}

/**
 * A period's payout: the fee and the tiered share, both pro rata for a part period (`fraction`, 0 to 1), the share
 * held to the cap (itself pro rata).
 */
export function periodPayout(terms: Pick<ContractTerms, 'fee' | 'revenueShare'>, gmv: number, fraction = 1): PeriodPayout {
  const { share: full, tier } = tieredShare(gmv, terms.revenueShare.mode, terms.revenueShare.tiers);
  const cap = terms.revenueShare.cap === null ? null : terms.revenueShare.cap * fraction;
  const share = cap !== null && full > cap ? cap : full;
  const fee = terms.fee * fraction;
  return { fee: cents(fee), share: cents(share), tier, capped: cap !== null && full > cap, total: cents(fee) + cents(share) };
}

/** Adds months in UTC, keeping the day of the month where it exists (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(iso: string, months: number): string {
  const d = new Date(iso);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return target.toISOString();
}

export interface Period {
  index: number;
  from: string;
  to: string;
}

/** `n` cadence steps after an instant. */
const stepOf = (cadence: Cadence) => (iso: string, n: number) =>
  cadence === 'weekly'
    ? new Date(Date.parse(iso) + n * 7 * 86_400_000).toISOString()
    : addMonths(iso, n * (cadence === 'quarterly' ? 3 : 1));

/** The evaluation periods from start to end: whole cadence steps, the last one cut at the end. */
export function periodsOf(start: string, end: string, cadence: Cadence): Period[] {
  const step = stepOf(cadence);
  const out: Period[] = [];
  for (let i = 0; ; i++) {
    const from = step(start, i);
    if (Date.parse(from) >= Date.parse(end)) break;
    const to = step(start, i + 1);
    out.push({ index: i, from, to: Date.parse(to) > Date.parse(end) ? end : to });
    if (out.length > 1000) break;
  }
  return out;
}

/**
 * The length of a period (up to `cutAt`) against the whole period `periodsOf` made it from: 1 for a whole one. The
 * whole one ends a step after the terms' start, not after the period's own start: from a month's end those differ
 * (a start on Oct 31 gives Nov 30 to Dec 31, where a month from Nov 30 ends Dec 30).
 */
export function periodFraction(p: Period, terms: { start: string; cadence: Cadence }, cutAt?: string): number {
  const fullTo = stepOf(terms.cadence)(terms.start, p.index + 1);
  const to = cutAt && Date.parse(cutAt) < Date.parse(p.to) ? cutAt : p.to;
  return Math.max(0, Math.min(1, (Date.parse(to) - Date.parse(p.from)) / (Date.parse(fullTo) - Date.parse(p.from))));
}

/** Performance against the targets: each metric's actual over its target (capped at 1.5), and their mean x 100. */
export function performanceScore(
  actuals: Record<PerformanceMetric, number>,
  targets: Partial<Record<PerformanceMetric, number>>,
  fraction = 1,
) {
  const parts = PERFORMANCE_METRICS.filter((m) => (targets[m] ?? 0) > 0).map((m) => {
    const target = targets[m]! * fraction;
    return { metric: m, actual: actuals[m], target: cents(target), attainment: Math.min(1.5, actuals[m] / target) };
  });
  const score = parts.length ? Math.round((parts.reduce((s, p) => s + p.attainment, 0) / parts.length) * 1000) / 10 : null;
  return { score, parts: parts.map((p) => ({ ...p, attainment: Math.round(p.attainment * 1000) / 1000 })) };
}

/** The renewal reminder instants before the end (those still ahead of `now`), earliest first. */
export function renewalReminders(end: string, daysBefore: number[], now: number): { days: number; at: string }[] {
  return [...new Set(daysBefore)]
    .sort((a, b) => b - a)
    .map((days) => ({ days, at: new Date(Date.parse(end) - days * 86_400_000).toISOString() }))
    .filter((r) => Date.parse(r.at) > now);
}

export const CONTRACT_STAGES = [
  'draft',
  'in_approval',
  'awaiting_signatures',
  'active',
  'renegotiating',
  'ended',
  'expired',
  'terminated',
] as const;
export type ContractStage = (typeof CONTRACT_STAGES)[number];
export const isFinal = (s: ContractStage) => s === 'ended' || s === 'expired' || s === 'terminated';
export const RENEWAL_DECISIONS = ['renew', 'renegotiate', 'expire'] as const;
export type RenewalDecision = (typeof RENEWAL_DECISIONS)[number];

/** Settings (PUT /policies/contracts): approvals, signing and its reminders. */
export interface ContractPolicy {
  /** Per currency: a contract worth more needs an admin approval besides legal's; a currency not named always does. */
  secondApprovalAbove: Record<string, number>;
  /** Legal and admin decide at once, or legal first. */
  approvalOrder: 'parallel' | 'sequential';
  /** How long a signing link works. */
  linkValidity: string;
  /** A new link (and reminder) to the partner this often while unsigned. */
  signatureReminderEvery: string;
  /** Unsigned this long after the internal signature, the contract expires. */
  signatureExpiry: string;
  version: number;
}

export const DEFAULT_CONTRACT_POLICY: ContractPolicy = {
  secondApprovalAbove: { USD: 50_000, EUR: 50_000, CNY: 350_000 },
  approvalOrder: 'parallel',
  linkValidity: '7d',
  signatureReminderEvery: '3d',
  signatureExpiry: '14d',
  version: 0,
};

/** What a term commits: the fee of every period and the milestones. */
export function contractValue(terms: Pick<ContractTerms, 'fee' | 'milestones' | 'start' | 'end' | 'cadence'>): number {
  const periods = periodsOf(terms.start, terms.end, terms.cadence);
  const fees = periods.reduce((s, p) => s + terms.fee * periodFraction(p, terms), 0);
  return cents(fees + terms.milestones.reduce((s, m) => s + m.amount, 0));
}

/** The approvals a contract needs under the policy, with why. */
export function requiredContractApprovals(
  policy: ContractPolicy,
  value: number,
  currency: string,
): { roles: ('legal' | 'admin')[]; reason: string } {
  const threshold = policy.secondApprovalAbove[currency];
  if (threshold === undefined) return { roles: ['legal', 'admin'], reason: `no threshold for ${currency}: legal and admin approve` };
  if (value > threshold)
    return { roles: ['legal', 'admin'], reason: `value ${value} ${currency} is above ${threshold}: an admin approves too` };
  return { roles: ['legal'], reason: `value ${value} ${currency} is within ${threshold}: legal approves` };
}

/** The next term after a renewal: it starts where the last ended and lasts as long. */
export function nextTerm<T extends Pick<ContractTerms, 'start' | 'end' | 'milestones'>>(terms: T): T {
  const length = Date.parse(terms.end) - Date.parse(terms.start);
  const shift = (iso: string) => new Date(Date.parse(iso) + length).toISOString();
  return { ...terms, start: terms.end, end: shift(terms.end), milestones: terms.milestones.map((m) => ({ ...m, due: shift(m.due) })) };
}

export interface PayoutRecord {
  term: number;
  periodIndex: number;
  periodFrom: string;
  periodTo: string;
  fraction: number;
  fee: number;
  share: number;
  milestones: number;
  total: number;
  tier: number | null;
  capped: boolean;
  score: number | null;
  actuals: Record<PerformanceMetric, number>;
}

/** What the partner's signature records besides its time: the name they typed, their IP address and user agent. */
export interface PartnerSignEvidence {
  name: string;
  ip: string | null;
  userAgent: string | null;
}

export interface ContractState {
  contractId: string;
  partnerId: string;
  partnerName: string;
  ownerId: string;
  signerId: string;
  stage: ContractStage;
  term: number;
  termsVersion: number;
  terms: ContractTerms;
  /** Who amended each terms version: the maker of the version under approval never approves it. */
  edits: VersionEdit[];
  value: number;
  requiredRoles: string[];
  approvalReason: string | null;
  approvals: { role: string; operatorId: string; at: string; comment: string | null }[];
  rejection: { operatorId: string; comment: string | null; at: string } | null;
  signatures: {
    internal: { operatorId: string; at: string } | null;
    partner: ({ at: string } & Partial<PartnerSignEvidence>) | null;
    /** The link the partner was sent last (only it works). */
    link: { round: number; sentAt: string; expiresAt: string } | null;
    expiresAt: string | null;
  };
  activatedAt: string | null;
  trackingCode: string | null;
  evaluations: PayoutRecord[];
  renewal: { taskId: string | null; decision: RenewalDecision | null; remindersSent: number[] };
  termination: { reason: string; at: string; by: string } | null;
  nextDates: { evaluationAt: string | null; renewalReminderAt: string | null; endAt: string };
  history: { at: string; from: ContractStage | null; to: ContractStage; actorId: string | null; reason?: string }[];
}

/** Compares two token hashes (hex) in time that does not depend on where they differ. */
export function sameHash(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
