// Campaign lifecycle: budget approval, scheduled launch, paced exactly-once sends to a frozen audience, pause and
// resume, the budget cap and guard rules, an A/B test, and the retrospective.
import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createCampaignActivities } from '../activities/campaign.ts';
import type { SendPassResult } from '../activities/campaign-sender.ts';
import {
  cancelCampaign,
  editCampaign,
  endCampaign,
  getCampaign,
  pauseCampaign,
  resumeCampaign,
  submitCampaign,
  type CampaignActionArgs,
} from './campaign.messages.ts';
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
  type CampaignInput,
  type CampaignStage,
  type CampaignState,
  type GuardFigures,
  type GuardMetric,
  type PauseReason,
  type SendCounts,
} from '../domain/campaign.ts';
import { hasRole, type Actor } from '../domain/actors.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { conflict, forbidden } from './lib/failures.ts';
import { notify } from './lib/notify.ts';
import { ApprovalRound } from './lib/approval-round.ts';
import { MovableTimer } from './lib/timer.ts';
import { approvalsOf, makerRefusal, makersOf, TaskInbox, type TaskView } from './lib/tasks.ts';
import { durationToMs, msUntil } from '../domain/durations.ts';

type Activities = ReturnType<typeof createCampaignActivities>;
const { saveCampaign, loadCampaignApprovalPolicy, variantResults, assignWinner, closeLedger, pinCampaignTemplates } =
  proxyActivities<Activities>(profiles.db);
