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
import { periodFraction, type ContractPolicy, type ContractStage, type ContractState } from '../domain/contract.ts';
import type { Period } from '../domain/contract.ts';
import type { Contract, ContractInput, ContractResult } from '../domain/contract-state.ts';
import { profiles } from './lib/activity-profiles.ts';
import { notify } from './lib/notify.ts';
import { Recorder } from './lib/record.ts';
import { approvalsOf, TaskInbox, type TaskView } from './lib/tasks.ts';

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
  private readonly input: ContractInput;
  private readonly state: ContractState;
  private readonly owner: { operatorId: string }[];
  private readonly partnerMail: { address: string; name: string }[];
  private readonly mail: { contractId: string; partner: string };
  private readonly workflowId = workflowInfo().workflowId;

  constructor(c: Contract, input: ContractInput) {
    this.c = c;
    this.input = input;
    const { state } = c;
    this.state = state;
    this.owner = [{ operatorId: input.ownerId }];
    this.partnerMail = [{ address: input.partner.email, name: input.partner.name }];
    this.mail = { contractId: state.contractId, partner: state.partnerName };
    this.rec = new Recorder({
      entity: c.entity,
      version: input.carried ? 1_000 * state.term : 0,
      write: saveContract,
      row: () => c.row(this.workflowId, now()),
    });
  }

  /** The state, with the approvals given so far in a round under way. */
  view(): ContractState {
    const { state } = this;
    return state.stage === 'in_approval' ? { ...state, approvals: approvalsOf(this.roundTasks) } : state;
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

  async created(): Promise<void> {
    const { state } = this;
    const created = { stage: state.stage, value: state.value, currency: state.terms.currency };
    await this.rec.record('contract.created', created, { id: this.input.ownerId });
  }

  /** Back to a draft, the owner told why. */
  async rejected(rejection: TaskView): Promise<void> {
    const { state } = this;
    const { comment } = rejection;
    state.rejection = { operatorId: rejection.decidedBy!, comment, at: rejection.decidedAt! };
    await this.moveTo('draft', { id: rejection.decidedBy! }, `rejected: ${comment ?? 'no comment'}`);
    const mail = { ...this.mail, comment: comment ?? '' };
    await notify(`rejected:v${state.termsVersion}`, this.owner, 'contractRejected', mail);
  }

  /** Asks the internal signer to sign (round 1), or reminds them. */
  askInternalSigner(round: number): Promise<unknown> {
    const { term, termsVersion, signerId, signatures } = this.state;
    return notify(`sign-internal:t${term}:v${termsVersion}${round > 1 ? `:r${round}` : ''}`, [{ operatorId: signerId }], 'contractToSign', {
      ...this.mail,
      termsVersion,
      expiresAt: signatures.expiresAt,
    });
  }

  /** Issues the partner a new one-time signing link, which replaces the last one, and emails it. */
  issueLink(round: number, policy: ContractPolicy): ReturnType<typeof issueSignLink> {
    const { state, c } = this;
    // The new link's email may reach the partner before its hash reaches this workflow: until then no hash is
    // known, so the validator lets the API's check stand and the handler waits for the new hash.
    if (patched('sign-link-pending')) c.linkHash = null;
    return issueSignLink({
      contractId: state.contractId,
      key: `${this.workflowId}:t${state.term}:v${state.termsVersion}:link:${round}`,
      partner: this.input.partner,
      validFor: policy.linkValidity,
      reminder: round > 1,
      expiresAt: state.signatures.expiresAt!,
      terms: state.terms,
    });
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
    await notify(`sign-expired:t${term}:v${termsVersion}`, this.owner, 'contractSignatureExpired', this.mail);
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
        await notify(`activated:t${term}`, this.partnerMail, 'contractActivated', { ...this.mail, code, start, end });
      });
    } catch (err) {
      if (!isCancellation(err)) throw err;
    }
    this.activation = null;
  }

  /** A period's evaluation and payout (`cutAt`: pro rata up to then), audited, and its report to the owner. */
  async evaluate(p: Period, cutAt?: string): Promise<void> {
    const { state } = this;
    const { term, terms } = state;
    const record = await evaluateContractPeriod({
      contractId: state.contractId,
      partnerId: state.partnerId,
      term,
      period: p,
      fraction: periodFraction(p, terms.cadence, cutAt),
      terms,
      ...(cutAt ? { cutAt } : {}),
    });
    state.evaluations.push(record);
    await this.rec.audit('contract.payout_recorded', {
      term: record.term,
      period: record.periodIndex,
      from: record.periodFrom,
      to: record.periodTo,
      fraction: record.fraction,
      total: record.total,
      currency: terms.currency,
      score: record.score,
    });
    await notify(`evaluation:t${term}:p${p.index}`, this.owner, 'contractEvaluation', {
      ...this.mail,
      record,
      currency: terms.currency,
    });
  }

  /** A renewal reminder to the owner. */
  remindRenewal(days: number): Promise<unknown> {
    const { state } = this;
    state.renewal.remindersSent.push(days);
    return notify(`renewal:t${state.term}:${days}d`, this.owner, 'contractRenewalReminder', {
      ...this.mail,
      end: state.terms.end,
      daysLeft: days,
    });
  }

  noticeTermination(): Promise<unknown> {
    const { state } = this;
    return notify(`terminated:t${state.term}`, this.partnerMail, 'contractTerminated', {
      ...this.mail,
      reason: state.termination!.reason,
    });
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
