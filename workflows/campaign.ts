// Campaign lifecycle: budget approval, scheduled launch, paced exactly-once sends to a frozen audience, pause and
// resume, the budget cap and guard rules, an A/B test, and the retrospective. The rules are `Campaign`'s
// (domain/campaign-state.ts); this file wires the messages and runs the process.
import * as wf from '@temporalio/workflow';
import { CancellationScope, condition, setHandler } from '@temporalio/workflow';
import type { createCampaignActivities } from '../activities/campaign.ts';
import type { SendPassResult } from '../activities/campaign-sender.ts';
import * as messages from './campaign.messages.ts';
import type { CampaignInput, CampaignStage, PauseReason, SendCounts } from '../domain/campaign.ts';
import { approvedBy, Campaign } from '../domain/campaign-state.ts';
import type { Actor } from '../domain/actors.ts';
import { msUntil } from '../domain/durations.ts';
import { profiles } from './lib/activity-profiles.ts';
import { ApprovalRound } from './lib/approval-round.ts';
import { notify } from './lib/notify.ts';
import { Recorder } from './lib/record.ts';
import { TaskInbox } from './lib/tasks.ts';
import { MovableTimer } from './lib/timer.ts';
import { onUpdate } from './lib/updates.ts';

type Activities = ReturnType<typeof createCampaignActivities>;
const { saveCampaign, loadCampaignApprovalPolicy, variantResults, assignWinner, closeLedger, pinCampaignTemplates } =
  wf.proxyActivities<Activities>(profiles.db);
