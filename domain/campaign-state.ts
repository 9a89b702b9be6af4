// Pure: the campaign as a state machine over plain data, as Lifecycle is for a customer. The workflow
// (workflows/campaign.ts) feeds it requests, decisions, activity answers and the clock, and carries out durably what
// it decides; its update validators answer from here.
import type { Duration } from '@temporalio/common';
import type { TaskView } from './task-view.ts';
import { hasRole, type Actor, type Role } from './actors.ts';
import {
  affordableSends,
  CANCELLABLE,
  DEFAULT_APPROVAL_SLA,
  DEFAULT_PAUSE_DRAIN,
  EDITABLE,
  EMPTY_COUNTS,
  isClosed,
  messagesOf,
  pickWinner,
  requiredApprovals,
  type Approval,
  type CampaignApprovalPolicy,
  type CampaignInput,
  type CampaignReport,
  type CampaignSpec,
  type CampaignStage,
  type CampaignState,
  type GuardFigures,
  type GuardMetric,
  type PauseReason,
  type SendPassResult,
  type VariantResult,
  type WinnerChoice,
} from './campaign.ts';
import { durationToMs } from './durations.ts';
import { makerRefusal, makersOf } from './maker-checker.ts';
import { refuseConflict, refuseForbidden, type Refusal } from './refusal.ts';

const iso = (now: number) => new Date(now).toISOString();
const CANCEL_TO_CHANGE = 'cancel it and create a new one to change more';

/** What the workflow does after a send pass: pass again, pause (budget, guard), wait out quiet hours, or stop. */
export type AfterPass = { step: 'again' | 'done' } | PassStop | { step: 'wait'; until: string };
type PassStop = { step: 'pause'; reason: 'budget' | 'guard'; detail: string };
type EditArgs = { spec: CampaignSpec; actor: Actor; revision?: number };

export class Campaign {
  /** The live state without the approvals, which come from the round's tasks when it is read. */
  readonly state: Omit<CampaignState, 'approvals'>;
  /** How long a pause waits for sends already talking to the mail server. */
  readonly pauseDrainMs: number;
  /** The stage of the newest row written: the send gate senders read. A pass starts only once it says running. */
  gate: { stage: CampaignStage | null; version: number } = { stage: null, version: 0 };
  /** A draft's submission, until the main loop starts its approval round. */
  submittedBy: Actor | null = null;
  /** A whole edit voids the approval round under way. */
  edited = false;
  /** Where the phase's next send pass starts in the ledger. */
  cursor = 0;
  /** Pauses the campaign made itself (budget, guard, a failed pass): each emails its owner once. */
  selfPauses = 0;
  private readonly approvalSla: Duration;
  /** Guards that fired, with their figures then: after a resume they watch only what comes after. */
  private readonly guardBaselines: Partial<Record<GuardMetric, GuardFigures>> = {};

  constructor(input: CampaignInput) {
    this.approvalSla = (input.approvalSla ?? DEFAULT_APPROVAL_SLA) as Duration;
    this.pauseDrainMs = durationToMs((input.pauseDrain ?? DEFAULT_PAUSE_DRAIN) as Duration);
    this.state = {
      campaignId: input.campaignId,
      ownerId: input.ownerId,
      stage: input.draft ? 'draft' : 'pending_approval',
      spec: input.spec,
      revision: 1,
      edits: [],
      requiredRoles: [],
      approvalReason: null,
      rejection: null,
      pause: null,
      launchedAt: null,
      endedAt: null,
      counts: EMPTY_COUNTS,
      ab: null,
      history: [],
    };
  }

  closed(): boolean {
    return isClosed(this.state.stage);
  }

  view(approvals: Approval[]): CampaignState {
    return { ...this.state, approvals };
  }

  /** What every email about the campaign names. */
  mail(): { campaignId: string; name: string } {
    return { campaignId: this.state.campaignId, name: this.state.spec.name };
  }

