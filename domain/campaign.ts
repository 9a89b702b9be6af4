// Pure: the campaign's vocabulary, its stage machine and the figures it decides on (A/B winner, budget, goals),
// shared by the workflow, the activities and the API.
import type { Role } from './actors.ts';
import type { LifecycleStage } from './lifecycle.types.ts';
import type { VersionEdit } from './maker-checker.ts';
import type { Segment } from './rfm.ts';

export const CAMPAIGN_STAGES = ['draft', 'pending_approval', 'scheduled', 'running', 'paused', 'ended', 'reported', 'cancelled'] as const;
export type CampaignStage = (typeof CAMPAIGN_STAGES)[number];

/** Stages from which a campaign may still be cancelled ("any stage before ended"). */
export const CANCELLABLE: readonly CampaignStage[] = ['draft', 'pending_approval', 'scheduled', 'running', 'paused'];
/** Stages in which the whole campaign may be edited (approvals given so far are cleared). */
export const EDITABLE: readonly CampaignStage[] = ['draft', 'pending_approval'];
/** Stages in which only the schedule may move: approved but not launched. */
export const RESCHEDULABLE: readonly CampaignStage[] = ['draft', 'pending_approval', 'scheduled'];
export const isClosed = (s: CampaignStage) => s === 'ended' || s === 'reported' || s === 'cancelled';

