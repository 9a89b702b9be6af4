// Pure: who may claim, release, assign or decide a human task, whichever family opened it. A family adds its own
// rule (four eyes, no self-approval) as `eligible`: a refusal reason for an operator, or undefined.
import { hasRole, type Actor, type Role } from './actors.ts';
import { refuseConflict, refuseForbidden, refuseUnprocessable, type Refusal } from './refusal.ts';

/** The task as its rules see it. */
export interface TaskFacts {
  id: string;
  status: string;
  assigneeId: string | null;
  candidateRole: Role;
}

/** The family's rule for this task: why `actor` may not take it (or give `decision`), or undefined. */
export type Eligible = (actor: Actor, decision?: string) => string | undefined;

export const isClosed = (t: { status: string }): boolean => t.status === 'completed' || t.status === 'cancelled';

/**
 * Before a claim or a decision: the actor holds the role (first, so someone who may not decide the task learns
 * nothing of its state), the task is open and not someone else's.
 */
function decideRefusal(t: TaskFacts, actor: Actor): Refusal | undefined {
  if (!hasRole(actor, t.candidateRole)) return refuseForbidden(`task ${t.id} needs the ${t.candidateRole} role`);
  if (isClosed(t)) return refuseConflict(`task ${t.id} is already ${t.status}`);
  if (t.assigneeId !== null && t.assigneeId !== actor.id) return refuseConflict(`task ${t.id} is claimed by another operator`);
  return undefined;
}

const ineligible = (reason: string | undefined) => (reason ? refuseForbidden(reason) : undefined);

export function claimRefusal(t: TaskFacts, actor: Actor, eligible: Eligible): Refusal | undefined {
  return decideRefusal(t, actor) ?? (t.assigneeId === actor.id ? undefined : ineligible(eligible(actor)));
}

export function releaseRefusal(t: TaskFacts, actor: Actor): Refusal | undefined {
  if (isClosed(t)) return refuseConflict(`task ${t.id} is already ${t.status}`);
  if (t.assigneeId === null) return refuseConflict(`task ${t.id} is not claimed`);
  if (t.assigneeId !== actor.id && !hasRole(actor, 'admin')) return refuseForbidden('only the assignee or an admin may release this task');
  return undefined;
}

/** An ops manager or an admin hands an open task to someone who may decide it. */
export function assignRefusal(t: TaskFacts, actor: Actor, assignee: Actor, eligible: Eligible): Refusal | undefined {
  if (!hasRole(actor, 'admin') && !hasRole(actor, 'ops_manager')) return refuseForbidden('only an ops manager or an admin assigns tasks');
  if (isClosed(t)) return refuseConflict(`task ${t.id} is already ${t.status}`);
  if (!hasRole(assignee, t.candidateRole)) return refuseUnprocessable(`the assignee needs the ${t.candidateRole} role`);
  if (t.assigneeId === assignee.id) return refuseConflict(`task ${t.id} is already theirs`);
  const reason = eligible(assignee);
  return reason ? refuseUnprocessable(`the assignee may not take this task: ${reason.replace(/^you /, 'they ')}`) : undefined;
}

export function completeRefusal(
  t: TaskFacts,
  actor: Actor,
  decision: string,
  decisions: readonly string[],
  eligible: Eligible,
): Refusal | undefined {
  return (
    decideRefusal(t, actor) ??
    (decisions.includes(decision) ? undefined : refuseUnprocessable(`decision must be one of: ${decisions.join(', ')}`)) ??
    ineligible(eligible(actor, decision))
  );
}