  /** The first entry of the timeline: created, as a draft or for approval. */
  created(now: number): void {
    this.state.history.push({ at: iso(now), from: null, to: this.state.stage, actorId: this.state.ownerId });
  }

  /** What the record-and-audit step writes: the entity and its read-model row; the newest row written sets the gate. */
  recording(workflowId: string) {
    const s = this.state;
    const row = () => ({
      id: s.campaignId,
      workflowId,
      name: s.spec.name,
      ownerId: s.ownerId,
      stage: s.stage,
      spec: s.spec,
      pauseReason: s.pause?.reason ?? null,
      launchedAt: s.launchedAt,
      endedAt: s.endedAt,
    });
    // Writes may finish out of order: the gate follows the newest version.
    const written = ({ stage, version }: { stage: CampaignStage; version: number }) => {
      if (version > this.gate.version) this.gate = { stage, version };
    };
    return { entity: { type: 'campaign', id: s.campaignId }, row, written };
  }

  /**
   * Moves to a stage and answers the one left; null when it stays. A closed stage is never left (an end or a cancel
   * racing the main loop wins), except ended for reported.
   */
  moveTo(stage: CampaignStage, actorId: string | null, reason: string | undefined, now: number): CampaignStage | null {
    const s = this.state;
    if (this.closed() && !(s.stage === 'ended' && stage === 'reported')) return null;
    const from = s.stage;
    s.stage = stage;
    if (stage === 'ended' || stage === 'cancelled') s.endedAt = iso(now);
    s.history.push({ at: iso(now), from, to: stage, actorId, ...(reason ? { reason } : {}) });
    return from;
  }

