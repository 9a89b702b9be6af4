// The movable timer: a durable wait until an instant that a handler may move (or clear) while it runs, as the
// updatable timer of Temporal's timer-examples sample. Campaign launches and content publishes wait on one; the
// customer lifecycle, whose deadline every event moves, on an alarm.
import { condition, sleep } from '@temporalio/workflow';
import { msUntil } from '../../domain/durations.ts';

export class MovableTimer {
  /** Reads the instant (ISO) each time the wait starts again; null means now. The state keeps the one copy. */
  private readonly dueAt: () => string | null;
  private wasMoved = false;

  constructor(dueAt: () => string | null) {
    this.dueAt = dueAt;
  }

  /** Called by the handler that changed the instant: the wait starts again from the new one. */
  moved(): void {
    this.wasMoved = true;
  }

  /**
   * The waits until the instant, one durable timer each (a move starts the next); they end early once `stop()`
   * holds. The caller awaits each itself, `for (const wait of timer.waits(stop)) await wait;`, so no async step
   * stands between the timer and the caller's next command (their order within a workflow task stays as it was).
   */
  *waits(stop: () => boolean): Generator<Promise<boolean>, void, unknown> {
    while (!stop()) {
      this.wasMoved = false;
      const at = this.dueAt();
      const waitMs = at ? msUntil(at, Date.now()) : 0;
      if (waitMs === 0) return;
      yield condition(() => stop() || this.wasMoved, waitMs);
      if (!this.wasMoved) return;
    }
  }
}

/**
 * A wake-up at an instant that moves with nearly every signal (a customer's inactivity deadline), kept without
 * cancelling timers. A lifecycle was seen stuck after a worker was killed, its workflow task refused on every retry
 * because the server would not take the cancel of its timer (BadCancelTimerAttributes); and a cancel and a new start
 * on every event cost two history events and a billed action each. Timers started here run to the end: a new one
 * starts only when none is due at or before the instant asked for, and one that rings early just wakes the loop,
 * which asks again for whatever is then due.
 */
export class Alarm {
  /** Instants (epoch ms) of the timers started and not yet fired. */
  private readonly pending = new Set<number>();
  private rang = false;

  /** Makes sure the alarm rings at or before `at` (epoch ms, in the future). */
  private setFor(at: number): void {
    for (const due of this.pending) if (due <= at) return;
    this.pending.add(at);
    sleep(at - Date.now()).then(
      () => {
        this.pending.delete(at);
        this.rang = true;
      },
      () => undefined, // the workflow was cancelled: its main wait ends it
    );
  }

  /**
   * Waits until `wake()` holds or a timer fires, having made sure one rings at or before `at` (epoch ms; null: no
   * instant, only `wake`). Not async: it hands back the condition's own promise, so no step of its own stands between
   * the timer and the caller's next command (as `MovableTimer.waits`). `takeRing()` after it says which it was.
   */
  wait(at: number | null, wake: () => boolean): Promise<void> {
    if (at !== null) this.setFor(at);
    return condition(() => wake() || this.rang);
  }

  /** Whether a timer fired since the last call (the loop's reason to look at the clock). */
  takeRing(): boolean {
    const rang = this.rang;
    this.rang = false;
    return rang;
  }
}
