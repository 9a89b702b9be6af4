// The movable timer: a durable wait until an instant that a handler may move (or clear) while it runs, as the
// updatable timer of Temporal's timer-examples sample. Campaign launches and content publishes wait on one.
import { condition } from '@temporalio/workflow';
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