  readonly submitRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { stage } = this.state;
    if (stage === 'draft' && !this.submittedBy) return this.ownerRefusal(actor);
    return this.ownerRefusal(actor) ?? refuseConflict(`only a draft can be submitted; the campaign is ${stage}`);
  };

  readonly editRefusal = ({ spec, actor, revision }: EditArgs): Refusal | undefined => {
    const s = this.state;
    const notOwner = this.ownerRefusal(actor);
    if (notOwner) return notOwner;
    if (revision !== undefined && revision !== s.revision) {
      const since = `since revision ${revision} (it is at ${s.revision})`;
      return refuseConflict(`the campaign was changed ${since}; read it again`);
    }
    if (EDITABLE.includes(s.stage)) return undefined;
    if (s.stage !== 'scheduled' || s.launchedAt) {
      return refuseConflict(`a ${s.launchedAt ? 'launched' : s.stage} campaign cannot be changed`);
    }
    if (JSON.stringify({ ...spec, schedule: null }) !== JSON.stringify({ ...s.spec, schedule: null })) {
      return refuseConflict(`an approved campaign can only move its schedule until launch; ${CANCEL_TO_CHANGE}`);
    }
    return undefined;
  };

  /** Before approval the whole campaign changes and the approvals so far are void; after, only its schedule moves. */
  edit(spec: CampaignSpec, actorId: string, now: number): 'whole' | 'schedule' {
    const s = this.state;
    const whole = EDITABLE.includes(s.stage);
    s.spec = spec;
    s.revision += 1;
    s.edits.push({ version: s.revision, operatorId: actorId, at: iso(now) });
    if (!whole) return 'schedule';
    this.edited = true;
    s.rejection = null;
    return 'whole';
  }

  readonly pauseRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const allowed = hasRole(actor, 'ops_manager') || hasRole(actor, 'admin');
    if (!allowed) return refuseForbidden('pausing needs the ops_manager or admin role');
    return this.stageRefusal('running', 'only a running campaign can be paused');
  };

  /** Records why the campaign pauses. */
  pause(reason: PauseReason, detail: string | null, now: number): void {
    this.state.pause = { reason, detail, at: iso(now) };
    if (reason !== 'manual') this.selfPauses += 1;
  }

  readonly resumeRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const s = this.state;
    const refusal = this.ownerRefusal(actor) ?? this.stageRefusal('paused', 'only a paused campaign can be resumed');
    if (refusal) return refusal;
    if (s.pause?.reason === 'budget' && s.counts.sent >= affordableSends(s.spec.budget)) {
      return refuseConflict('the budget is spent: end the campaign for its retrospective, or cancel it');
    }
    return undefined;
  };

  resume(): void {
    this.state.pause = null;
  }

  readonly cancelRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { stage } = this.state;
    if (CANCELLABLE.includes(stage)) return this.ownerRefusal(actor);
    return this.ownerRefusal(actor) ?? refuseConflict(`a ${stage} campaign can no longer be cancelled`);
  };

  readonly endRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { stage } = this.state;
    if (stage === 'running' || stage === 'paused') return this.ownerRefusal(actor);
    const instead = stage === 'scheduled' ? ' (cancel it instead)' : '';
    const refusal = `only a running or paused campaign can be ended; it is ${stage}${instead}`;
    return this.ownerRefusal(actor) ?? refuseConflict(refusal);
  };

  /**
   * The approval round the budget needs under the policy (the roles are shown on the campaign while it runs). It
   * stops when the campaign closes or is edited; neither the creator nor the revision's editor approves, and one
   * person gives one approval.
   */
  approvalRound(policy: CampaignApprovalPolicy) {
    const s = this.state;
    const { roles, reason } = requiredApprovals(policy, s.spec.budget);
    s.requiredRoles = roles;
    s.approvalReason = reason;
    const refusal = 'you already hold or gave the other approval of this campaign; a second approver must decide';
    const amount = `${s.spec.budget.total} ${s.spec.budget.currency}`;
    const task = (role: Role) => ({
      kind: 'campaign_approval',
      title: `Approve the budget of campaign "${s.spec.name}": ${amount} (${role})`,
      entity: { type: 'campaign', id: s.campaignId },
      candidateRole: role,
      priority: role === 'admin' ? ('high' as const) : ('normal' as const),
      decisions: ['approve', 'reject'],
      sla: this.approvalSla,
      escalationRole: 'admin' as const,
      payload: { revision: s.revision, budget: s.spec.budget, reason },
      makers: makersOf(s.ownerId, s.edits, s.revision),
      eligible: (actor: Actor) =>
        actor.id === s.ownerId
          ? 'the creator never approves their own campaign'
          : makerRefusal(s.edits, s.revision, actor, `edited revision ${s.revision} of this campaign`),
    });
    return { roles, stopped: () => this.closed() || this.edited, oneApprovalEach: { holding: true, refusal }, task };
  }

  /** A rejection sends the campaign back to draft; the answer is the reason its timeline gives. */
  rejected(task: Pick<TaskView, 'decidedBy' | 'comment' | 'decidedAt'>): string {
    this.state.rejection = { operatorId: task.decidedBy!, comment: task.comment, at: task.decidedAt! };
    return `rejected: ${task.comment ?? 'no comment'}`;
  }

  /** Launch starts: from now on the schedule is fixed. Answers what the audience is frozen with. */
  launch(now: number) {
    const s = this.state;
    s.launchedAt = iso(now);
    const ab = s.spec.abTest;
    const splits = ab?.variants.map((v) => ({ name: v.name, split: v.split })) ?? [];
    const abTest = ab ? { testShare: ab.testShare, splits } : null;
    return { campaignId: s.campaignId, audience: s.spec.audience, abTest };
  }

  /** The audience is frozen into the send ledger: everyone pending, the test group apart when there is an A/B test. */
  frozen(frozen: { audience: number; test: number }): void {
    this.state.counts = { ...EMPTY_COUNTS, audience: frozen.audience, pending: frozen.audience };
    if (!this.state.spec.abTest) return;
    this.state.ab = { testRecipients: frozen.test, testEndsAt: null, results: [], choice: null };
  }

  /** The send pass for one phase from the cursor, with the pinned templates and the guards' baselines. */
  sendPass(phase: 'test' | 'main', workflowId: string) {
    const { campaignId, spec, templates } = this.state;
    const baseline = (metric: GuardMetric) => this.guardBaselines[metric];
    return {
      campaignId,
      workflowId,
      phase,
      messages: messagesOf(spec),
      ...(templates ? { templates, label: { name: spec.name, endsAt: spec.schedule.endAt } } : {}),
      budget: spec.budget,
      guards: spec.guards.map((g) => ({ ...g, ...(baseline(g.metric) ? { baseline: baseline(g.metric) } : {}) })),
      sendRate: spec.sendRate,
      fromSeq: this.cursor,
    };
  }

  /** Takes a pass's counts and says what comes next; a budget or guard stop pauses only a campaign still running. */
  passed(result: SendPassResult): AfterPass {
    this.state.counts = result.counts;
    this.cursor = result.cursor;
    if (result.outcome === 'budget' || result.outcome === 'guard') {
      if (this.state.stage !== 'running') return { step: 'again' };
      if (result.guard) this.guardBaselines[result.guard.rule.metric] = result.guard.figures;
      return { step: 'pause', reason: result.outcome, detail: result.detail ?? result.outcome };
    }
    if (result.outcome === 'stopped') return { step: 'again' };
    if (!result.nextDeferredAt) return { step: 'done' };
    // Recipients deferred by quiet hours are met again from the start of the ledger.
    this.cursor = 0;
    return { step: 'wait', until: result.nextDeferredAt };
  }

  /** The test group's results are collected for the test duration from now: answers when it ends (ISO). */
  testEnds(now: number): string {
    const ab = this.state.ab!;
    ab.testEndsAt = iso(now + durationToMs(this.state.spec.abTest!.testDuration as Duration));
    return ab.testEndsAt;
  }

  /** What the test group's figures are asked for. */
  variantQuery() {
    const { variants, winningMetric } = this.state.spec.abTest!;
    return { campaignId: this.state.campaignId, variants: variants.map((v) => v.name), metric: winningMetric };
  }

  /** The figures per variant; the winner is chosen only while the campaign is open (null once it closed). */
  testResults(results: VariantResult[]): WinnerChoice | null {
    const ab = this.state.ab!;
    ab.results = results;
    if (this.closed()) return null;
    ab.choice = pickWinner(results);
    return ab.choice;
  }

  /** What the retrospective is built from. */
  reportInput() {
    const { campaignId, ownerId, spec, stage, launchedAt, endedAt, ab, history } = this.state;
    return { campaignId, ownerId, spec, finalStage: stage, launchedAt, endedAt, ab, timeline: history };
  }

  /** The final counts are the report's, from the ledger. */
  reported({ sends, money }: CampaignReport): void {
    const { audience, sent, skipped, failed, notSent } = sends;
    const { spend } = money;
    this.state.counts = { ...this.state.counts, audience, sent, skipped, failed, spend, pending: notSent, deferred: 0 };
  }

  private ownerRefusal(actor: Actor): Refusal | undefined {
    if (actor.id === this.state.ownerId || hasRole(actor, 'admin')) return undefined;
    return refuseForbidden('only the creator or an admin may do this');
  }

  private stageRefusal(stage: CampaignStage, what: string): Refusal | undefined {
    return this.state.stage === stage ? undefined : refuseConflict(`${what}; it is ${this.state.stage}`);
  }
}

/** Who the scheduled stage is credited to (the last approver) and the reason its timeline gives. */
export function approvedBy(approvals: Approval[]): { by: string | null; reason: string } {
  const sorted = [...approvals].sort((a, b) => a.at.localeCompare(b.at));
  const by = sorted.map((a) => `${a.operatorId} (${a.role})`).join(', ');
  return { by: sorted.at(-1)?.operatorId ?? null, reason: `approved by ${by}` };
}
