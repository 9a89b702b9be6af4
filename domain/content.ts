// Content review: pure types and rules (routing by tier, tallying a review round). No Temporal imports.
import type { TaskView } from './task-view.ts';
import type { VersionEdit } from './maker-checker.ts';

export const TIERS = ['S', 'A', 'B'] as const;
export type Tier = (typeof TIERS)[number];

export const CONTENT_DECISIONS = ['approve', 'reject', 'request_changes'] as const;
export type ContentDecision = (typeof CONTENT_DECISIONS)[number];

export const CONTENT_STAGES = ['checking', 'in_review', 'changes_requested', 'scheduled', 'published', 'rejected', 'withdrawn'] as const;
export type ContentStage = (typeof CONTENT_STAGES)[number];

export type CheckOutcome = 'pass' | 'flag' | 'block';
export interface CheckFinding {
  rule: 'banned_word' | 'length' | 'link' | 'personal_data';
  severity: 'flag' | 'block';
  message: string;
  /** The text that set it off, as it appears in the title or body, so a reviewer sees it marked (absent for lengths). */
  matches?: string[];
}
export interface CheckResult {
  outcome: CheckOutcome;
  findings: CheckFinding[];
}

export const DEFAULT_REVIEW_SLA: Record<Tier, string> = { S: '4h', A: '24h', B: '72h' };
export const DEFAULT_MAX_ROUNDS = 3;

export interface ContentReviewInput {
  contentId: string;
  authorId: string;
  title: string;
  body: string;
  tier: Tier;
  channels: string[];
  /** ISO instant; absent: publish as soon as approved. */
  publishAt?: string | null;
  /** Overrides the tier's review SLA: '4h', '30m'. */
  reviewSla?: string;
  /** Review rounds allowed; a request for changes in the last round rejects the content. */
  maxRounds?: number;
  escalationRole?: 'ops_manager' | 'admin';
}

export interface HistoryEntry {
  at: string;
  event: string;
  actorId: string | null;
  detail?: Record<string, unknown>;
}

export interface ChannelDelivery {
  channel: string;
  status: 'pending' | 'delivered' | 'failed';
  error?: string;
}

/** The live state; the submission's fields are carried over from the input (title and body change with revisions). */
export interface ContentState extends Required<
  Pick<ContentReviewInput, 'contentId' | 'authorId' | 'title' | 'body' | 'tier' | 'channels'>
> {
  stage: ContentStage;
  revision: number;
  /** Who submitted each revision after the first (the author, or an admin): the maker of a revision never reviews it. */
  edits: VersionEdit[];
  round: number;
  maxRounds: number;
  reviewSla: string;
  requiredApprovals: number;
  checks: CheckResult | null;
  approvals: { reviewerId: string; revision: number; at: string }[];
  openTasks: TaskView[];
  publishAt: string | null;
  publishedAt: string | null;
  deliveries: ChannelDelivery[];
  rejectionReason: string | null;
  history: HistoryEntry[];
  /** The revision before the current one, for the reviewer's diff (null until a revision is submitted). */
  previous?: { revision: number; title: string; body: string } | null;
}

/** S needs two different reviewers, A one; B goes out on clean checks and needs one reviewer when flagged. */
export function requiredApprovals(tier: Tier, outcome: CheckOutcome): number {
  if (tier === 'S') return 2;
  if (tier === 'A') return 1;
  return outcome === 'pass' ? 0 : 1;
}

export function priorityFor(tier: Tier): 'high' | 'normal' | 'low' {
  return tier === 'S' ? 'high' : tier === 'A' ? 'normal' : 'low';
}

export type RoundOutcome = 'pending' | 'approved' | 'rejected' | 'changes_requested';

/** The round ends at the first reject or request for changes, or when enough reviewers approved. */
export function tallyRound(tasks: Pick<TaskView, 'status' | 'decision'>[], required: number): RoundOutcome {
  const decided = tasks.filter((t) => t.status === 'completed');
  if (decided.some((t) => t.decision === 'reject')) return 'rejected';
  if (decided.some((t) => t.decision === 'request_changes')) return 'changes_requested';
  return decided.filter((t) => t.decision === 'approve').length >= required ? 'approved' : 'pending';
}

export const isFinal = (stage: ContentStage): boolean => stage === 'published' || stage === 'rejected' || stage === 'withdrawn';
