// Pure: maker-checker rules for anything under approval: whoever made the version under approval never approves it.
import type { Role } from './actors.ts';

/** One change to something under approval: the version it made, who made it and when (ISO). */
export interface VersionEdit {
  version: number;
  operatorId: string;
  at: string;
}

/** The owner and the last editor of this version: the operators a task about it is not for. */
export function makersOf(owner: string | null | undefined, edits: readonly VersionEdit[] | undefined, version: number): string[] {
  const editor = (edits ?? []).filter((e) => e.version === version).at(-1)?.operatorId;
  return [...new Set([owner, editor].filter((id): id is string => Boolean(id)))];
}

/**
 * The refusal for an `eligible` hook when the actor made the version (its last editor), or undefined; `made` says
 * what they did in the family's words ("edited revision 3 of this campaign").
 */
export function makerRefusal(
  edits: readonly VersionEdit[] | undefined,
  version: number,
  actor: { id: string },
  made: string,
  decide = 'approve',
): string | undefined {
  const maker = (edits ?? []).filter((e) => e.version === version).at(-1);
  return maker?.operatorId === actor.id ? `you ${made}; someone else must ${decide} it` : undefined;
}

/** A decided approval task, as far as the approvals it gives go. */
export interface DecidedTask {
  status: string;
  decision: string | null;
  candidateRole: Role;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
}

/** The approvals among these tasks: who approved, in which role, when, with what comment. */
export const approvalsOf = (tasks: readonly DecidedTask[]) =>
  tasks
    .filter((t) => t.status === 'completed' && t.decision === 'approve')
    .map((t) => ({ role: t.candidateRole, operatorId: t.decidedBy!, at: t.decidedAt!, comment: t.comment }));
