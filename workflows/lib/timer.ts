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
   * Waits until the instant, or until `stop()` holds; true when the instant came first. One timer per wait, a new
   * one each time the instant moves (a move before the wait starts costs nothing).
   */
  async wait(stop: () => boolean): Promise<boolean> {
    while (!stop()) {
      this.wasMoved = false;
      const at = this.dueAt();
      const waitMs = at ? msUntil(at, Date.now()) : 0;
      if (waitMs === 0) break;
      await condition(() => stop() || this.wasMoved, waitMs);
      if (!this.wasMoved) break;
    }
    return !stop();
  }
}
