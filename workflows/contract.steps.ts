// The steps the contract workflow takes, each with its side effects: the read model and audit, emails, the signing
// links, the activation and its undoing, a period's evaluation, the end. workflows/contract.ts runs them in order.
import {
  ActivityCancellationType,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { createContractActivities } from '../activities/contract.ts';
import type { Actor } from '../domain/actors.ts';
import type { ContractPolicy, ContractStage, ContractState, Period } from '../domain/contract.ts';
import type { Contract, ContractInput, ContractResult } from '../domain/contract-state.ts';
import { profiles } from './lib/activity-profiles.ts';
import { notify } from './lib/notify.ts';
import { Recorder } from './lib/record.ts';
import { TaskInbox, type TaskView } from './lib/tasks.ts';

type Activities = ReturnType<typeof createContractActivities>;
const { saveContract, revokePartnerCode, evaluateContractPeriod } = proxyActivities<Activities>(profiles.db);
/** An activation step a termination interrupts is waited for, so its undoing comes after it, never beside it. */
const { activatePartnerCode } = proxyActivities<Activities>({
  ...profiles.db,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const { issueSignLink } = proxyActivities<Activities>(profiles.send);

const now = () => new Date(Date.now()).toISOString();

export class ContractSteps {
  readonly inbox = new TaskInbox();
  readonly rec: Recorder<ReturnType<Contract['row']>>;
  /** The tasks of the approval round under way: the state shows the approvals given so far from them. */
  roundTasks: TaskView[] = [];
  /** The activation under way, which a termination cancels. */
  activation: CancellationScope | null = null;
  /** Undo steps of what activation set up, newest first; they run even when a termination interrupts activation. */
  private readonly compensations: (() => Promise<void>)[] = [];
  private readonly c: Contract;
  private readonly state: ContractState;
  private readonly input: ContractInput;
  private readonly workflowId = workflowInfo().workflowId;

  constructor(c: Contract, input: ContractInput) {
    this.c = c;
    this.state = c.state;
    this.input = input;
    const version = input.carried ? 1_000 * c.state.term : 0;
    this.rec = new Recorder({ entity: c.entity, version, write: saveContract, row: () => c.row(this.workflowId, now()) });
  }

  private get owner() {
    return [{ operatorId: this.input.ownerId }];
  }

  private get partnerMail() {
    return [{ address: this.input.partner.email, name: this.input.partner.name }];
  }

  /** The state, with the approvals given so far in a round under way. */
  view(): ContractState {
    return this.c.view(this.roundTasks);
  }

  /** An update's answer: the state as the update left it. */
  snapshot(): ContractState {
    return JSON.parse(JSON.stringify(this.view()));
  }

  moveTo(stage: ContractStage, actor: Pick<Actor, 'id'> | null, reason?: string): Promise<void> {
    const { state } = this;
    const from = this.c.moveTo(stage, actor?.id ?? null, now(), reason);
    const details = { from, term: state.term, termsVersion: state.termsVersion, ...(reason ? { reason } : {}) };
    return from === null ? Promise.resolve() : this.rec.record(`contract.${stage}`, details, actor);
  }

  /** What the creation's audit event says. */
  createdDetails(): Record<string, unknown> {
    const { state } = this;
    return { stage: state.stage, value: state.value, currency: state.terms.currency };
  }

  /**
   * Back to a draft (the rejection kept for the owner); the caller then awaits rejectedMail(). Two plain promises
   * awaited by the caller, not one async step, so the process resumes on the tick the inline code did.
   */
  rejected(rejection: TaskView): Promise<void> {
    const { comment } = rejection;
    this.state.rejection = { operatorId: rejection.decidedBy!, comment, at: rejection.decidedAt! };
    return this.moveTo('draft', { id: rejection.decidedBy! }, `rejected: ${comment ?? 'no comment'}`);
  }

  /** Tells the owner why. */
  rejectedMail(rejection: TaskView): ReturnType<typeof notify> {
    const mail = { ...this.c.mail, comment: rejection.comment ?? '' };
    return notify(`rejected:v${this.state.termsVersion}`, this.owner, 'contractRejected', mail);
  }

  /** Asks the internal signer to sign (round 1), or reminds them. */
  askInternalSigner(round: number): Promise<unknown> {
    const { term, termsVersion, signerId, signatures } = this.state;
    const step = `sign-internal:t${term}:v${termsVersion}${round > 1 ? `:r${round}` : ''}`;
    const ask = { ...this.c.mail, termsVersion, expiresAt: signatures.expiresAt };
    return notify(step, [{ operatorId: signerId }], 'contractToSign', ask);
  }

  /** Issues the partner a new one-time signing link, which replaces the last one, and emails it. */
  issueLink(round: number, policy: ContractPolicy): ReturnType<typeof issueSignLink> {
    const { state, c } = this;
    // The new link's email may reach the partner before its hash reaches this workflow: until then no hash is
    // known, so the validator lets the API's check stand and the handler waits for the new hash.
    if (patched('sign-link-pending')) c.linkHash = null;
    const key = `${this.workflowId}:t${state.term}:v${state.termsVersion}:link:${round}`;
    return issueSignLink(c.signLink(round, policy.linkValidity, key, this.input.partner));
  }

  /** The link issued is the one that works now. */
  linkSent(round: number, link: { tokenHash: string; expiresAt: string }): Promise<void> {
    this.c.linkHash = link.tokenHash;
    this.state.signatures.link = { round, sentAt: now(), expiresAt: link.expiresAt };
    return this.rec.record('contract.sign_link_sent', { round, expiresAt: link.expiresAt });
  }

  /** Unsigned within the window: the owner is told and the contract expires. */
  async expire(who: string, policy: ContractPolicy): Promise<ContractResult> {
    const { term, termsVersion } = this.state;
    await notify(`sign-expired:t${term}:v${termsVersion}`, this.owner, 'contractSignatureExpired', this.c.mail);
    return this.finish('expired', null, `${who} did not sign within ${policy.signatureExpiry}`);
  }

  /** Issues the partner's tracking code and tells them; a termination cancels it and the undo steps take it back. */
  async activate(): Promise<void> {
    const { state, rec } = this;
    const { term } = state;
    this.activation = new CancellationScope();
    try {
      await this.activation.run(async () => {
        this.compensations.push(async () => {
          await revokePartnerCode({ contractId: state.contractId, term });
          await rec.audit('contract.tracking_code_revoked', { term, code: state.trackingCode });
          state.trackingCode = null;
        });
        const { code } = await activatePartnerCode({ contractId: state.contractId, partnerId: state.partnerId, term });
        state.trackingCode = code;
        await rec.audit('contract.tracking_code_issued', { term, code });
        const { start, end } = state.terms;
        await notify(`activated:t${term}`, this.partnerMail, 'contractActivated', { ...this.c.mail, code, start, end });
      });
    } catch (err) {
      if (!isCancellation(err)) throw err;
    }
    this.activation = null;
  }

  /** A period's evaluation and payout (`cutAt`: pro rata up to then), audited, and its report to the owner. */
  async evaluate(p: Period, cutAt?: string): Promise<void> {
    const { state, c } = this;
    const record = await evaluateContractPeriod(c.evaluation(p, cutAt));
    state.evaluations.push(record);
    await this.rec.audit('contract.payout_recorded', c.payoutDetails(record));
    const report = { ...c.mail, record, currency: state.terms.currency };
    await notify(`evaluation:t${state.term}:p${p.index}`, this.owner, 'contractEvaluation', report);
  }

  /** A renewal reminder to the owner. */
  remindRenewal(days: number): Promise<unknown> {
    const { state } = this;
    state.renewal.remindersSent.push(days);
    const reminder = { ...this.c.mail, end: state.terms.end, daysLeft: days };
    return notify(`renewal:t${state.term}:${days}d`, this.owner, 'contractRenewalReminder', reminder);
  }

  noticeTermination(): Promise<unknown> {
    const { term, termination } = this.state;
    return notify(`terminated:t${term}`, this.partnerMail, 'contractTerminated', { ...this.c.mail, reason: termination!.reason });
  }

  /** Runs the undo steps of this term's activation, newest first, in a scope nothing cancels. */
  undoActivation(): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      for (const undo of this.compensations.splice(0).reverse()) await undo();
    });
  }

  /** Ends the contract: what activation set up is undone (in its own scope: nothing cancels it), tasks closed. */
  async finish(stage: ContractStage, actor: Pick<Actor, 'id'> | null, reason?: string): Promise<ContractResult> {
    const { state, c } = this;
    await this.undoActivation();
    state.nextDates = { evaluationAt: null, renewalReminderAt: null, endAt: state.terms.end };
    const paid = Math.round(c.paid() * 100) / 100;
    const settled = { stage, paid, currency: state.terms.currency, periods: state.evaluations.length };
    if (state.activatedAt) await this.rec.audit('contract.settled', settled);
    await this.inbox.cancelOpen(`contract ${stage}`);
    await this.moveTo(stage, actor, reason);
    await this.inbox.settled();
    c.closedOut = true;
    await condition(allHandlersFinished);
    return { stage: state.stage, term: state.term, paid: c.paid() };
  }

  terminated(): Promise<ContractResult> {
    const { termination } = this.state;
    return this.finish('terminated', { id: termination!.by }, termination!.reason);
  }
}
