// Campaign lifecycle: budget approval, scheduled launch, paced exactly-once sends to a frozen audience, pause and
// resume, the budget cap and guard rules, an A/B test, and the retrospective. The rules are `Campaign`'s
// (domain/campaign-state.ts), the steps with side effects are in campaign.steps.ts; this file wires the messages and
// runs the process.
import { condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createCampaignActivities } from '../activities/campaign.ts';
import * as messages from './campaign.messages.ts';
import type { CampaignInput } from '../domain/campaign.ts';
import { approvedBy, Campaign } from '../domain/campaign-state.ts';
import { msUntil } from '../domain/durations.ts';
import { profiles } from './lib/activity-profiles.ts';
import { ApprovalRound } from './lib/approval-round.ts';
import { MovableTimer } from './lib/timer.ts';
import { onUpdate } from './lib/updates.ts';
import { CampaignSteps, type CampaignResult } from './campaign.steps.ts';

export type { CampaignResult } from './campaign.steps.ts';

type Activities = ReturnType<typeof createCampaignActivities>;
const db = proxyActivities<Activities>(profiles.db);
const { loadCampaignApprovalPolicy, variantResults, assignWinner, pinCampaignTemplates } = db;
const { freezeAudience } = proxyActivities<Activities>(profiles.batch);

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  const machine = new Campaign(input);
  const { state } = machine;
  const steps = new CampaignSteps(machine, input);
  const { inbox, rec } = steps;
  const launchTimer = new MovableTimer(() => state.spec.schedule.startAt);
  const closed = () => machine.closed();

  setHandler(messages.getCampaign, () => steps.view());
  onUpdate(messages.submitCampaign, machine.submitRefusal, async ({ actor }) => {
    machine.submittedBy = actor;
    await condition(() => state.stage !== 'draft');
    return steps.view();
  });
  onUpdate(messages.editCampaign, machine.editRefusal, async ({ spec, actor }) => {
    const edit = machine.edit(spec, actor.id, Date.now());
    // A whole edit's answer shows the approvals cleared at once (the main loop cancels the round's tasks after).
    if (edit === 'whole') steps.shown = null;
    else launchTimer.moved();
    await rec.save();
    const details = { revision: state.revision, schedule: spec.schedule };
    await rec.audit(edit === 'whole' ? 'campaign.edited' : 'campaign.rescheduled', details, actor);
    return steps.view();
  });
  onUpdate(messages.pauseCampaign, machine.pauseRefusal, async ({ actor, reason }) => {
    await steps.pause('manual', reason ?? null, actor);
    await steps.drain();
    return steps.view();
  });
  onUpdate(messages.resumeCampaign, machine.resumeRefusal, async ({ actor }) => {
    machine.resume();
    await steps.moveTo('running', actor);
    return steps.view();
  });
  onUpdate(messages.cancelCampaign, machine.cancelRefusal, async ({ actor, reason }) => {
    await steps.moveTo('cancelled', actor, reason);
    await inbox.cancelOpen('campaign cancelled');
    await steps.drain();
    return steps.view();
  });
  onUpdate(messages.endCampaign, machine.endRefusal, async ({ actor, reason }) => {
    await steps.moveTo('ended', actor, reason ?? 'ended by hand');
    await steps.drain();
    return steps.view();
  });

  machine.created(Date.now());
  await rec.save();
  await rec.audit('campaign.created', { stage: state.stage, budget: state.spec.budget }, { id: input.ownerId });

  // Approval rounds: a draft waits to be submitted; an edit clears the round; a rejection sends it back to draft.
  for (;;) {
    if (state.stage === 'draft') {
      await condition(() => machine.submittedBy !== null || closed());
      if (closed()) return steps.finish();
      await steps.moveTo('pending_approval', machine.submittedBy);
      machine.submittedBy = null;
    }
    machine.edited = false;
    const round = new ApprovalRound(inbox, machine.approvalRound(await loadCampaignApprovalPolicy()));
    steps.shown = round;
    while (await round.open()) {
      await round.decided();
      if (round.outcome() !== 'pending') break;
    }
    if (closed()) return steps.finish();
    if (machine.edited) {
      await round.close('the campaign was edited: approvals cleared');
      steps.shown = null;
      continue;
    }
    const rejection = round.rejection();
    await round.close(rejection ? 'rejected by another approver' : 'approved');
    if (!rejection) break;
    steps.shown = null;
    await steps.moveTo('draft', { id: rejection.decidedBy! }, machine.rejected(rejection));
    await steps.rejected(rejection);
  }

  // Scheduled launch: a durable timer the creator may move until it fires. The last approval scheduled it.
  const approval = approvedBy(steps.view().approvals);
  // The message as approved: later template versions do not reach a running campaign.
  if (patched('campaign-template-pin')) state.templates = await pinCampaignTemplates();
  await steps.moveTo('scheduled', approval.by ? { id: approval.by } : null, approval.reason);
  for (const wait of launchTimer.waits(closed)) await wait;
  const endPassed = msUntil(state.spec.schedule.endAt, Date.now()) === 0;
  if (!closed() && endPassed) await steps.moveTo('ended', null, 'the end time passed before launch');
  if (closed()) return steps.finish();

  // Launch: the audience is frozen into the send ledger, then sent in passes.
  machine.frozen(await freezeAudience(machine.launch(Date.now())));
  await steps.moveTo('running', null, `audience of ${state.counts.audience} frozen`);

  // The end time: a durable timer that ends the campaign whatever it is doing (a send pass stops at the send gate).
  const endWatch = (async () => {
    if (!(await condition(closed, msUntil(state.spec.schedule.endAt, Date.now())))) {
      await steps.moveTo('ended', null, 'the end time was reached');
      await steps.drain();
    }
  })();

  if (state.ab) {
    await steps.runPhase('test');
    if (!closed()) {
      // The test group's results are collected for the test duration, then the winner goes to everyone else.
      await condition(closed, msUntil(machine.testEnds(Date.now()), Date.now()));
      const choice = machine.testResults(await variantResults(machine.variantQuery()));
      if (choice) {
        await rec.audit('campaign.winner_chosen', { ...choice, results: state.ab.results });
        await assignWinner({ campaignId: state.campaignId, variant: choice.winner });
        await steps.runPhase('main');
      }
    }
  } else {
    await steps.runPhase('main');
  }

  // Everything is sent: the campaign runs on (attribution keeps counting) until its end time or an end by hand.
  await condition(closed);
  await endWatch;
  return steps.finish();
}