export const GOAL_METRICS = ['new_users', 'gmv', 'uv', 'conversion_rate'] as const;
export type GoalMetric = (typeof GOAL_METRICS)[number];
export const WINNING_METRICS = ['conversions', 'clicks'] as const;
export type WinningMetric = (typeof WINNING_METRICS)[number];
export const GUARD_METRICS = ['unsubscribe_rate', 'failure_rate'] as const;
export type GuardMetric = (typeof GUARD_METRICS)[number];
/** error: a send pass failed for good (the owner is emailed; resume tries again). */
export const PAUSE_REASONS = ['manual', 'budget', 'guard', 'error'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

/** Customer fields a subject or body may name as {{field}} or {{field|fallback}}. */
export const TEMPLATE_FIELDS = ['name', 'firstName', 'email', 'externalId', 'stage', 'segment'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export interface Goal {
  metric: GoalMetric;
  /** A count, an amount in the budget's currency, or a rate from 0 to 1 (conversion_rate). */
  target: number;
  /** ISO instant: only events up to it count towards the goal. */
  deadline: string;
}

export interface Budget {
  total: number;
  /** ISO 4217 code. */
  currency: string;
  costPerSend: number;
}

export interface AudienceFilters {
  stages?: LifecycleStage[];
  /** Every tag must be present. */
  tags?: string[];
  rfmSegments?: Segment[];
  lastActiveBefore?: string;
  lastActiveAfter?: string;
}

export interface Audience {
  /** An RFM segment name. */
  segment?: Segment;
  filters?: AudienceFilters;
}

export interface MessageTemplate {
  subject: string;
  body: string;
}

export interface Variant extends MessageTemplate {
  name: string;
  /** Share of the test group, in percent; the variants' splits add up to 100. */
  split: number;
}

export interface AbTest {
  variants: Variant[];
  /** Fraction of the audience (0..1) that receives the variants; the rest receives the winner. */
  testShare: number;
  /** How long the test group's results are collected before the winner is chosen ('24h'). */
  testDuration: string;
  winningMetric: WinningMetric;
}

export interface GuardRule {
  metric: GuardMetric;
  /** Pause when the rate rises above this (0..1)... */
  above: number;
  /** ...once at least this many emails were sent. */
  minSends: number;
}

export const DEFAULT_GUARDS: GuardRule[] = [{ metric: 'unsubscribe_rate', above: 0.02, minSends: 200 }];

/** A guard's figures: hits (unsubscribes or failures) out of base (sends, or sends and failures), after `sent` sends. */
export interface GuardFigures {
  hits: number;
  base: number;
  sent: number;
}

/** A guard as a send pass checks it: once it has fired, only what came after counts (its baseline). */
export interface ArmedGuard extends GuardRule {
  baseline?: GuardFigures;
}

/** What the creator sets and may edit before approval. */
export interface CampaignSpec {
  name: string;
  goals: Goal[];
  budget: Budget;
  audience: Audience;
  /** The message when there is no A/B test. */
  message: MessageTemplate | null;
  abTest: AbTest | null;
  schedule: { startAt: string; endAt: string };
  /** Messages per second. */
  sendRate: number;
  guards: GuardRule[];
}

export interface CampaignInput {
  campaignId: string;
  ownerId: string;
  spec: CampaignSpec;
  /** Created as a draft: approval starts when the owner submits it. */
  draft?: boolean;
  /** How long an approval task waits before it escalates ('24h'). */
  approvalSla?: string;
  /** How long a pause waits for sends already talking to the mail server to finish ('5s'). */
  pauseDrain?: string;
}

export const DEFAULT_APPROVAL_SLA = '24h';
/** Shorter than the API's deadline for Temporal calls, so a pause is answered, not timed out. */
export const DEFAULT_PAUSE_DRAIN = '5s';

/** Above `secondApprovalAbove[currency]` an admin approves too; a currency the policy does not name always needs both. */
export interface CampaignApprovalPolicy {
  version: number;
  secondApprovalAbove: Record<string, number>;
}

export const DEFAULT_CAMPAIGN_APPROVAL_POLICY: CampaignApprovalPolicy = {
  version: 0,
  secondApprovalAbove: { USD: 10_000, EUR: 10_000, GBP: 8_000, CNY: 70_000, JPY: 1_500_000 },
};

/** The approvals a budget needs, with the reason shown on the tasks. Never none: no campaign approves itself. */
export function requiredApprovals(policy: CampaignApprovalPolicy, budget: Budget): { roles: Role[]; reason: string } {
  const threshold = policy.secondApprovalAbove[budget.currency];
  if (threshold === undefined) {
    return { roles: ['ops_manager', 'admin'], reason: `no approval policy covers ${budget.currency}: ops_manager and admin approve` };
  }
  if (budget.total > threshold) {
    return {
      roles: ['ops_manager', 'admin'],
      reason: `budget ${budget.total} ${budget.currency} is above ${threshold}: an admin approves too`,
    };
  }
  return { roles: ['ops_manager'], reason: `budget ${budget.total} ${budget.currency} is within ${threshold}` };
}

/** Money in hundredths (minor units) so sums do not drift. */
export const cents = (amount: number) => Math.round(amount * 100);

/** Sends the budget pays for. */
export const affordableSends = (budget: Budget): number =>
  budget.costPerSend <= 0 ? Number.POSITIVE_INFINITY : Math.floor(cents(budget.total) / cents(budget.costPerSend) + 1e-9);

export interface VariantResult {
  name: string;
  sent: number;
  conversions: number;
  clicks: number;
  /** The winning metric per email sent (0 when nothing was sent). */
  rate: number;
}

export interface WinnerChoice {
  winner: string;
  runnerUp: string | null;
  /** Winner's rate minus the runner-up's, in absolute terms (0.05 = 5 percentage points). */
  margin: number;
  /** Winner's rate over the runner-up's, minus one; null when the runner-up's rate is 0. */
  lift: number | null;
}

export function variantRates(results: Omit<VariantResult, 'rate'>[], metric: WinningMetric): VariantResult[] {
  return results.map((r) => ({ ...r, rate: r.sent === 0 ? 0 : (metric === 'conversions' ? r.conversions : r.clicks) / r.sent }));
}

/** The best rate wins; on a tie the variant listed first (the control) keeps its place. */
export function pickWinner(results: VariantResult[]): WinnerChoice {
  const ranked = results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.rate - a.r.rate || a.i - b.i)
    .map((x) => x.r);
  const [first, second] = ranked;
  return {
    winner: first!.name,
    runnerUp: second?.name ?? null,
    margin: second ? first!.rate - second.rate : first!.rate,
    lift: second && second.rate > 0 ? first!.rate / second.rate - 1 : null,
  };
}

/** The placeholders of a template and whether each names a known field. */
export function templateFields(template: string): { field: string; known: boolean }[] {
  return [...template.matchAll(/\{\{\s*([^}|]*?)\s*(?:\|[^}]*)?\}\}/g)].map((m) => ({
    field: m[1]!,
    known: (TEMPLATE_FIELDS as readonly string[]).includes(m[1]!),
  }));
}

/** Fills {{field}} and {{field|fallback}} from the customer's fields; an empty field takes the fallback. */
export function fillTemplate(template: string, fields: Partial<Record<TemplateField, string | null>>): string {
  return template.replace(/\{\{\s*([^}|]*?)\s*(?:\|([^}]*))?\}\}/g, (_m, field: string, fallback?: string) => {
    const value = fields[field as TemplateField];
    return value ? value : (fallback ?? '').trim();
  });
}

/** The messages by variant name: one 'default' without an A/B test. */
export function messagesOf(spec: CampaignSpec): Record<string, MessageTemplate> {
  if (spec.abTest) return Object.fromEntries(spec.abTest.variants.map((v) => [v.name, { subject: v.subject, body: v.body }]));
  return { default: spec.message! };
}

export interface StageChange {
  at: string;
  from: CampaignStage | null;
  to: CampaignStage;
  actorId: string | null;
  reason?: string;
}

export interface Approval {
  role: Role;
  operatorId: string;
  at: string;
  comment: string | null;
}

