// A partner contract from draft to its end: approvals (legal, and admin above a value), signatures in order (the
// internal signer, then the partner through one-time links with reminders), activation, an evaluation and payout
// per period, renewal reminders and the renewal decision, and termination with the activation undone.
import {
  ActivityCancellationType,
  allHandlersFinished,
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
import {
  amendContract,
  getContract,
  partnerSignContract,
  signContract,
  submitContract,
  terminateContract,
  type PartnerSignArgs,
} from './contract.messages.ts';
import {
  contractValue,
  isFinal,
  nextTerm,
  periodFraction,
  periodsOf,
  renewalReminders,
  requiredContractApprovals,
  sameHash,
  type ContractStage,
  type ContractState,
  type ContractTerms,
  type Period,
  type RenewalDecision,
} from '../domain/contract.ts';
import { hasRole, type Actor } from '../domain/actors.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';
import { conflict, forbidden } from './lib/failures.ts';
import { notify } from './lib/notify.ts';
import { approvalsOf, makerRefusal, makersOf, TaskInbox, type TaskView } from './lib/tasks.ts';
import { durationToMs } from '../domain/durations.ts';

type Activities = ReturnType<typeof createContractActivities>;
const { loadContractPolicy, saveContract, revokePartnerCode, evaluateContractPeriod } = proxyActivities<Activities>(profiles.db);
/** An activation step a termination interrupts is waited for, so its undoing comes after it, never beside it. */
const { activatePartnerCode } = proxyActivities<Activities>({ ...profiles.db, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
const { issueSignLink } = proxyActivities<Activities>(profiles.send);

export interface ContractInput {
  contractId: string;
  partner: { id: string; name: string; email: string };
  ownerId: string;
  signerId: string;
  terms: ContractTerms;
  /** Keep it a draft until submitted. */
  draft?: boolean;
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

export async function contract(input: ContractInput): Promise<ContractResult> {
  const entity = { type: 'contract', id: input.contractId };
  const owner = [{ operatorId: input.ownerId }];
  const partnerMail = [{ address: input.partner.email, name: input.partner.name }];
  const inbox = new TaskInbox();
  const now = () => new Date(Date.now()).toISOString();
  const state: ContractState = input.carried ?? {
    contractId: input.contractId, partnerId: input.partner.id, partnerName: input.partner.name, ownerId: input.ownerId,
    signerId: input.signerId, stage: input.draft ? 'draft' : 'in_approval', term: 1, termsVersion: 1, terms: input.terms, edits: [],
    value: contractValue(input.terms), requiredRoles: [], approvalReason: null, approvals: [], rejection: null,
    signatures: { internal: null, partner: null, link: null, expiresAt: null }, activatedAt: null, trackingCode: null,
    evaluations: [], renewal: { taskId: null, decision: null, remindersSent: [] }, termination: null,
    nextDates: { evaluationAt: null, renewalReminderAt: null, endAt: input.terms.end }, history: [],
  };
  // Runs continued as new before edits were kept carry none.
  state.edits = state.edits ?? [];
  let version = input.carried ? 1_000 * state.term : 0;
  let amended = false;
  let submitted: Actor | null = null;
  let linkHash: string | null = null;
  let activation: CancellationScope | null = null;
  let roundTasks: TaskView[] = [];
  /** Undo steps of what activation set up, newest first; they run even when a termination interrupts activation. */
  const compensations: (() => Promise<void>)[] = [];

  const save = async () => {
    version += 1;
    await saveContract({
      id: state.contractId, workflowId: workflowInfo().workflowId, partnerId: state.partnerId, ownerId: state.ownerId,
      stage: state.stage, termsVersion: state.termsVersion, term: state.term, terms: state.terms, value: state.value,
      activatedAt: state.activatedAt, endedAt: isFinal(state.stage) ? now() : null, version,
    });
  };
  const moveTo = async (stage: ContractStage, actor: Pick<Actor, 'id'> | null, reason?: string) => {
    if (isFinal(state.stage)) return;
    const from = state.stage;
    state.stage = stage;
    state.history.push({ at: now(), from, to: stage, actorId: actor?.id ?? null, ...(reason ? { reason } : {}) });
    await save();
    await audit(`contract.${stage}`, entity, { from, term: state.term, termsVersion: state.termsVersion, ...(reason ? { reason } : {}) }, actor ?? undefined);
  };
  const terminating = () => state.termination !== null;
  const requireOwner = (actor: Actor) => {
    if (actor.id !== state.ownerId && !hasRole(actor, 'admin')) throw forbidden("only the contract's owner or an admin may change it");
  };

  setHandler(getContract, () => view());

  setHandler(amendContract, async ({ actor, terms }) => {
    state.terms = terms;
    state.termsVersion += 1;
    state.edits.push({ version: state.termsVersion, operatorId: actor.id, at: now() });
    state.value = contractValue(terms);
    state.approvals = [];
    roundTasks = [];
    state.rejection = null;
    amended = true;
    await save();
    await audit('contract.amended', entity, { termsVersion: state.termsVersion, approvalsCleared: true }, actor);
    return snapshot();
  }, {
    validator: ({ actor, termsVersion }) => {
      requireOwner(actor);
      if (!['draft', 'in_approval', 'renegotiating'].includes(state.stage)) throw conflict(`terms can only change before signing; the contract is ${state.stage}`);
      if (termsVersion !== undefined && termsVersion !== state.termsVersion) throw conflict(`the terms changed since version ${termsVersion}; they are at ${state.termsVersion}`);
    },
  });

  setHandler(submitContract, async ({ actor }) => {
    submitted = actor;
    await condition(() => submitted === null || isFinal(state.stage));
    return snapshot();
  }, {
    validator: ({ actor }) => {
      requireOwner(actor);
      if (state.stage !== 'draft' && state.stage !== 'renegotiating') throw conflict(`only a draft is submitted; the contract is ${state.stage}`);
    },
  });

  setHandler(signContract, async ({ actor }) => {
    state.signatures.internal = { operatorId: actor.id, at: now() };
    await audit('contract.signed_internally', entity, { termsVersion: state.termsVersion }, actor);
    await save();
    return snapshot();
  }, {
    validator: ({ actor }) => {
      if (state.stage !== 'awaiting_signatures') throw conflict(`the contract is ${state.stage}, not awaiting signatures`);
      if (state.signatures.internal) throw conflict('the internal signature is already given');
      if (actor.id !== state.signerId && !hasRole(actor, 'admin')) throw forbidden('only the designated internal signer (or an admin) signs');
    },
  });

  setHandler(partnerSignContract, async ({ tokenHash, evidence }) => {
    // The link's email may reach the partner before its activity's answer reaches this workflow: wait for it.
    await condition(() => linkHash !== null || state.signatures.partner !== null || terminating());
    if (state.signatures.partner || terminating()) throw conflict(`the contract cannot be signed now; it is ${state.stage}`);
    if (tokenHash !== linkHash) throw forbidden('this signing link is not valid (a newer one may have been sent)');
    if (Date.now() >= Date.parse(state.signatures.link!.expiresAt)) throw forbidden('this signing link has expired; a new one is sent with the next reminder');
    // The evidence only adds to the state (no command changes), so runs signed before it replay as they were.
    state.signatures.partner = { at: now(), ...(evidence ? { name: evidence.name, ip: evidence.ip, userAgent: evidence.userAgent } : {}) };
    linkHash = null; // one use
    await audit('contract.signed_by_partner', entity, {
      termsVersion: state.termsVersion, round: state.signatures.link?.round, ...(evidence ? { name: evidence.name, ip: evidence.ip } : {}),
    });
    await save();
    return snapshot();
  }, {
    // A wrong or expired token is refused here, before the Update is written to history. While a new link is being
    // issued its hash is not known yet (its email may arrive first): the API checked the token against PostgreSQL.
    validator: ({ tokenHash }: PartnerSignArgs) => {
      if (state.signatures.partner) throw conflict('the partner has already signed; a signing link works once');
      if (state.stage !== 'awaiting_signatures' || !state.signatures.internal) throw conflict(`the contract is ${state.stage}; it cannot be signed by the partner now`);
      if (linkHash === null) return;
      if (!sameHash(tokenHash, linkHash)) throw forbidden('this signing link is not valid (a newer one may have been sent)');
      if (Date.now() >= Date.parse(state.signatures.link!.expiresAt)) throw forbidden('this signing link has expired; a new one is sent with the next reminder');
    },
  });

  setHandler(terminateContract, async ({ actor, reason }) => {
    state.termination = { reason, at: now(), by: actor.id };
    activation?.cancel();
    // The answer comes once everything termination does is done: payout, notice, undoing, the final stage written.
    await condition(() => closedOut);
    return snapshot();
  }, {
    validator: ({ actor }) => {
      requireOwner(actor);
      if (isFinal(state.stage)) throw conflict(`the contract is already ${state.stage}`);
      if (terminating()) throw conflict('the contract is being terminated');
    },
  });

  /** The state, with the approvals given so far in a round under way. */
  const view = (): ContractState => (state.stage === 'in_approval'
    ? { ...state, approvals: approvalsOf(roundTasks) }
    : state);
  const snapshot = (): ContractState => JSON.parse(JSON.stringify(view()));
  let closedOut = false;

  /** Runs the undo steps of this term's activation, newest first, in a scope nothing cancels. */
  const undoActivation = () => CancellationScope.nonCancellable(async () => {
    for (const undo of compensations.splice(0).reverse()) await undo();
  });
  /** Ends the contract: what activation set up is undone (in its own scope: nothing cancels it), tasks closed. */
  const finish = async (stage: ContractStage, actor: Pick<Actor, 'id'> | null, reason?: string): Promise<ContractResult> => {
    await undoActivation();
    state.nextDates = { evaluationAt: null, renewalReminderAt: null, endAt: state.terms.end };
    const paid = Math.round(state.evaluations.reduce((s, e) => s + e.total, 0) * 100) / 100;
    if (state.activatedAt) await audit('contract.settled', entity, { stage, paid, currency: state.terms.currency, periods: state.evaluations.length });
    await inbox.cancelOpen(`contract ${stage}`);
    await moveTo(stage, actor, reason);
    await inbox.settled();
    closedOut = true;
    await condition(allHandlersFinished);
    return { stage: state.stage, term: state.term, paid: state.evaluations.reduce((s, e) => s + e.total, 0) };
  };
  const terminated = () => finish('terminated', { id: state.termination!.by }, state.termination!.reason);
  const noticeTermination = () => notify(`terminated:t${state.term}`, partnerMail, 'contractTerminated', {
    contractId: state.contractId, partner: state.partnerName, reason: state.termination!.reason,
  });

  if (!input.carried) {
    state.history.push({ at: now(), from: null, to: state.stage, actorId: input.ownerId });
    await save();
    await audit('contract.created', entity, { stage: state.stage, value: state.value, currency: state.terms.currency }, { id: input.ownerId });
  }

  // --- Agreement: approvals, then signatures (for the first term, and a renegotiated one) ---------------------------
  while (state.stage === 'draft' || state.stage === 'in_approval' || state.stage === 'renegotiating') {
    if (state.stage !== 'in_approval') {
      await condition(() => submitted !== null || terminating());
      if (terminating()) return terminated();
      const by = submitted!;
      submitted = null;
      await moveTo('in_approval', by);
    }
    amended = false;
    const policy = await loadContractPolicy();
    const need = requiredContractApprovals(policy, state.value, state.terms.currency);
    state.requiredRoles = need.roles;
    state.approvalReason = need.reason;
    const tasks: TaskView[] = [];
    roundTasks = tasks;
    const open = async (role: 'legal' | 'admin') => tasks.push(await inbox.open({
      kind: 'contract_approval', title: `Approve the contract with ${state.partnerName} (terms v${state.termsVersion}, ${role})`, entity,
      candidateRole: role, priority: role === 'admin' ? 'high' : 'normal', decisions: ['approve', 'reject'],
      sla: (input.approvalSla ?? '3d') as Duration, escalationRole: 'ops_manager',
      payload: { termsVersion: state.termsVersion, value: state.value, currency: state.terms.currency, reason: need.reason },
      makers: makersOf(state.ownerId, state.edits, state.termsVersion),
      eligible: (actor, task) => (actor.id === state.ownerId ? 'the owner does not approve their own contract'
        : makerRefusal(state.edits, state.termsVersion, actor, `amended terms version ${state.termsVersion} of this contract`)
          ?? (tasks.some((t) => t.id !== task.id && t.decidedBy === actor.id) ? 'one person gives one of the approvals' : undefined)),
    }));
    const rejected = () => tasks.find((t) => t.status === 'completed' && t.decision === 'reject');
    const settled = (n: number) => tasks.length === n && tasks.every((t) => t.status === 'completed');
    const interrupted = () => terminating() || amended || rejected() !== undefined;
    if (policy.approvalOrder === 'parallel') {
      for (const role of need.roles) await open(role);
      await condition(() => interrupted() || settled(need.roles.length));
    } else {
      for (const [i, role] of need.roles.entries()) {
        await open(role);
        await condition(() => interrupted() || settled(i + 1));
        if (interrupted()) break;
      }
    }
    state.approvals = approvalsOf(tasks);
    const rejection = rejected();
    await Promise.all(tasks.map((t) => inbox.cancel(t.id, amended ? 'the terms changed: approvals cleared' : 'the round is over')));
    if (terminating()) return terminated();
    if (amended) {
      state.approvals = [];
      roundTasks = [];
      await audit('contract.approvals_cleared', entity, { termsVersion: state.termsVersion });
      continue;
    }
    if (rejection) {
      state.rejection = { operatorId: rejection.decidedBy!, comment: rejection.comment, at: rejection.decidedAt! };
      await moveTo('draft', { id: rejection.decidedBy! }, `rejected: ${rejection.comment ?? 'no comment'}`);
      await notify(`rejected:v${state.termsVersion}`, owner, 'contractRejected', {
        contractId: state.contractId, partner: state.partnerName, comment: rejection.comment ?? '',
      });
      continue;
    }
    await moveTo('awaiting_signatures', null, `approved by ${state.approvals.map((a) => a.role).join(' and ')} (${need.reason})`);
  }

  // A renewed term keeps the signatures given: it is activated at once.
  if (state.stage === 'awaiting_signatures' && !(state.signatures.internal && state.signatures.partner)) {
    const policy = await loadContractPolicy();
    // One signing window for both signatures: unsigned by its end, the contract expires.
    const expiresAt = Date.now() + ms(policy.signatureExpiry);
    state.signatures.expiresAt = new Date(expiresAt).toISOString();
    const expire = async (who: string) => {
      await notify(`sign-expired:t${state.term}:v${state.termsVersion}`, owner, 'contractSignatureExpired', {
        contractId: state.contractId, partner: state.partnerName,
      });
      return finish('expired', null, `${who} did not sign within ${policy.signatureExpiry}`);
    };
    // The internal signer first, reminded as often as the partner is.
    for (let round = 1; state.signatures.internal === null && Date.now() < expiresAt; round++) {
      await notify(`sign-internal:t${state.term}:v${state.termsVersion}${round > 1 ? `:r${round}` : ''}`, [{ operatorId: state.signerId }], 'contractToSign', {
        contractId: state.contractId, partner: state.partnerName, termsVersion: state.termsVersion, expiresAt: state.signatures.expiresAt,
      });
      await condition(() => state.signatures.internal !== null || terminating(), Math.min(ms(policy.signatureReminderEvery), expiresAt - Date.now()));
      if (terminating()) return terminated();
    }
    if (state.signatures.internal === null) return expire('the internal signer');
    // The partner: a one-time link now and with every reminder (each replaces the last) until signed or expired.
    for (let round = 1; state.signatures.partner === null && Date.now() < expiresAt; round++) {
      // The new link's email may reach the partner before its hash reaches this workflow: until then no hash is
      // known, so the validator lets the API's check stand and the handler waits for the new hash.
      if (patched('sign-link-pending')) linkHash = null;
      const link = await issueSignLink({
        contractId: state.contractId, key: `${workflowInfo().workflowId}:t${state.term}:v${state.termsVersion}:link:${round}`,
        partner: input.partner, validFor: policy.linkValidity, reminder: round > 1, expiresAt: state.signatures.expiresAt!, terms: state.terms,
      });
      linkHash = link.tokenHash;
      state.signatures.link = { round, sentAt: now(), expiresAt: link.expiresAt };
      await save();
      await audit('contract.sign_link_sent', entity, { round, expiresAt: link.expiresAt });
      const wait = Math.min(ms(policy.signatureReminderEvery), expiresAt - Date.now());
      await condition(() => state.signatures.partner !== null || terminating(), wait);
      if (terminating()) return terminated();
    }
    if (state.signatures.partner === null) return expire('the partner');
  }

  // --- Active: set up, then an evaluation per period and the renewal reminders, until the end or a termination ---
  if (state.stage !== 'active') {
    activation = new CancellationScope();
    try {
      await activation.run(async () => {
        compensations.push(async () => {
          await revokePartnerCode({ contractId: state.contractId, term: state.term });
          await audit('contract.tracking_code_revoked', entity, { term: state.term, code: state.trackingCode });
          state.trackingCode = null;
        });
        const { code } = await activatePartnerCode({ contractId: state.contractId, partnerId: state.partnerId, term: state.term });
        state.trackingCode = code;
        await audit('contract.tracking_code_issued', entity, { term: state.term, code });
        await notify(`activated:t${state.term}`, partnerMail, 'contractActivated', {
          contractId: state.contractId, partner: state.partnerName, code, start: state.terms.start, end: state.terms.end,
        });
      });
    } catch (err) {
      if (!isCancellation(err)) throw err;
    }
    activation = null;
    if (terminating()) {
      // The partner signed (and may have had the activation email): since this patch they are told of the end too.
      if (patched('notice-on-interrupted-activation')) await noticeTermination();
      return terminated();
    }
    state.activatedAt ??= now();
    await moveTo('active', null);
  }

  const periods = periodsOf(state.terms.start, state.terms.end, state.terms.cadence);
  const evaluate = async (p: Period, cutAt?: string) => {
    const record = await evaluateContractPeriod({
      contractId: state.contractId, partnerId: state.partnerId, term: state.term, period: p,
      fraction: periodFraction(p, state.terms.cadence, cutAt), terms: state.terms, ...(cutAt ? { cutAt } : {}),
    });
    state.evaluations.push(record);
    await audit('contract.payout_recorded', entity, {
      term: record.term, period: record.periodIndex, from: record.periodFrom, to: record.periodTo, fraction: record.fraction,
      total: record.total, currency: state.terms.currency, score: record.score,
    });
    await notify(`evaluation:t${state.term}:p${p.index}`, owner, 'contractEvaluation', {
      contractId: state.contractId, partner: state.partnerName, record, currency: state.terms.currency,
    });
  };
  const done = new Set(state.evaluations.filter((e) => e.term === state.term).map((e) => e.periodIndex));
  const agenda = [
    ...periods.filter((p) => !done.has(p.index)).map((p) => ({ at: Date.parse(p.to), period: p, days: null as number | null })),
    ...renewalReminders(state.terms.end, state.terms.renewalNotice, Date.now()).map((r) => ({ at: Date.parse(r.at), period: null, days: r.days as number | null })),
  ].sort((a, b) => a.at - b.at || (a.period ? -1 : 1));
  let renewalTask = null as TaskView | null;
  const decision = (): RenewalDecision | null => (renewalTask?.status === 'completed' ? renewalTask.decision as RenewalDecision : null);
  const openRenewal = async () => {
    renewalTask = await inbox.open({
      kind: 'contract_renewal', title: `Renew the contract with ${state.partnerName}? It ends ${state.terms.end.slice(0, 10)}`, entity,
      candidateRole: 'ops_manager', priority: 'normal', decisions: ['renew', 'renegotiate', 'expire'],
      payload: { term: state.term, end: state.terms.end },
    });
    state.renewal.taskId = renewalTask.id;
  };
  for (const [i, item] of agenda.entries()) {
    const ahead = agenda.slice(i);
    const reminder = decision() === null ? ahead.find((a) => a.days !== null) : undefined;
    state.nextDates = {
      evaluationAt: ahead.find((a) => a.period)?.period?.to ?? null,
      renewalReminderAt: reminder ? new Date(reminder.at).toISOString() : null,
      endAt: state.terms.end,
    };
    if (item.at > Date.now()) await condition(terminating, item.at - Date.now());
    if (terminating()) {
      // The period under way is evaluated up to now, pro rata, and paid; the partner is told.
      const current = periods.find((p) => Date.parse(p.from) <= Date.now() && Date.now() < Date.parse(p.to));
      if (current && !state.evaluations.some((e) => e.term === state.term && e.periodIndex === current.index)) await evaluate(current, now());
      await noticeTermination();
      return terminated();
    }
    if (item.period) await evaluate(item.period);
    else if (decision() === null) {
      state.renewal.remindersSent.push(item.days!);
      await notify(`renewal:t${state.term}:${item.days}d`, owner, 'contractRenewalReminder', {
        contractId: state.contractId, partner: state.partnerName, end: state.terms.end, daysLeft: item.days!,
      });
      if (!renewalTask) await openRenewal();
    }
  }

  // --- The end of the term: renew (a new term, the same contract), renegotiate, or, undecided, it ends ------------
  const chosen = decision();
  if (chosen === 'renew' || chosen === 'renegotiate') {
    await undoActivation();
    const terms = nextTerm(state.terms);
    const carried: ContractState = {
      ...state, term: state.term + 1, termsVersion: state.termsVersion + 1, terms, value: contractValue(terms),
      stage: nextStage(chosen), approvals: [], rejection: null,
      signatures: chosen === 'renew'
        ? { internal: state.signatures.internal, partner: state.signatures.partner, link: null, expiresAt: null }
        : { internal: null, partner: null, link: null, expiresAt: null },
      renewal: { taskId: null, decision: null, remindersSent: [] }, trackingCode: null,
      history: [...state.history, { at: now(), from: state.stage, to: nextStage(chosen), actorId: renewalTask!.decidedBy, reason: chosen }],
    };
    await audit(`contract.${chosen === 'renew' ? 'renewed' : 'renegotiating'}`, entity, { term: carried.term, termsVersion: carried.termsVersion }, { id: renewalTask!.decidedBy! });
    await inbox.settled();
    await condition(allHandlersFinished);
    return continueAsNew<typeof contract>({ ...input, carried, draft: false });
  }
  return finish('ended', chosen === 'expire' && renewalTask?.decidedBy ? { id: renewalTask.decidedBy } : null,
    chosen === 'expire' ? 'not renewed' : 'the term ended without a renewal decision');
}

/** Where a renewal decision takes the next term: straight to activation, or back through approvals and signatures. */
const nextStage = (chosen: RenewalDecision): ContractStage => (chosen === 'renew' ? 'awaiting_signatures' : 'renegotiating');
