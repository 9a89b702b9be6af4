// Pure: the customer lifecycle's vocabulary and its tunable policy, shared by the workflow, the activities and the API.

/** 'click': a customer followed a link in a campaign email (its campaignId attributes it; A/B tests can win on it). */
export const EVENT_TYPES = ['signup', 'login', 'key_action', 'purchase', 'referral', 'click'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** AARRR, in funnel order: a customer only moves forward along it. */
export const FUNNEL_STAGES = ['acquired', 'activated', 'retained', 'monetized', 'referrer'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];
/** The funnel plus the churn states, which overlay it until the customer moves forward again. */
export const LIFECYCLE_STAGES = [...FUNNEL_STAGES, 'at_risk', 'churned', 'recalled'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Email sent to customers. Marketing mail obeys the frequency cap and unsubscription; transactional mail is exempt. */
export const MESSAGE_CATEGORIES = ['marketing', 'transactional'] as const;
export type MessageCategory = (typeof MESSAGE_CATEGORIES)[number];
/** Templates a nurture step may name (activities/customer-templates.ts renders them). */
export const NURTURE_TEMPLATES = ['welcome', 'tips', 'nudge', 'summary'] as const;
export type NurtureTemplate = (typeof NURTURE_TEMPLATES)[number];

/** One customer event as it reaches the lifecycle workflow. */
export interface CustomerEvent {
  /** The caller's idempotency key: the workflow ignores a key it has already seen. */
  key: string;
  type: EventType;
  /** ISO instant the event happened (an import may send old events). */
  at: string;
  amount?: number | null;
  campaignId?: string | null;
}

export interface NurtureStep {
  /** Unique within the sequence; part of the email's idempotency key. */
  name: string;
  /** Offset from signup: '0s', '1d', '3d'. */
  after: string;
  template: NurtureTemplate;
  category: MessageCategory;
  /** The step is skipped when the customer has already reached this stage. */
  skipWhenReached?: FunnelStage;
}

export interface LifecyclePolicy {
  /** Increases with every change through the API; a running lifecycle reloads when it sees a newer one. */
  version: number;
  /** A first key_action this soon after signup activates the customer. */
  activationWindow: string;
  /** Activity this long after activation makes the customer retained. */
  retentionPeriod: string;
  /** No activity for this long: at_risk, and a win-back starts. */
  inactivity: string;
  /** How long a win-back waits for activity before the customer is churned. */
  winBackWait: string;
  /** How long the win-back coupon stays valid. */
  couponValidity: string;
  nurture: {
    /** Reaching this stage ends the sequence at once; null: the sequence always runs to its end. */
    goal: FunnelStage | null;
    steps: NurtureStep[];
    /** A step this late (an imported old signup, a long outage) is skipped rather than sent out of season. */
    staleAfter: string;
  };
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = {
  version: 0,
  activationWindow: '7d',
  retentionPeriod: '30d',
  inactivity: '14d',
  winBackWait: '7d',
  couponValidity: '30d',
  nurture: {
    goal: 'monetized',
    staleAfter: '1d',
    steps: [
      { name: 'welcome', after: '0s', template: 'welcome', category: 'transactional' },
      { name: 'tips', after: '1d', template: 'tips', category: 'marketing' },
      { name: 'nudge', after: '3d', template: 'nudge', category: 'marketing', skipWhenReached: 'activated' },
      { name: 'summary', after: '7d', template: 'summary', category: 'marketing' },
    ],
  },
};

export interface StageChange {
  /** 1, 2, 3... per customer, across continue-as-new: the read model's idempotency key. */
  seq: number;
  from: LifecycleStage | null;
  to: LifecycleStage;
  at: string;
  /** What caused it: 'event:signup', 'inactivity', 'win_back_expired'... */
  cause: string;
}

export type MessageStatus = 'sent' | 'deferred' | 'skipped' | 'cancelled' | 'failed';

export interface MessageLog {
  step: string;
  template: string;
  status: MessageStatus;
  at: string;
  /** Why it was deferred, skipped, cancelled or failed. */
  reason?: string;
  /** For a deferral: when it will be tried again. */
  until?: string;
}

/** A send the workflow owes: due now, or deferred (quiet hours) to a later time. */
export interface PendingSend {
  /** Step id, unique per customer for all time ('nurture:tips', 'winback:2'): the email idempotency key suffix. */
  step: string;
  purpose: 'nurture' | 'winback';
  template: NurtureTemplate | 'winBack';
  category: MessageCategory;
  dueAt: string;
  deferrals: number;
}

export interface LifecycleCounters {
  events: number;
  duplicates: number;
  purchases: number;
  gmv: number;
  referrals: number;
  winBacks: number;
  recalls: number;
  churns: number;
  sent: number;
  deferred: number;
  skipped: number;
}

export interface LifecycleState {
  customerId: string;
  stage: LifecycleStage | null;
  stageSince: string | null;
  /** The furthest funnel stage reached, whatever the overlay says. */
  funnel: FunnelStage | null;
  /** When each funnel stage was first reached. */
  milestones: Partial<Record<FunnelStage, string>>;
  signupAt: string | null;
  lastActiveAt: string | null;
  /** The latest stage changes (older ones are in the read model); `changes` counts them all. */
  history: StageChange[];
  changes: number;
  counters: LifecycleCounters;
  nurture: {
    status: 'not_started' | 'running' | 'completed' | 'goal_reached';
    /** Names of the steps already taken (sent, queued or skipped): a policy change that adds, removes or reorders
     * steps neither repeats nor skips one. */
    done: string[];
    anchor: string | null;
    endedAt: string | null;
  };
  winBack: { round: number; startedAt: string; deadline: string; coupon: { code: string; expiresAt: string | null } | null } | null;
  outbox: PendingSend[];
  /** The latest messages; `counters` holds the totals. */
  messages: MessageLog[];
  /** Recently seen event keys (bounded), so a redelivered event is ignored. */
  recentKeys: string[];
  /** Read-model version: the customers row keeps the highest, so a late write never undoes a newer one. */
  version: number;
  policy: LifecyclePolicy;
  /** How many runs this lifecycle has had (continue-as-new generations). */
  runs: number;
  /** When the policy was last loaded (workflow time): a timer wake reloads it now and then. */
  policyCheckedAt: string | null;
}

/** A win-back asked for from outside (a rule's start_winback for the customer's segment), once per key. */
export interface WinBackRequest {
  key: string;
  /** The stage change's cause, e.g. 'rule:<id>'. */
  cause: string;
}

export interface LifecycleInput {
  customerId: string;
  policy?: LifecyclePolicy;
  /** Carried over by continue-as-new. */
  state?: LifecycleState;
  /** Events received but not yet applied when the previous run continued as new. */
  pending?: CustomerEvent[];
  /** Win-backs asked for and not yet applied; carried over by continue-as-new. */
  pendingWinBacks?: WinBackRequest[];
  /** Continue as new after this many events in one run even if the server has not suggested it (tests). */
  maxEventsPerRun?: number;
  /** Continue as new once the run's history has this many events (default 500): keeps an uncached replay short. */
  maxHistoryPerRun?: number;
}

/** The signal payload: a batch of one customer's events, and the policy version the sender knows. */
export interface EventsSignal {
  events: CustomerEvent[];
  policyVersion?: number;
}

/** What `GET /customers/:id/lifecycle` shows. */
export interface LifecycleView {
  customerId: string;
  stage: LifecycleStage | null;
  stageSince: string | null;
  funnel: FunnelStage | null;
  milestones: Partial<Record<FunnelStage, string>>;
  lastActiveAt: string | null;
  history: StageChange[];
  counters: LifecycleCounters;
  nurture: LifecycleState['nurture'] & { steps: number };
  winBack: LifecycleState['winBack'];
  messages: MessageLog[];
  pendingSends: PendingSend[];
  nextStep: { kind: string; at: string } | null;
  policyVersion: number;
  runs: number;
}
