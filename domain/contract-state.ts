// Pure: a contract's state machine over plain data. It says what each update may do and does it, moves the stage,
// lays out a term's calendar and builds the next term; the workflow feeds it decisions and the clock and carries out
// the side effects (writes, emails, tasks, activation).
import { hasRole, type Actor } from './actors.ts';
import {
  contractValue,
  isFinal,
  nextTerm,
  periodFraction,
  periodsOf,
  renewalReminders,
  sameHash,
  type ContractStage,
  type ContractState,
  type ContractTerms,
  type PartnerSignEvidence,
  type PayoutRecord,
  type Period,
  type RenewalDecision,
} from './contract.ts';
import { approvalsOf, makerRefusal, makersOf, type DecidedTask } from './maker-checker.ts';
import { refuseConflict, refuseForbidden, type Refusal } from './refusal.ts';

export interface NewContract {
  contractId: string;
  partner: { id: string; name: string; email: string };
  ownerId: string;
  signerId: string;
  terms: ContractTerms;
  /** Keep it a draft until submitted. */
  draft?: boolean;
}

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

export function newContractState(input: NewContract, at: string): ContractState {
  return {
    contractId: input.contractId,
    partnerId: input.partner.id,
    partnerName: input.partner.name,
    ownerId: input.ownerId,
    signerId: input.signerId,
    stage: input.draft ? 'draft' : 'in_approval',
    term: 1,
    termsVersion: 1,
    terms: input.terms,
    edits: [],
    value: contractValue(input.terms),
    requiredRoles: [],
    approvalReason: null,
    approvals: [],
    rejection: null,
    signatures: { internal: null, partner: null, link: null, expiresAt: null },
    activatedAt: null,
    trackingCode: null,
    evaluations: [],
    renewal: { taskId: null, decision: null, remindersSent: [] },
    termination: null,
    nextDates: { evaluationAt: null, renewalReminderAt: null, endAt: input.terms.end },
    history: [{ at, from: null, to: input.draft ? 'draft' : 'in_approval', actorId: input.ownerId }],
  };
}

/** A term's calendar entry: a period evaluated at its end, or a renewal reminder `days` before the term's end. */
export interface AgendaItem {
  at: number;
  period: Period | null;
  days: number | null;
}

const linkInvalid = 'this signing link is not valid (a newer one may have been sent)';
const linkExpired = 'this signing link has expired; a new one is sent with the next reminder';

export class Contract {
  readonly state: ContractState;
  /** The terms changed during an approval round: the round starts over. */
  amended = false;
  /** Who submitted the draft, until the process takes the submission up. */
  submitted: Actor | null = null;
  /** The hash of the one signing link that works; null while a new one is being issued, and once used. */
  linkHash: string | null = null;
  /** The final stage is written and everything termination does is done. */
  closedOut = false;

  constructor(state: ContractState) {
    this.state = state;
    // Runs continued as new before edits were kept carry none.
    state.edits = state.edits ?? [];
  }

  get entity(): { type: 'contract'; id: string } {
    return { type: 'contract', id: this.state.contractId };
  }

  get terminating(): boolean {
    return this.state.termination !== null;
  }

  /** Moves to `stage` and answers the stage left; a final stage is never left (null). */
  moveTo(stage: ContractStage, actorId: string | null, at: string, reason?: string): ContractStage | null {
    const s = this.state;
    if (isFinal(s.stage)) return null;
    const from = s.stage;
    s.stage = stage;
    s.history.push({ at, from, to: stage, actorId, ...(reason ? { reason } : {}) });
    return from;
  }

  private ownerRefusal(actor: Actor): Refusal | undefined {
    if (actor.id !== this.state.ownerId && !hasRole(actor, 'admin')) {
      return refuseForbidden("only the contract's owner or an admin may change it");
    }
    return undefined;
  }

  // The updates' validators take the update's arguments, so a workflow hands them over as they are.
  readonly amendRefusal = ({ actor, termsVersion }: { actor: Actor; termsVersion?: number }): Refusal | undefined => {
    const s = this.state;
    return (
      this.ownerRefusal(actor) ??
      (!['draft', 'in_approval', 'renegotiating'].includes(s.stage)
        ? refuseConflict(`terms can only change before signing; the contract is ${s.stage}`)
        : undefined) ??
      (termsVersion !== undefined && termsVersion !== s.termsVersion
        ? refuseConflict(`the terms changed since version ${termsVersion}; they are at ${s.termsVersion}`)
        : undefined)
    );
  };

  /** New terms: a new version, its editor noted, the approvals given cleared. */
  amend(actor: Actor, terms: ContractTerms, at: string): void {
    const s = this.state;
    s.terms = terms;
    s.termsVersion += 1;
    s.edits.push({ version: s.termsVersion, operatorId: actor.id, at });
    s.value = contractValue(terms);
    s.approvals = [];
    s.rejection = null;
    this.amended = true;
  }

