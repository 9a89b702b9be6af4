// A partner contract from draft to its end: approvals (legal, and admin above a value), signatures in order (the
// internal signer, then the partner through one-time links with reminders), activation, an evaluation and payout
// per period, renewal reminders and the renewal decision, and termination with the activation undone.
// The rules are `Contract`'s (domain/contract-state.ts), the steps with side effects are in contract.steps.ts; this
// file wires the messages and runs the process.
import { allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createContractActivities } from '../activities/contract.ts';
import * as messages from './contract.messages.ts';
import { isFinal, requiredContractApprovals } from '../domain/contract.ts';
import { Contract, newContractState, type ContractInput, type ContractResult } from '../domain/contract-state.ts';
import { durationToMs } from '../domain/durations.ts';
import { profiles } from './lib/activity-profiles.ts';
import { ApprovalRound } from './lib/approval-round.ts';
import type { TaskView } from './lib/tasks.ts';
import { onUpdate, refuse } from './lib/updates.ts';
import { ContractSteps } from './contract.steps.ts';

export type { ContractInput, ContractResult } from '../domain/contract-state.ts';

const { loadContractPolicy } = proxyActivities<ReturnType<typeof createContractActivities>>(profiles.db);

const ms = (d: string) => durationToMs(d as Duration);
const now = () => new Date(Date.now()).toISOString();

