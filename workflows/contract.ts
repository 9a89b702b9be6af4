// A partner contract from draft to its end: approvals (legal, and admin above a value), signatures in order (the
// internal signer, then the partner through one-time links with reminders), activation, an evaluation and payout
// per period, renewal reminders and the renewal decision, and termination with the activation undone.
// The rules are `Contract`'s (domain/contract-state.ts); this file wires the messages and runs the process.
import {
  ActivityCancellationType,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createContractActivities } from '../activities/contract.ts';
import * as messages from './contract.messages.ts';
import { isFinal, periodFraction, requiredContractApprovals, type ContractStage, type ContractState, type Period } from '../domain/contract.ts';
import { Contract, newContractState, type NewContract } from '../domain/contract-state.ts';
import type { Actor } from '../domain/actors.ts';
import type { Refusal } from '../domain/refusal.ts';
import { durationToMs } from '../domain/durations.ts';
import { profiles } from './lib/activity-profiles.ts';
import { ApprovalRound } from './lib/approval-round.ts';
import { notify } from './lib/notify.ts';
import { Recorder } from './lib/record.ts';
import { approvalsOf, TaskInbox, type TaskView } from './lib/tasks.ts';

type Activities = ReturnType<typeof createContractActivities>;
const { loadContractPolicy, saveContract, revokePartnerCode, evaluateContractPeriod } = proxyActivities<Activities>(profiles.db);
/** An activation step a termination interrupts is waited for, so its undoing comes after it, never beside it. */
const { activatePartnerCode } = proxyActivities<Activities>({
  ...profiles.db, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const { issueSignLink } = proxyActivities<Activities>(profiles.send);

export interface ContractInput extends NewContract {
  /** Approval task SLA (default 3d). */
  approvalSla?: string;
  /** Carried over by continue-as-new at a renewal. */
  carried?: ContractState;
}

export interface ContractResult {
  stage: ContractStage;
  term: number;
  paid: number;
}

const ms = (d: string) => durationToMs(d as Duration);
const now = () => new Date(Date.now()).toISOString();
const check = (refusal: Refusal | undefined) => {
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
};

export async function contract(input: ContractInput): Promise<ContractResult> {
  const c = new Contract(input.carried ?? newContractState(input, now()));
  const { state, entity } = c;
  const owner = [{ operatorId: input.ownerId }];
  const partnerMail = [{ address: input.partner.email, name: input.partner.name }];
  const mail = { contractId: state.contractId, partner: state.partnerName };
  const { workflowId } = workflowInfo();
  const inbox = new TaskInbox();
  const rec = new Recorder({
    entity, version: input.carried ? 1_000 * state.term : 0, row: () => c.row(workflowId, now()), write: saveContract,
  });
  const moveTo = (stage: ContractStage, actor: Pick<Actor, 'id'> | null, reason?: string): Promise<void> => {
    const from = c.moveTo(stage, actor?.id ?? null, now(), reason);
    const details = { from, term: state.term, termsVersion: state.termsVersion, ...(reason ? { reason } : {}) };
    return from === null ? Promise.resolve() : rec.record(`contract.${stage}`, details, actor);
  };
  let roundTasks: TaskView[] = [];
  /** The state, with the approvals given so far in a round under way. */
  const view = (): ContractState => (state.stage === 'in_approval' ? { ...state, approvals: approvalsOf(roundTasks) } : state);
  const snapshot = (): ContractState => JSON.parse(JSON.stringify(view()));
  let activation: CancellationScope | null = null;
  /** Undo steps of what activation set up, newest first; they run even when a termination interrupts activation. */
  const compensations: (() => Promise<void>)[] = [];

  setHandler(messages.getContract, () => view());
  setHandler(messages.amendContract, async ({ actor, terms }) => {
    c.amend(actor, terms, now());
    roundTasks = [];
    await rec.save();
    await rec.audit('contract.amended', { termsVersion: state.termsVersion, approvalsCleared: true }, actor);
    return snapshot();
  }, { validator: ({ actor, termsVersion }) => check(c.amendRefusal(actor, termsVersion)) });
  setHandler(messages.submitContract, async ({ actor }) => {
    c.submitted = actor;
    await condition(() => c.submitted === null || isFinal(state.stage));
    return snapshot();
  }, { validator: ({ actor }) => check(c.submitRefusal(actor)) });
  setHandler(messages.signContract, async ({ actor }) => {
    c.signInternally(actor, now());
    await rec.audit('contract.signed_internally', { termsVersion: state.termsVersion }, actor);
    await rec.save();
    return snapshot();
  }, { validator: ({ actor }) => check(c.signRefusal(actor)) });
  setHandler(messages.partnerSignContract, async ({ tokenHash, evidence }) => {
    // The link's email may reach the partner before its activity's answer reaches this workflow: wait for it.
    await condition(() => c.linkHash !== null || state.signatures.partner !== null || c.terminating);
    check(c.partnerSignBlocked(tokenHash, Date.now()));
    c.signByPartner(evidence, now());
    const round = state.signatures.link?.round;
    await rec.audit('contract.signed_by_partner', {
      termsVersion: state.termsVersion, round, ...(evidence ? { name: evidence.name, ip: evidence.ip } : {}),
    });
    await rec.save();
    return snapshot();
  }, { validator: ({ tokenHash }) => check(c.partnerSignRefusal(tokenHash, Date.now())) });
  setHandler(messages.terminateContract, async ({ actor, reason }) => {
    c.terminate(actor, reason, now());
    activation?.cancel();
    // The answer comes once everything termination does is done: payout, notice, undoing, the final stage written.
    await condition(() => c.closedOut);
    return snapshot();
  }, { validator: ({ actor }) => check(c.terminateRefusal(actor)) });

  /** Runs the undo steps of this term's activation, newest first, in a scope nothing cancels. */
  const undoActivation = () => CancellationScope.nonCancellable(async () => {
    for (const undo of compensations.splice(0).reverse()) await undo();
  });
  /** Ends the contract: what activation set up is undone (in its own scope: nothing cancels it), tasks closed. */
  const finish = async (stage: ContractStage, actor: Pick<Actor, 'id'> | null, reason?: string) => {
    await undoActivation();
    state.nextDates = { evaluationAt: null, renewalReminderAt: null, endAt: state.terms.end };
    const paid = Math.round(c.paid() * 100) / 100;
    const settled = { stage, paid, currency: state.terms.currency, periods: state.evaluations.length };
    if (state.activatedAt) await rec.audit('contract.settled', settled);
    await inbox.cancelOpen(`contract ${stage}`);
    await moveTo(stage, actor, reason);
    await inbox.settled();
    c.closedOut = true;
    await condition(allHandlersFinished);
    return { stage: state.stage, term: state.term, paid: c.paid() };
  };
  const terminated = () => finish('terminated', { id: state.termination!.by }, state.termination!.reason);
  const noticeTermination = () => notify(`terminated:t${state.term}`, partnerMail, 'contractTerminated', {
    ...mail, reason: state.termination!.reason,
  });

  if (!input.carried) {
    const created = { stage: state.stage, value: state.value, currency: state.terms.currency };
    await rec.record('contract.created', created, { id: input.ownerId });
  }

  // --- Agreement: approvals, then signatures (for the first term, and a renegotiated one) ---------------------------
  while (state.stage === 'draft' || state.stage === 'in_approval' || state.stage === 'renegotiating') {
    if (state.stage !== 'in_approval') {
      await condition(() => c.submitted !== null || c.terminating);
      if (c.terminating) return terminated();
      const by = c.submitted!;
      c.submitted = null;
      await moveTo('in_approval', by);
    }
    c.amended = false;
    const policy = await loadContractPolicy();
    const need = requiredContractApprovals(policy, state.value, state.terms.currency);
    state.requiredRoles = need.roles;
    state.approvalReason = need.reason;
    const sla = (input.approvalSla ?? '3d') as Duration;
    const round = new ApprovalRound(inbox, {
      roles: need.roles, order: policy.approvalOrder, openEvery: true, stopped: () => c.terminating || c.amended,
      task: (role, tasks) => ({ ...c.approvalTask(role as 'legal' | 'admin', need.reason, tasks), sla }),
    });
    roundTasks = round.tasks;
    while (await round.open()) {
      await round.decided();
      if (round.outcome() !== 'pending') break;
    }
    state.approvals = round.approvals();
    const rejection = round.rejection();
    await round.close(c.amended ? 'the terms changed: approvals cleared' : 'the round is over');
    if (c.terminating) return terminated();
    if (c.amended) {
      state.approvals = [];
      roundTasks = [];
      await rec.audit('contract.approvals_cleared', { termsVersion: state.termsVersion });
    } else if (rejection) {
      const comment = rejection.comment;
      state.rejection = { operatorId: rejection.decidedBy!, comment, at: rejection.decidedAt! };
      await moveTo('draft', { id: rejection.decidedBy! }, `rejected: ${comment ?? 'no comment'}`);
      await notify(`rejected:v${state.termsVersion}`, owner, 'contractRejected', { ...mail, comment: comment ?? '' });
    } else {
      const by = state.approvals.map((a) => a.role).join(' and ');
      await moveTo('awaiting_signatures', null, `approved by ${by} (${need.reason})`);
    }
  }

  // A renewed term keeps the signatures given: it is activated at once.
  if (state.stage === 'awaiting_signatures' && !(state.signatures.internal && state.signatures.partner)) {
    const policy = await loadContractPolicy();
    // One signing window for both signatures: unsigned by its end, the contract expires.
    const expiresAt = Date.now() + ms(policy.signatureExpiry);
    const { signatures: signed, term, termsVersion } = state;
    signed.expiresAt = new Date(expiresAt).toISOString();
    const untilReminder = () => Math.min(ms(policy.signatureReminderEvery), expiresAt - Date.now());
    const expire = async (who: string) => {
      await notify(`sign-expired:t${term}:v${termsVersion}`, owner, 'contractSignatureExpired', mail);
      return finish('expired', null, `${who} did not sign within ${policy.signatureExpiry}`);
    };
    // The internal signer first, reminded as often as the partner is.
    for (let round = 1; signed.internal === null && Date.now() < expiresAt; round++) {
      await notify(`sign-internal:t${term}:v${termsVersion}${round > 1 ? `:r${round}` : ''}`,
        [{ operatorId: state.signerId }], 'contractToSign', { ...mail, termsVersion, expiresAt: signed.expiresAt });
      await condition(() => signed.internal !== null || c.terminating, untilReminder());
      if (c.terminating) return terminated();
    }
    if (signed.internal === null) return expire('the internal signer');
    // The partner: a one-time link now and with every reminder (each replaces the last) until signed or expired.
    for (let round = 1; signed.partner === null && Date.now() < expiresAt; round++) {
      // The new link's email may reach the partner before its hash reaches this workflow: until then no hash is
      // known, so the validator lets the API's check stand and the handler waits for the new hash.
      if (patched('sign-link-pending')) c.linkHash = null;
      const link = await issueSignLink({
        contractId: state.contractId, key: `${workflowId}:t${term}:v${termsVersion}:link:${round}`, partner: input.partner,
        validFor: policy.linkValidity, reminder: round > 1, expiresAt: signed.expiresAt, terms: state.terms,
      });
      c.linkHash = link.tokenHash;
      signed.link = { round, sentAt: now(), expiresAt: link.expiresAt };
      await rec.record('contract.sign_link_sent', { round, expiresAt: link.expiresAt });
      await condition(() => signed.partner !== null || c.terminating, untilReminder());
      if (c.terminating) return terminated();
    }
    if (signed.partner === null) return expire('the partner');
  }

  // --- Active: set up, then an evaluation per period and the renewal reminders, until the end or a termination ---
  const { term } = state;
  if (state.stage !== 'active') {
    activation = new CancellationScope();
    try {
      await activation.run(async () => {
        compensations.push(async () => {
          await revokePartnerCode({ contractId: state.contractId, term });
          await rec.audit('contract.tracking_code_revoked', { term, code: state.trackingCode });
          state.trackingCode = null;
        });
        const { code } = await activatePartnerCode({ contractId: state.contractId, partnerId: state.partnerId, term });
        state.trackingCode = code;
        await rec.audit('contract.tracking_code_issued', { term, code });
        const { start, end } = state.terms;
        await notify(`activated:t${term}`, partnerMail, 'contractActivated', { ...mail, code, start, end });
      });
    } catch (err) {
      if (!isCancellation(err)) throw err;
    }
    activation = null;
    if (c.terminating) {
      // The partner signed (and may have had the activation email): since this patch they are told of the end too.
      if (patched('notice-on-interrupted-activation')) await noticeTermination();
      return terminated();
    }
    state.activatedAt ??= now();
    await moveTo('active', null);
  }

  const { terms } = state;
  const evaluate = async (p: Period, cutAt?: string) => {
    const record = await evaluateContractPeriod({
      contractId: state.contractId, partnerId: state.partnerId, term, period: p,
      fraction: periodFraction(p, terms.cadence, cutAt), terms, ...(cutAt ? { cutAt } : {}),
    });
    state.evaluations.push(record);
    await rec.audit('contract.payout_recorded', {
      term: record.term, period: record.periodIndex, from: record.periodFrom, to: record.periodTo,
      fraction: record.fraction, total: record.total, currency: terms.currency, score: record.score,
    });
    await notify(`evaluation:t${term}:p${p.index}`, owner, 'contractEvaluation', { ...mail, record, currency: terms.currency });
  };
  const agenda = c.agenda(Date.now());
  let renewalTask: TaskView | null = null;
  const decision = () => (renewalTask?.status === 'completed' ? renewalTask.decision : null);
  for (const [i, item] of agenda.entries()) {
    c.planAhead(agenda.slice(i), decision() !== null);
    if (item.at > Date.now()) await condition(() => c.terminating, item.at - Date.now());
    if (c.terminating) {
      // The period under way is evaluated up to now, pro rata, and paid; the partner is told.
      const current = c.periodUnderWay(Date.now());
      if (current) await evaluate(current, now());
      await noticeTermination();
      return terminated();
    }
    if (item.period) await evaluate(item.period);
    else if (decision() === null) {
      state.renewal.remindersSent.push(item.days!);
      await notify(`renewal:t${term}:${item.days}d`, owner, 'contractRenewalReminder', {
        ...mail, end: terms.end, daysLeft: item.days!,
      });
      if (!renewalTask) {
        renewalTask = await inbox.open(c.renewalTask());
        state.renewal.taskId = renewalTask.id;
      }
    }
  }

  // --- The end of the term: renew (a new term, the same contract), renegotiate, or, undecided, it ends ------------
  const chosen = decision();
  const decidedBy = renewalTask?.decidedBy ?? null;
  if (chosen === 'renew' || chosen === 'renegotiate') {
    await undoActivation();
    const carried = c.nextTermState(chosen, decidedBy, now());
    const renewed = { term: carried.term, termsVersion: carried.termsVersion };
    await rec.audit(`contract.${chosen === 'renew' ? 'renewed' : 'renegotiating'}`, renewed, { id: decidedBy! });
    await inbox.settled();
    await condition(allHandlersFinished);
    return continueAsNew<typeof contract>({ ...input, carried, draft: false });
  }
  return finish('ended', chosen === 'expire' && decidedBy ? { id: decidedBy } : null,
    chosen === 'expire' ? 'not renewed' : 'the term ended without a renewal decision');
}