const { freezeAudience, buildCampaignReport } = proxyActivities<Activities>(profiles.batch);
/** A send pass runs for as long as its audience takes; the heartbeat says within seconds when its worker died. */
// A cancelled pass is waited for until it has stopped, so nothing is sent behind the workflow's back.
const { sendCampaignPass } = proxyActivities<Activities>({
  startToCloseTimeout: '7d',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export interface CampaignResult {
  stage: CampaignStage;
  counts: SendCounts;
}

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  const entity = { type: 'campaign', id: input.campaignId };
  const owner = [{ operatorId: input.ownerId }];
  const inbox = new TaskInbox();
  const state: Omit<CampaignState, 'approvals'> = {
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
  const pauseDrainMs = durationToMs((input.pauseDrain ?? DEFAULT_PAUSE_DRAIN) as Duration);
  let version = 0;
  let roundTasks: TaskView[] = [];
  let submittedBy: Actor | null = null;
  let edited = false;
  const launchTimer = new MovableTimer(() => state.spec.schedule.startAt);
  let sending = false;
  let sendScope: CancellationScope | null = null;
  let pauses = 0;
  /** Guards that fired, with their figures then: after a resume they watch only what comes after. */
  const guardBaselines: Partial<Record<GuardMetric, GuardFigures>> = {};

  const now = () => new Date(Date.now()).toISOString();
  const closed = () => isClosed(state.stage);
  /** The stage of the newest row written: the send gate senders read. A pass starts only once it says running. */
  let gate: { stage: CampaignStage | null; version: number } = { stage: null, version: 0 };
  const save = async () => {
    version += 1;
    const written = { stage: state.stage, version };
    await saveCampaign({
      id: state.campaignId, workflowId: workflowInfo().workflowId, name: state.spec.name, ownerId: state.ownerId,
      stage: state.stage, spec: state.spec, pauseReason: state.pause?.reason ?? null, launchedAt: state.launchedAt,
      endedAt: state.endedAt, version,
    });
    if (written.version > gate.version) gate = written;
  };
  /** A closed stage is never left (an end or a cancel racing the main loop wins), except ended for reported. */
  const moveTo = async (stage: CampaignStage, actor: Pick<Actor, 'id'> | null, reason?: string) => {
    if (closed() && !(state.stage === 'ended' && stage === 'reported')) return;
    const from = state.stage;
    state.stage = stage;
    if (stage === 'ended' || stage === 'cancelled') state.endedAt = now();
    state.history.push({ at: now(), from, to: stage, actorId: actor?.id ?? null, ...(reason ? { reason } : {}) });
    await save();
    await audit(`campaign.${stage}`, entity, { from, ...(reason ? { reason } : {}) }, actor ?? undefined);
  };
  const view = (): CampaignState => ({
    ...state,
    approvals: approvalsOf(roundTasks),
  });
  const requireOwner = (actor: Actor) => {
    if (actor.id !== state.ownerId && !hasRole(actor, 'admin')) throw forbidden('only the creator or an admin may do this');
  };
  /** Waits for sends already talking to the mail server; the send gate keeps any new one from starting. */
  const drain = async () => {
    if (!(await condition(() => !sending, pauseDrainMs))) sendScope?.cancel();
  };
  const pause = async (reason: PauseReason, detail: string | null, actor: Actor | null) => {
    state.pause = { reason, detail, at: now() };
    await moveTo('paused', actor, detail ?? reason);
  };
  /** The campaign stops itself (budget, guard, a failed pass) and tells its owner. */
  const pauseItself = async (reason: Exclude<PauseReason, 'manual'>, detail: string) => {
    pauses += 1;
    await pause(reason, detail, null);
    await notify(`paused:${pauses}`, owner, 'campaignPaused', { campaignId: state.campaignId, name: state.spec.name, reason, detail });
  };

  setHandler(getCampaign, view);

  setHandler(submitCampaign, async ({ actor }) => {
    submittedBy = actor;
    await condition(() => state.stage !== 'draft');
    return view();
  }, {
    validator: ({ actor }) => {
      requireOwner(actor);
      if (state.stage !== 'draft' || submittedBy) throw conflict(`only a draft can be submitted; the campaign is ${state.stage}`);
    },
  });

  setHandler(editCampaign, async ({ spec, actor }) => {
    const whole = EDITABLE.includes(state.stage);
    state.spec = spec;
    state.revision += 1;
    state.edits.push({ version: state.revision, operatorId: actor.id, at: now() });
    if (whole) {
      edited = true;
      // The answer shows the approvals cleared at once (the main loop cancels the round's tasks after this).
      roundTasks = [];
      state.rejection = null;
    } else {
      launchTimer.moved();
    }
    await save();
    await audit(whole ? 'campaign.edited' : 'campaign.rescheduled', entity, { revision: state.revision, schedule: spec.schedule }, actor);
    return view();
  }, {
    validator: ({ spec, actor, revision }) => {
      requireOwner(actor);
      if (revision !== undefined && revision !== state.revision) {
        throw conflict(`the campaign was changed since revision ${revision} (it is at ${state.revision}); read it again`);
      }
      if (EDITABLE.includes(state.stage)) return;
      if (state.stage !== 'scheduled' || state.launchedAt) {
        throw conflict(`a ${state.launchedAt ? 'launched' : state.stage} campaign cannot be changed`);
      }
      if (JSON.stringify({ ...spec, schedule: null }) !== JSON.stringify({ ...state.spec, schedule: null })) {
        throw conflict('an approved campaign can only move its schedule until launch; cancel it and create a new one to change more');
      }
    },
  });

  setHandler(pauseCampaign, async ({ actor, reason }) => {
    await pause('manual', reason ?? null, actor);
    await drain();
    return view();
  }, {
    validator: ({ actor }: CampaignActionArgs) => {
      if (!hasRole(actor, 'ops_manager') && !hasRole(actor, 'admin')) throw forbidden('pausing needs the ops_manager or admin role');
      if (state.stage !== 'running') throw conflict(`only a running campaign can be paused; it is ${state.stage}`);
    },
  });

  setHandler(resumeCampaign, async ({ actor }) => {
    state.pause = null;
    await moveTo('running', actor);
    return view();
  }, {
    validator: ({ actor }: CampaignActionArgs) => {
      requireOwner(actor);
      if (state.stage !== 'paused') throw conflict(`only a paused campaign can be resumed; it is ${state.stage}`);
      if (state.pause?.reason === 'budget' && state.counts.sent >= affordableSends(state.spec.budget)) {
        throw conflict('the budget is spent: end the campaign for its retrospective, or cancel it');
      }
    },
  });

  setHandler(cancelCampaign, async ({ actor, reason }) => {
    await moveTo('cancelled', actor, reason);
    await inbox.cancelOpen('campaign cancelled');
    await drain();
    return view();
  }, {
    validator: ({ actor }: CampaignActionArgs) => {
      requireOwner(actor);
      if (!CANCELLABLE.includes(state.stage)) throw conflict(`a ${state.stage} campaign can no longer be cancelled`);
    },
  });

  setHandler(endCampaign, async ({ actor, reason }) => {
    await moveTo('ended', actor, reason ?? 'ended by hand');
    await drain();
    return view();
  }, {
    validator: ({ actor }: CampaignActionArgs) => {
      requireOwner(actor);
      if (state.stage !== 'running' && state.stage !== 'paused') {
        throw conflict(`only a running or paused campaign can be ended; it is ${state.stage}${state.stage === 'scheduled' ? ' (cancel it instead)' : ''}`);
      }
    },
  });

  const finish = async (): Promise<CampaignResult> => {
    await inbox.cancelOpen(`campaign ${state.stage}`);
    if (state.launchedAt) {
      await closeLedger({ campaignId: state.campaignId });
      const report = await buildCampaignReport({
        campaignId: state.campaignId, ownerId: state.ownerId, spec: state.spec, finalStage: state.stage,
        launchedAt: state.launchedAt, endedAt: state.endedAt, ab: state.ab, timeline: state.history,
      });
      state.counts = {
        ...state.counts, audience: report.sends.audience, sent: report.sends.sent, skipped: report.sends.skipped,
        failed: report.sends.failed, spend: report.money.spend, pending: report.sends.notSent, deferred: 0,
      };
      await notify('report', owner, 'campaignReport', { report });
      if (state.stage === 'ended') await moveTo('reported', null);
    }
    await inbox.settled();
    await condition(allHandlersFinished);
    return { stage: state.stage, counts: state.counts };
  };

  state.history.push({ at: now(), from: null, to: state.stage, actorId: input.ownerId });
  await save();
  await audit('campaign.created', entity, { stage: state.stage, budget: state.spec.budget }, { id: input.ownerId });

  // Approval rounds: a draft waits to be submitted; an edit clears the round; a rejection sends it back to draft.
  for (;;) {
    if (state.stage === 'draft') {
      await condition(() => submittedBy !== null || closed());
      if (closed()) return finish();
      await moveTo('pending_approval', submittedBy);
      submittedBy = null;
    }
    edited = false;
    const policy = await loadCampaignApprovalPolicy();
    const need = requiredApprovals(policy, state.spec.budget);
    state.requiredRoles = need.roles;
    state.approvalReason = need.reason;
    const round = new ApprovalRound(inbox, {
      roles: need.roles,
      stopped: () => closed() || edited,
      task: (role, tasks) => ({
        kind: 'campaign_approval',
        title: `Approve the budget of campaign "${state.spec.name}": ${state.spec.budget.total} ${state.spec.budget.currency} (${role})`,
        entity,
        candidateRole: role,
        priority: role === 'admin' ? 'high' : 'normal',
        decisions: ['approve', 'reject'],
        sla: (input.approvalSla ?? DEFAULT_APPROVAL_SLA) as Duration,
        escalationRole: 'admin',
        payload: { revision: state.revision, budget: state.spec.budget, reason: need.reason },
        makers: makersOf(state.ownerId, state.edits, state.revision),
        eligible: (actor, task) => {
          if (actor.id === state.ownerId) return 'the creator never approves their own campaign';
          const maker = makerRefusal(state.edits, state.revision, actor, `edited revision ${state.revision} of this campaign`);
          if (maker) return maker;
          if (tasks.some((t) => t.id !== task.id && (t.decidedBy === actor.id || t.assigneeId === actor.id))) {
            return 'you already hold or gave the other approval of this campaign; a second approver must decide';
          }
          return undefined;
        },
      }),
    });
    roundTasks = round.tasks;
    await round.run();
    if (closed()) return finish();
    if (edited) {
      await round.close('the campaign was edited: approvals cleared');
      roundTasks = [];
      continue;
    }
    const rejection = round.rejection();
    await round.close(rejection ? 'rejected by another approver' : 'approved');
    if (rejection) {
      state.rejection = { operatorId: rejection.decidedBy!, comment: rejection.comment, at: rejection.decidedAt! };
      roundTasks = [];
      await moveTo('draft', { id: rejection.decidedBy! }, `rejected: ${rejection.comment ?? 'no comment'}`);
      await notify(`rejected:r${state.revision}`, owner, 'campaignRejected', {
        campaignId: state.campaignId, name: state.spec.name, comment: rejection.comment ?? '',
      });
      continue;
    }
    break;
  }

  // Scheduled launch: a durable timer the creator may move until it fires. The last approval scheduled it.
  const approvals = [...view().approvals].sort((a, b) => a.at.localeCompare(b.at));
  const lastApproval = approvals.at(-1);
  // The message as approved: later template versions do not reach a running campaign.
  if (patched('campaign-template-pin')) state.templates = await pinCampaignTemplates();
  await moveTo('scheduled', lastApproval ? { id: lastApproval.operatorId } : null,
    `approved by ${approvals.map((a) => `${a.operatorId} (${a.role})`).join(', ')}`);
  if (!(await launchTimer.wait(closed))) return finish();
  if (msUntil(state.spec.schedule.endAt, Date.now()) === 0) {
    await moveTo('ended', null, 'the end time passed before launch');
    return finish();
  }

  // Launch: the audience is frozen into the send ledger, then sent in passes.
  state.launchedAt = now();
  const ab = state.spec.abTest;
  const frozen = await freezeAudience({
    campaignId: state.campaignId, audience: state.spec.audience,
    abTest: ab ? { testShare: ab.testShare, splits: ab.variants.map((v) => ({ name: v.name, split: v.split })) } : null,
  });
  state.counts = { ...EMPTY_COUNTS, audience: frozen.audience, pending: frozen.audience };
  if (ab) state.ab = { testRecipients: frozen.test, testEndsAt: null, results: [], choice: null };
  await moveTo('running', null, `audience of ${frozen.audience} frozen`);

  // The end time: a durable timer that ends the campaign whatever it is doing (a send pass stops at the send gate).
  const endWatch = (async () => {
    if (!(await condition(closed, msUntil(state.spec.schedule.endAt, Date.now())))) {
      await moveTo('ended', null, 'the end time was reached');
      await drain();
    }
  })();

  /** Sends one phase to the end: through pauses, budget and guard stops, and quiet-hours deferrals. */
  const runPhase = async (phase: 'test' | 'main'): Promise<void> => {
    let cursor = 0;
    for (;;) {
      if (closed()) return;
      if (state.stage === 'paused') {
        await condition(() => state.stage !== 'paused');
        continue;
      }
      // A resume has changed the stage; the pass waits until the row it reads says so too.
      await condition(() => closed() || gate.stage === 'running');
      if (closed()) return;
      let result: SendPassResult | null = null;
      sending = true;
      try {
        result = await CancellationScope.cancellable(async () => {
          sendScope = CancellationScope.current();
          return sendCampaignPass({
            campaignId: state.campaignId, workflowId: workflowInfo().workflowId, phase, messages: messagesOf(state.spec),
            ...(state.templates ? { templates: state.templates, label: { name: state.spec.name, endsAt: state.spec.schedule.endAt } } : {}),
            budget: state.spec.budget,
            guards: state.spec.guards.map((g) => ({ ...g, ...(guardBaselines[g.metric] ? { baseline: guardBaselines[g.metric] } : {}) })),
            sendRate: state.spec.sendRate, fromSeq: cursor,
          });
        });
      } catch (err) {
        if (!isCancellation(err) && !(err instanceof ActivityFailure)) throw err;
        if (err instanceof ActivityFailure && !isCancellation(err) && state.stage === 'running') {
          // Failed for good (retries are unlimited, so only a non-retryable failure gets here): the owner decides.
          await pauseItself('error', `sending failed: ${err.cause?.message ?? err.message}`);
        }
      } finally {
        sending = false;
        sendScope = null;
      }
      if (!result) continue;
      state.counts = result.counts;
      cursor = result.cursor;
      if (result.outcome === 'budget' || result.outcome === 'guard') {
        if (state.stage !== 'running') continue;
        if (result.guard) guardBaselines[result.guard.rule.metric] = result.guard.figures;
        await pauseItself(result.outcome, result.detail ?? result.outcome);
        continue;
      }
      if (result.outcome === 'stopped') continue;
      if (!result.nextDeferredAt) return;
      // Recipients in their quiet hours: come back when the first of them may be mailed.
      cursor = 0;
      await condition(() => state.stage !== 'running', msUntil(result.nextDeferredAt, Date.now()));
    }
  };

  if (ab && state.ab) {
    await runPhase('test');
    if (!closed()) {
      // The test group's results are collected for the test duration, then the winner goes to everyone else.
      state.ab.testEndsAt = new Date(Date.now() + durationToMs(ab.testDuration as Duration)).toISOString();
      await condition(closed, msUntil(state.ab.testEndsAt, Date.now()));
      state.ab.results = await variantResults({
        campaignId: state.campaignId, variants: ab.variants.map((v) => v.name), metric: ab.winningMetric,
      });
      if (!closed()) {
        state.ab.choice = pickWinner(state.ab.results);
        await audit('campaign.winner_chosen', entity, { ...state.ab.choice, results: state.ab.results });
        await assignWinner({ campaignId: state.campaignId, variant: state.ab.choice.winner });
        await runPhase('main');
      }
    }
  } else {
    await runPhase('main');
  }

  // Everything is sent: the campaign runs on (attribution keeps counting) until its end time or an end by hand.
  await condition(closed);
  await endWatch;
  return finish();
}
