// An update a family's state machine may refuse: its validator throws the refusal as the failure the API maps to an
// HTTP status (409, 403, 422), before the update is written to history.
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { Refusal } from '../../domain/refusal.ts';

/** Throws a refusal (a validator's answer); nothing happens when there is none. */
export function refuse(refusal: Refusal | undefined): void {
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
}

/**
 * Registers `handler` as it is (no wrapper, so its commands and its answer come exactly when the handler's own
 * awaits say) behind a validator that throws what `refusal` answers for the update's argument at workflow time `now`.
 */
export function onUpdate<Ret, Arg>(
  update: UpdateDefinition<Ret, [Arg]>,
  refusal: (arg: NoInfer<Arg>, now: number) => Refusal | undefined,
  handler: (arg: NoInfer<Arg>) => Promise<Ret>,
): void {
  setHandler(update, handler, { validator: (arg: Arg) => refuse(refusal(arg, Date.now())) });
}
