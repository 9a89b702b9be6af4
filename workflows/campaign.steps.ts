// The steps the campaign workflow takes, each with its side effects: the read model and audit, pausing and the
// drain of sends under way, a phase's send passes, the end with its retrospective. workflows/campaign.ts runs them.
import * as wf from '@temporalio/workflow';
import { CancellationScope, condition } from '@temporalio/workflow';
import type { createCampaignActivities } from '../activities/campaign.ts';
import type { SendPassResult } from '../domain/campaign.ts';
import type { Actor } from '../domain/actors.ts';
import type { CampaignInput, CampaignStage, CampaignState, PauseReason, SendCounts } from '../domain/campaign.ts';
import type { Campaign } from '../domain/campaign-state.ts';
import { msUntil } from '../domain/durations.ts';
import { profiles } from './lib/activity-profiles.ts';
import type { ApprovalRound } from './lib/approval-round.ts';
import { notify } from './lib/notify.ts';
import { Recorder } from './lib/record.ts';
import { TaskInbox } from './lib/tasks.ts';

type Activities = ReturnType<typeof createCampaignActivities>;
const { saveCampaign, closeLedger } = wf.proxyActivities<Activities>(profiles.db);
const { buildCampaignReport } = wf.proxyActivities<Activities>(profiles.batch);
/** A send pass runs for as long as its audience takes; the heartbeat says within seconds when its worker died. */
// A cancelled pass is waited for until it has stopped, so nothing is sent behind the workflow's back.
const { sendCampaignPass } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '7d',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export type CampaignResult = { stage: CampaignStage; counts: SendCounts };

export class CampaignSteps {
  readonly inbox = new TaskInbox();
  readonly rec: Recorder<ReturnType<ReturnType<Campaign['recording']>['row']>>;
  /** The approval round the state shows (the last one; none after an edit or a rejection). */
  shown: ApprovalRound | null = null;
  private readonly machine: Campaign;
  private readonly state: Campaign['state'];
  private readonly owner: { operatorId: string }[];
  private readonly workflowId = wf.workflowInfo().workflowId;
  /** A send pass is under way (a drain waits for it, then cancels its scope). */
  private sending = false;
  private sendScope: CancellationScope | null = null;

  constructor(machine: Campaign, input: CampaignInput) {
    this.machine = machine;
    this.state = machine.state;
    this.owner = [{ operatorId: input.ownerId }];
    this.rec = new Recorder({ ...machine.recording(this.workflowId), write: saveCampaign });
  }

  /** What the query and every update answer: the state with the approvals given so far. */
  view(): CampaignState {
    return this.machine.view(this.shown?.approvals() ?? []);
  }

  moveTo(stage: CampaignStage, actor: Pick<Actor, 'id'> | null, reason?: string): Promise<void> {
    const from = this.machine.moveTo(stage, actor?.id ?? null, reason, Date.now());
    const details = { from, ...(reason ? { reason } : {}) };
    return from === null ? Promise.resolve() : this.rec.record(`campaign.${stage}`, details, actor);
  }

  /** Waits for sends already talking to the mail server; the send gate keeps any new one from starting. */
  async drain(): Promise<void> {
    if (!(await condition(() => !this.sending, this.machine.pauseDrainMs))) this.sendScope?.cancel();
  }

  async pause(reason: PauseReason, detail: string | null, actor: Actor | null): Promise<void> {
    this.machine.pause(reason, detail, Date.now());
    await this.moveTo('paused', actor, detail ?? reason);
  }

  /** The campaign stops itself (budget, guard, a failed pass) and tells its owner. */
  async pauseItself(reason: Exclude<PauseReason, 'manual'>, detail: string): Promise<void> {
    await this.pause(reason, detail, null);
    const mail = { ...this.machine.mail(), reason, detail };
    await notify(`paused:${this.machine.selfPauses}`, this.owner, 'campaignPaused', mail);
  }

  /** Back to a draft: the owner is told why. */
  rejected(rejection: { comment: string | null }): ReturnType<typeof notify> {
    const mail = { ...this.machine.mail(), comment: rejection.comment ?? '' };
    return notify(`rejected:r${this.state.revision}`, this.owner, 'campaignRejected', mail);
  }

  /** Sends one phase to the end: through pauses, budget and guard stops, and quiet-hours deferrals. */
  async runPhase(phase: 'test' | 'main'): Promise<void> {
    const { machine, state } = this;
    const closed = () => machine.closed();
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
      this.sending = true;
      try {
        result = await CancellationScope.cancellable(async () => {
          this.sendScope = CancellationScope.current();
          return sendCampaignPass(machine.sendPass(phase, this.workflowId));
        });
      } catch (err) {
        if (!wf.isCancellation(err) && !(err instanceof wf.ActivityFailure)) throw err;
        // Failed for good (retries are unlimited, so only a non-retryable failure gets here): the owner decides.
        if (err instanceof wf.ActivityFailure && !wf.isCancellation(err) && state.stage === 'running') {
          await this.pauseItself('error', `sending failed: ${err.cause?.message ?? err.message}`);
        }
      } finally {
        this.sending = false;
        this.sendScope = null;
      }
      if (!result) continue;
      const next = machine.passed(result);
      if (next.step === 'pause') await this.pauseItself(next.reason, next.detail);
      if (next.step === 'done') return;
      if (next.step !== 'wait') continue;
      // Recipients in their quiet hours: come back (from the first recipient) when the first of them may be mailed.
      await condition(() => state.stage !== 'running', msUntil(next.until, Date.now()));
    }
  }

  /** Closes the tasks, and after a launch the ledger and the retrospective (emailed to the owner). */
  async finish(): Promise<CampaignResult> {
    const { machine, state, inbox } = this;
    await inbox.cancelOpen(`campaign ${state.stage}`);
    if (state.launchedAt) {
      await closeLedger({ campaignId: state.campaignId });
      const report = await buildCampaignReport(machine.reportInput());
      machine.reported(report);
      await notify('report', this.owner, 'campaignReport', { report });
      if (state.stage === 'ended') await this.moveTo('reported', null);
    }
    await inbox.settled();
    await condition(wf.allHandlersFinished);
    return { stage: state.stage, counts: state.counts };
  }
}