export async function contract(input: ContractInput): Promise<ContractResult> {
  const c = new Contract(input.carried ?? newContractState(input, now()));
  const { state } = c;
  const steps = new ContractSteps(c, input);
  const { rec, inbox } = steps;

  setHandler(messages.getContract, () => steps.view());
  onUpdate(messages.amendContract, c.amendRefusal, async ({ actor, terms }) => {
    c.amend(actor, terms, now());
    steps.roundTasks = [];
    await rec.save();
    await rec.audit('contract.amended', { termsVersion: state.termsVersion, approvalsCleared: true }, actor);
    return steps.snapshot();
  });
  onUpdate(messages.submitContract, c.submitRefusal, async ({ actor }) => {
    c.submitted = actor;
    await condition(() => c.submitted === null || isFinal(state.stage));
    return steps.snapshot();
  });
  onUpdate(messages.signContract, c.signRefusal, async ({ actor }) => {
    c.signInternally(actor, now());
    await rec.audit('contract.signed_internally', { termsVersion: state.termsVersion }, actor);
    await rec.save();
    return steps.snapshot();
  });
  onUpdate(messages.partnerSignContract, c.partnerSignRefusal, async ({ tokenHash, evidence }) => {
    // The link's email may reach the partner before its activity's answer reaches this workflow: wait for it.
    await condition(() => c.linkHash !== null || state.signatures.partner !== null || c.terminating);
    refuse(c.partnerSignBlocked(tokenHash, Date.now()));
    c.signByPartner(evidence, now());
    const { termsVersion } = state;
    const signed = { termsVersion, round: state.signatures.link?.round, ...(evidence ? { name: evidence.name, ip: evidence.ip } : {}) };
    await rec.audit('contract.signed_by_partner', signed);
    await rec.save();
    return steps.snapshot();
  });
  onUpdate(messages.terminateContract, c.terminateRefusal, async ({ actor, reason }) => {
    c.terminate(actor, reason, now());
    steps.activation?.cancel();
    // The answer comes once everything termination does is done: payout, notice, undoing, the final stage written.
    await condition(() => c.closedOut);
    return steps.snapshot();
  });

  if (!input.carried) {
    // Awaited inline, as before the move into classes: a wrapping async step would resume the process a tick later.
    await rec.save();
    await rec.audit('contract.created', steps.createdDetails(), { id: input.ownerId });
  }

  // --- Agreement: approvals, then signatures (for the first term, and a renegotiated one) ---------------------------
  while (state.stage === 'draft' || state.stage === 'in_approval' || state.stage === 'renegotiating') {
    if (state.stage !== 'in_approval') {
      await condition(() => c.submitted !== null || c.terminating);
      if (c.terminating) return steps.terminated();
      const by = c.submitted!;
      c.submitted = null;
      await steps.moveTo('in_approval', by);
    }
    c.amended = false;
    const policy = await loadContractPolicy();
    const need = requiredContractApprovals(policy, state.value, state.terms.currency);
    state.requiredRoles = need.roles;
    state.approvalReason = need.reason;
    const sla = (input.approvalSla ?? '3d') as Duration;
    const round = new ApprovalRound(inbox, {
      roles: need.roles,
      order: policy.approvalOrder,
      openEvery: true,
      stopped: () => c.terminating || c.amended,
      oneApprovalEach: { refusal: 'one person gives one of the approvals' },
      task: (role) => ({ ...c.approvalTask(role as 'legal' | 'admin', need.reason), sla }),
    });
    steps.roundTasks = round.tasks;
    while (await round.open()) {
      await round.decided();
      if (round.outcome() !== 'pending') break;
    }
    state.approvals = round.approvals();
    const rejection = round.rejection();
    await round.close(c.amended ? 'the terms changed: approvals cleared' : 'the round is over');
    if (c.terminating) return steps.terminated();
    if (c.amended) {
      state.approvals = [];
      steps.roundTasks = [];
      await rec.audit('contract.approvals_cleared', { termsVersion: state.termsVersion });
    } else if (rejection) {
      await steps.rejected(rejection);
      await steps.rejectedMail(rejection);
    } else {
      const by = state.approvals.map((a) => a.role).join(' and ');
      await steps.moveTo('awaiting_signatures', null, `approved by ${by} (${need.reason})`);
    }
  }

  // A renewed term keeps the signatures given: it is activated at once.
  const { signatures: signed } = state;
  if (state.stage === 'awaiting_signatures' && !(signed.internal && signed.partner)) {
    const policy = await loadContractPolicy();
    // One signing window for both signatures: unsigned by its end, the contract expires.
    const expiresAt = Date.now() + ms(policy.signatureExpiry);
    signed.expiresAt = new Date(expiresAt).toISOString();
    const untilReminder = () => Math.min(ms(policy.signatureReminderEvery), expiresAt - Date.now());
    // The internal signer first, reminded as often as the partner is.
    for (let round = 1; signed.internal === null && Date.now() < expiresAt; round++) {
      await steps.askInternalSigner(round);
      await condition(() => signed.internal !== null || c.terminating, untilReminder());
      if (c.terminating) return steps.terminated();
    }
    if (signed.internal === null) return steps.expire('the internal signer', policy);
    // The partner: a one-time link now and with every reminder (each replaces the last) until signed or expired.
    for (let round = 1; signed.partner === null && Date.now() < expiresAt; round++) {
      await steps.linkSent(round, await steps.issueLink(round, policy));
      await condition(() => signed.partner !== null || c.terminating, untilReminder());
      if (c.terminating) return steps.terminated();
    }
    if (signed.partner === null) return steps.expire('the partner', policy);
  }

  // --- Active: set up, then an evaluation per period and the renewal reminders, until the end or a termination ---
  if (state.stage !== 'active') {
    await steps.activate();
    if (c.terminating) {
      // The partner signed (and may have had the activation email): since this patch they are told of the end too.
      if (patched('notice-on-interrupted-activation')) await steps.noticeTermination();
      return steps.terminated();
    }
    state.activatedAt ??= now();
    await steps.moveTo('active', null);
  }

  const agenda = c.agenda(Date.now());
  let renewalTask: TaskView | null = null;
  const decision = () => (renewalTask?.status === 'completed' ? renewalTask.decision : null);
  for (const [i, item] of agenda.entries()) {
    c.planAhead(agenda.slice(i), decision() !== null);
    if (item.at > Date.now()) await condition(() => c.terminating, item.at - Date.now());
    if (c.terminating) {
      // The period under way is evaluated up to now, pro rata, and paid; the partner is told.
      const current = c.periodUnderWay(Date.now());
      if (current) await steps.evaluate(current, now());
      await steps.noticeTermination();
      return steps.terminated();
    }
    if (item.period) await steps.evaluate(item.period);
    else if (decision() === null) {
      await steps.remindRenewal(item.days!);
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
    await steps.undoActivation();
    const carried = c.nextTermState(chosen, decidedBy, now());
    const renewed = { term: carried.term, termsVersion: carried.termsVersion };
    await rec.audit(`contract.${chosen === 'renew' ? 'renewed' : 'renegotiating'}`, renewed, { id: decidedBy! });
    await inbox.settled();
    await condition(allHandlersFinished);
    return continueAsNew<typeof contract>({ ...input, carried, draft: false });
  }
  return steps.finish(
    'ended',
    chosen === 'expire' && decidedBy ? { id: decidedBy } : null,
    chosen === 'expire' ? 'not renewed' : 'the term ended without a renewal decision',
  );
}