  readonly submitRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { stage } = this.state;
    return (
      this.ownerRefusal(actor) ??
      (stage !== 'draft' && stage !== 'renegotiating' ? refuseConflict(`only a draft is submitted; the contract is ${stage}`) : undefined)
    );
  };

  readonly signRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const s = this.state;
    if (s.stage !== 'awaiting_signatures') return refuseConflict(`the contract is ${s.stage}, not awaiting signatures`);
    if (s.signatures.internal) return refuseConflict('the internal signature is already given');
    if (actor.id !== s.signerId && !hasRole(actor, 'admin')) {
      return refuseForbidden('only the designated internal signer (or an admin) signs');
    }
    return undefined;
  };

  signInternally(actor: Actor, at: string): void {
    this.state.signatures.internal = { operatorId: actor.id, at };
  }

  /**
   * The validator's check of a partner's signature. While a new link is being issued its hash is not known yet (its
   * email may arrive first): the API checked the token against PostgreSQL, and the handler waits for the hash.
   */
  readonly partnerSignRefusal = ({ tokenHash }: { tokenHash: string }, now: number): Refusal | undefined => {
    const s = this.state;
    if (s.signatures.partner) return refuseConflict('the partner has already signed; a signing link works once');
    if (s.stage !== 'awaiting_signatures' || !s.signatures.internal) {
      return refuseConflict(`the contract is ${s.stage}; it cannot be signed by the partner now`);
    }
    return this.linkHash === null ? undefined : this.linkRefusal(tokenHash, now);
  };

  /** The handler's check, once the link's hash is known (or the contract moved on). */
  partnerSignBlocked(tokenHash: string, now: number): Refusal | undefined {
    const s = this.state;
    if (s.signatures.partner || this.terminating) {
      return refuseConflict(`the contract cannot be signed now; it is ${s.stage}`);
    }
    return this.linkHash === null ? refuseForbidden(linkInvalid) : this.linkRefusal(tokenHash, now);
  }

  private linkRefusal(tokenHash: string, now: number): Refusal | undefined {
    if (!sameHash(tokenHash, this.linkHash!)) return refuseForbidden(linkInvalid);
    if (now >= Date.parse(this.state.signatures.link!.expiresAt)) return refuseForbidden(linkExpired);
    return undefined;
  }

  /** The partner's signature; the evidence only adds to the state, so runs signed before it replay as they were. */
  signByPartner(evidence: PartnerSignEvidence | undefined, at: string): void {
    this.state.signatures.partner = {
      at,
      ...(evidence ? { name: evidence.name, ip: evidence.ip, userAgent: evidence.userAgent } : {}),
    };
    this.linkHash = null; // one use
  }

  readonly terminateRefusal = ({ actor }: { actor: Actor }): Refusal | undefined => {
    const { stage } = this.state;
    return (
      this.ownerRefusal(actor) ??
      (isFinal(stage) ? refuseConflict(`the contract is already ${stage}`) : undefined) ??
      (this.terminating ? refuseConflict('the contract is being terminated') : undefined)
    );
  };

  terminate(actor: Actor, reason: string, at: string): void {
    this.state.termination = { reason, at, by: actor.id };
  }

  /** The read-model row (without its version): a final stage records when it was reached. */
  row(workflowId: string, at: string) {
    const s = this.state;
    return {
      id: s.contractId,
      workflowId,
      partnerId: s.partnerId,
      ownerId: s.ownerId,
      stage: s.stage,
      termsVersion: s.termsVersion,
      term: s.term,
      terms: s.terms,
      value: s.value,
      activatedAt: s.activatedAt,
      endedAt: isFinal(s.stage) ? at : null,
    };
  }

  /**
   * The approval task for one role: neither the owner nor the editor of these terms approves them, and one person
   * gives one of the round's approvals (`round`: its tasks so far, live).
   */
  approvalTask(role: 'legal' | 'admin', reason: string) {
    const s = this.state;
    const version = s.termsVersion;
    return {
      kind: 'contract_approval',
      title: `Approve the contract with ${s.partnerName} (terms v${version}, ${role})`,
      entity: this.entity,
      candidateRole: role,
      priority: role === 'admin' ? ('high' as const) : ('normal' as const),
      decisions: ['approve', 'reject'],
      escalationRole: 'ops_manager' as const,
      payload: { termsVersion: version, value: s.value, currency: s.terms.currency, reason },
      makers: makersOf(s.ownerId, s.edits, version),
      // Read when a decision comes, from the state as it is then.
      eligible: (actor: Actor) =>
        actor.id === s.ownerId
          ? 'the owner does not approve their own contract'
          : makerRefusal(s.edits, s.termsVersion, actor, `amended terms version ${s.termsVersion} of this contract`),
    };
  }

  /** The renewal decision's task, opened with the first renewal reminder. */
  renewalTask() {
    const s = this.state;
    return {
      kind: 'contract_renewal',
      title: `Renew the contract with ${s.partnerName}? It ends ${s.terms.end.slice(0, 10)}`,
      entity: this.entity,
      candidateRole: 'ops_manager' as const,
      priority: 'normal' as const,
      decisions: ['renew', 'renegotiate', 'expire'],
      payload: { term: s.term, end: s.terms.end },
    };
  }

  /** The state as queries and updates answer it: in approval, with the approvals given so far in the round. */
  view(round: readonly DecidedTask[]): ContractState {
    const s = this.state;
    return s.stage === 'in_approval' ? { ...s, approvals: approvalsOf(round) } : s;
  }

  /** What every email about the contract says. */
  get mail(): { contractId: string; partner: string } {
    return { contractId: this.state.contractId, partner: this.state.partnerName };
  }

  /** A period's evaluation request (`cutAt`: pro rata up to then). */
  evaluation(period: Period, cutAt?: string) {
    const { contractId, partnerId, term, terms } = this.state;
    const fraction = periodFraction(period, terms, cutAt);
    return { contractId, partnerId, term, period, fraction, terms, ...(cutAt ? { cutAt } : {}) };
  }

  /** A recorded payout as its audit event says it. */
  payoutDetails(record: PayoutRecord) {
    const { term, periodIndex: period, periodFrom: from, periodTo: to, fraction, total, score } = record;
    return { term, period, from, to, fraction, total, currency: this.state.terms.currency, score };
  }

  /** The request for a new signing link; `key` makes a retried request issue the same link. */
  signLink(round: number, validFor: string, key: string, partner: NewContract['partner']) {
    const { contractId, signatures, terms } = this.state;
    return { contractId, key, partner, validFor, reminder: round > 1, expiresAt: signatures.expiresAt!, terms };
  }

  /** What the term paid so far. */
  paid(): number {
    return this.state.evaluations.reduce((s, e) => s + e.total, 0);
  }

  /** This term's periods still to evaluate and its renewal reminders still ahead, in time order. */
  agenda(now: number): AgendaItem[] {
    const s = this.state;
    const done = new Set(s.evaluations.filter((e) => e.term === s.term).map((e) => e.periodIndex));
    const periods = periodsOf(s.terms.start, s.terms.end, s.terms.cadence).filter((p) => !done.has(p.index));
    return [
      ...periods.map((p): AgendaItem => ({ at: Date.parse(p.to), period: p, days: null })),
      ...renewalReminders(s.terms.end, s.terms.renewalNotice, now).map((r): AgendaItem => ({
        at: Date.parse(r.at),
        period: null,
        days: r.days,
      })),
    ].sort((a, b) => a.at - b.at || (a.period ? -1 : 1));
  }

  /** The dates the API shows from what is still ahead; the reminder only while no renewal decision is taken. */
  planAhead(ahead: AgendaItem[], decided: boolean): void {
    const reminder = decided ? undefined : ahead.find((a) => a.days !== null);
    this.state.nextDates = {
      evaluationAt: ahead.find((a) => a.period)?.period?.to ?? null,
      renewalReminderAt: reminder ? new Date(reminder.at).toISOString() : null,
      endAt: this.state.terms.end,
    };
  }

  /** The period under way at `now`, if it is not evaluated yet (a termination pays it pro rata). */
  periodUnderWay(now: number): Period | undefined {
    const s = this.state;
    const current = periodsOf(s.terms.start, s.terms.end, s.terms.cadence).find((p) => Date.parse(p.from) <= now && now < Date.parse(p.to));
    const evaluated = (p: Period) => s.evaluations.some((e) => e.term === s.term && e.periodIndex === p.index);
    return current && !evaluated(current) ? current : undefined;
  }

  /** The next term's state after a renewal decision: renewed keeps the signatures, renegotiated starts over. */
  nextTermState(chosen: 'renew' | 'renegotiate', decidedBy: string | null, at: string): ContractState {
    const s = this.state;
    const terms = nextTerm(s.terms);
    const stage = nextStage(chosen);
    return {
      ...s,
      term: s.term + 1,
      termsVersion: s.termsVersion + 1,
      terms,
      value: contractValue(terms),
      stage,
      approvals: [],
      rejection: null,
      signatures:
        chosen === 'renew'
          ? { internal: s.signatures.internal, partner: s.signatures.partner, link: null, expiresAt: null }
          : { internal: null, partner: null, link: null, expiresAt: null },
      renewal: { taskId: null, decision: null, remindersSent: [] },
      trackingCode: null,
      history: [...s.history, { at, from: s.stage, to: stage, actorId: decidedBy, reason: chosen }],
    };
  }
}

/** Where a renewal decision takes the next term: straight to activation, or back through approvals and signatures. */
const nextStage = (chosen: RenewalDecision): ContractStage => (chosen === 'renew' ? 'awaiting_signatures' : 'renegotiating');