const { freezeAudience, buildCampaignReport } = wf.proxyActivities<Activities>(profiles.batch);
/** A send pass runs for as long as its audience takes; the heartbeat says within seconds when its worker died. */
// A cancelled pass is waited for until it has stopped, so nothing is sent behind the workflow's back.
const { sendCampaignPass } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '7d',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export type CampaignResult = { stage: CampaignStage; counts: SendCounts };

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  const owner = [{ operatorId: input.ownerId }];
  const { workflowId } = wf.workflowInfo();
  const inbox = new TaskInbox();
  const machine = new Campaign(input);
  const { state } = machine;
  const rec = new Recorder({ ...machine.recording(workflowId), write: saveCampaign });
  const launchTimer = new MovableTimer(() => state.spec.schedule.startAt);
  /** The approval round the state shows (the last one; none after an edit or a rejection). */
  let shown: ApprovalRound | null = null;
  let sending = false;
  let sendScope: CancellationScope | null = null;
  const closed = () => machine.closed();
  const view = () => machine.view(shown?.approvals() ?? []);
  const moveTo = (stage: CampaignStage, actor: Pick<Actor, 'id'> | null, reason?: string): Promise<void> => {
    const from = machine.moveTo(stage, actor?.id ?? null, reason, Date.now());
    const details = { from, ...(reason ? { reason } : {}) };
    return from === null ? Promise.resolve() : rec.record(`campaign.${stage}`, details, actor);
  };
  /** Waits for sends already talking to the mail server; the send gate keeps any new one from starting. */
  const drain = async () => {
    if (!(await condition(() => !sending, machine.pauseDrainMs))) sendScope?.cancel();
  };
  const pause = async (reason: PauseReason, detail: string | null, actor: Actor | null) => {
    machine.pause(reason, detail, Date.now());
    await moveTo('paused', actor, detail ?? reason);
  };
  /** The campaign stops itself (budget, guard, a failed pass) and tells its owner. */
  const pauseItself = async (reason: Exclude<PauseReason, 'manual'>, detail: string) => {
    await pause(reason, detail, null);
    await notify(`paused:${machine.selfPauses}`, owner, 'campaignPaused', { ...machine.mail(), reason, detail });
  };

  setHandler(messages.getCampaign, view);
  onUpdate(messages.submitCampaign, machine.submitRefusal, async ({ actor }) => {
    machine.submittedBy = actor;
    await condition(() => state.stage !== 'draft');
    return view();
  });
  onUpdate(messages.editCampaign, machine.editRefusal, async ({ spec, actor }) => {
    const edit = machine.edit(spec, actor.id, Date.now());
    // A whole edit's answer shows the approvals cleared at once (the main loop cancels the round's tasks after).
    if (edit === 'whole') shown = null;
    else launchTimer.moved();
    await rec.save();
    const details = { revision: state.revision, schedule: spec.schedule };
    await rec.audit(edit === 'whole' ? 'campaign.edited' : 'campaign.rescheduled', details, actor);
    return view();
  });
  onUpdate(messages.pauseCampaign, machine.pauseRefusal, async ({ actor, reason }) => {
    await pause('manual', reason ?? null, actor);
    await drain();
    return view();
  });
  onUpdate(messages.resumeCampaign, machine.resumeRefusal, async ({ actor }) => {
    machine.resume();
    await moveTo('running', actor);
    return view();
  });
  onUpdate(messages.cancelCampaign, machine.cancelRefusal, async ({ actor, reason }) => {
    await moveTo('cancelled', actor, reason);
    await inbox.cancelOpen('campaign cancelled');
    await drain();
    return view();
  });
  onUpdate(messages.endCampaign, machine.endRefusal, async ({ actor, reason }) => {
    await moveTo('ended', actor, reason ?? 'ended by hand');
    await drain();
    return view();
  });

  /** Closes the tasks, and after a launch the ledger and the retrospective (emailed to the owner). */
  const finish = async (): Promise<CampaignResult> => {
    await inbox.cancelOpen(`campaign ${state.stage}`);
    if (state.launchedAt) {
      await closeLedger({ campaignId: state.campaignId });
      const report = await buildCampaignReport(machine.reportInput());
      machine.reported(report);
      await notify('report', owner, 'campaignReport', { report });
      if (state.stage === 'ended') await moveTo('reported', null);
    }
    await inbox.settled();
    await condition(wf.allHandlersFinished);
    return { stage: state.stage, counts: state.counts };
  };

  machine.created(Date.now());
  await rec.save();
  await rec.audit('campaign.created', { stage: state.stage, budget: state.spec.budget }, { id: input.ownerId });

  // Approval rounds: a draft waits to be submitted; an edit clears the round; a rejection sends it back to draft.
  for (;;) {
    if (state.stage === 'draft') {
      await condition(() => machine.submittedBy !== null || closed());
      if (closed()) return finish();
      await moveTo('pending_approval', machine.submittedBy);
      machine.submittedBy = null;
    }
    machine.edited = false;
    const round = new ApprovalRound(inbox, machine.approvalRound(await loadCampaignApprovalPolicy()));
    shown = round;
    while (await round.open()) {
      await round.decided();
      if (round.outcome() !== 'pending') break;
    }
    if (closed()) return finish();
    if (machine.edited) {
      await round.close('the campaign was edited: approvals cleared');
      shown = null;
      continue;
    }
    const rejection = round.rejection();
    await round.close(rejection ? 'rejected by another approver' : 'approved');
    if (!rejection) break;
    shown = null;
    await moveTo('draft', { id: rejection.decidedBy! }, machine.rejected(rejection));
    const comment = rejection.comment ?? '';
    await notify(`rejected:r${state.revision}`, owner, 'campaignRejected', { ...machine.mail(), comment });
  }

  // Scheduled launch: a durable timer the creator may move until it fires. The last approval scheduled it.
  const approval = approvedBy(view().approvals);
  // The message as approved: later template versions do not reach a running campaign.
  if (wf.patched('campaign-template-pin')) state.templates = await pinCampaignTemplates();
  await moveTo('scheduled', approval.by ? { id: approval.by } : null, approval.reason);
  for (const wait of launchTimer.waits(closed)) await wait;
  const endPassed = msUntil(state.spec.schedule.endAt, Date.now()) === 0;
  if (!closed() && endPassed) await moveTo('ended', null, 'the end time passed before launch');
  if (closed()) return finish();

  // Launch: the audience is frozen into the send ledger, then sent in passes.
  machine.frozen(await freezeAudience(machine.launch(Date.now())));
  await moveTo('running', null, `audience of ${state.counts.audience} frozen`);

  // The end time: a durable timer that ends the campaign whatever it is doing (a send pass stops at the send gate).
  const endWatch = (async () => {
    if (!(await condition(closed, msUntil(state.spec.schedule.endAt, Date.now())))) {
      await moveTo('ended', null, 'the end time was reached');
      await drain();
    }
  })();

  /** Sends one phase to the end: through pauses, budget and guard stops, and quiet-hours deferrals. */
  const runPhase = async (phase: 'test' | 'main'): Promise<void> => {
    machine.cursor = 0;
    for (;;) {
      if (closed()) return;
      if (state.stage === 'paused') {
        await condition(() => state.stage !== 'paused');
        continue;
      }
      // A resume has changed the stage; the pass waits until the row it reads says so too.
      await condition(() => closed() || machine.gate.stage === 'running');
      if (closed()) return;
      let result: SendPassResult | null = null;
      sending = true;
      try {
        result = await CancellationScope.cancellable(async () => {
          sendScope = CancellationScope.current();
          return sendCampaignPass(machine.sendPass(phase, workflowId));
        });
      } catch (err) {
        if (!wf.isCancellation(err) && !(err instanceof wf.ActivityFailure)) throw err;
        // Failed for good (retries are unlimited, so only a non-retryable failure gets here): the owner decides.
        if (err instanceof wf.ActivityFailure && !wf.isCancellation(err) && state.stage === 'running') {
          await pauseItself('error', `sending failed: ${err.cause?.message ?? err.message}`);
        }
      } finally {
        sending = false;
        sendScope = null;
      }
      if (!result) continue;
      const next = machine.passed(result);
      if (next.step === 'pause') await pauseItself(next.reason, next.detail);
      if (next.step === 'done') return;
      if (next.step !== 'wait') continue;
      // Recipients in their quiet hours: come back (from the first recipient) when the first of them may be mailed.
      await condition(() => state.stage !== 'running', msUntil(next.until, Date.now()));
    }
  };

  if (state.ab) {
    await runPhase('test');
    if (!closed()) {
      // The test group's results are collected for the test duration, then the winner goes to everyone else.
      await condition(closed, msUntil(machine.testEnds(Date.now()), Date.now()));
      const choice = machine.testResults(await variantResults(machine.variantQuery()));
      if (choice) {
        await rec.audit('campaign.winner_chosen', { ...choice, results: state.ab.results });
        await assignWinner({ campaignId: state.campaignId, variant: choice.winner });
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