/** One send pass of the campaign sender (activities/campaign-sender.ts): what it sends, and from where. */
export interface SendPass {
  campaignId: string;
  workflowId: string;
  phase: 'test' | 'main';
  /** Subject and body by variant name. */
  messages: Record<string, MessageTemplate>;
  /** The message template's versions by locale, pinned at approval; absent: the campaign's text as written (older runs). */
  templates?: Record<string, string>;
  /** The campaign's name and end, for the template's campaign fields. */
  label?: { name: string; endsAt: string };
  budget: Budget;
  guards: ArmedGuard[];
  /** Messages per second. */
  sendRate: number;
  /** Resume after this position of the ledger (the cursor a stopped pass returned). */
  fromSeq: number;
}

/** How a send pass ended, and the ledger's figures then. */
export interface SendPassResult {
  outcome: 'done' | 'stopped' | 'budget' | 'guard';
  /** Why it stopped, for budget and guard. */
  detail: string | null;
  /** The guard that fired, with its figures then (the baseline it watches from if the campaign is resumed). */
  guard: { rule: GuardRule; figures: GuardFigures } | null;
  cursor: number;
  counts: SendCounts;
  /** The earliest time a recipient deferred by quiet hours may be mailed, or null. */
  nextDeferredAt: string | null;
}

export interface SendCounts {
  audience: number;
  sent: number;
  pending: number;
  deferred: number;
  /** By reason: unsubscribed, no_consent, frequency_cap, quiet_hours (still deferred when the campaign ended), rejected. */
  skipped: Record<string, number>;
  failed: number;
  /** Recipients deferred at least once by quiet hours. */
  everDeferred: number;
  spend: number;
}

export const EMPTY_COUNTS: SendCounts = {
  audience: 0,
  sent: 0,
  pending: 0,
  deferred: 0,
  skipped: {},
  failed: 0,
  everDeferred: 0,
  spend: 0,
};

export interface AbState {
  testRecipients: number;
  testEndsAt: string | null;
  results: VariantResult[];
  choice: WinnerChoice | null;
}

/** Live state: what the query and every update answer. */
export interface CampaignState {
  campaignId: string;
  ownerId: string;
  stage: CampaignStage;
  spec: CampaignSpec;
  /** Increases with every edit. */
  revision: number;
  /** Who made each revision after the first (the creator's): the maker of the revision under approval never approves it. */
  edits: VersionEdit[];
  requiredRoles: Role[];
  approvalReason: string | null;
  approvals: Approval[];
  rejection: { operatorId: string; comment: string | null; at: string } | null;
  pause: { reason: PauseReason; detail: string | null; at: string } | null;
  launchedAt: string | null;
  endedAt: string | null;
  counts: SendCounts;
  ab: AbState | null;
  history: StageChange[];
  /** The message template's versions by locale, pinned at approval (absent: approved before templates were data). */
  templates?: Record<string, string>;
}

export interface GoalResult extends Goal {
  actual: number;
  achieved: boolean;
  /** actual / target (1 = met exactly). */
  progress: number;
}

/** The retrospective: goals against actuals, sends, attribution, money, the A/B test and the timeline. */
export interface CampaignReport {
  campaignId: string;
  name: string;
  ownerId: string;
  finalStage: CampaignStage;
  launchedAt: string | null;
  endedAt: string | null;
  generatedAt: string;
  goals: GoalResult[];
  sends: {
    audience: number;
    sent: number;
    /** capped (frequency cap), quiet (still deferred by quiet hours when it ended), unsubscribed, no_consent... */
    skipped: Record<string, number>;
    /** Recipients deferred by quiet hours at least once (most were sent later). */
    deferredForQuietHours: number;
    failed: number;
    /** Not attempted: the campaign ended (or was cancelled, or ran out of budget) first. */
    notSent: number;
  };
  attribution: Attribution & {
    /** conversions / sent (null when nothing was sent). */
    conversionRate: number | null;
  };
  money: { currency: string; budget: number; spend: number; costPerSend: number; gmv: number; roi: number | null };
  abTest: {
    winningMetric: WinningMetric;
    variants: VariantResult[];
    winner: string | null;
    runnerUp: string | null;
    margin: number | null;
    lift: number | null;
  } | null;
  timeline: StageChange[];
}

/** What customer events carrying the campaign id add up to. */
export interface Attribution {
  /** Customers with a purchase. */
  conversions: number;
  purchases: number;
  gmv: number;
  /** Customers with any event. */
  uv: number;
  /** Customers whose signup carries the campaign id. */
  newUsers: number;
  /** Customers with a click. */
  clicks: number;
}

/** A goal's actual from the figures up to its deadline; conversion_rate is conversions per email sent. */
export function goalActual(metric: GoalMetric, a: Attribution, sent: number): number {
  switch (metric) {
    case 'new_users':
      return a.newUsers;
    case 'gmv':
      return a.gmv;
    case 'uv':
      return a.uv;
    case 'conversion_rate':
      return sent === 0 ? 0 : a.conversions / sent;
  }
}

export const roi = (gmv: number, spend: number): number | null => (spend > 0 ? (gmv - spend) / spend : null);
