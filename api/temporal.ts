// Every Temporal call the API makes goes through one gate: a known-down server answers 503 at once, a server that
// goes down during a call answers 503 as soon as the channel says so, and nothing outlives the deadline by more than
// a small margin (the client's own retries of UNAVAILABLE would otherwise run 10-15 s past it).
import type { Client } from '@temporalio/client';
import { grpcCode, HttpError, temporalUnavailable } from './errors.ts';

/** grpc-js connectivity states (`@grpc/grpc-js` connectivityState), not imported: the API uses the client only. */
const TRANSIENT_FAILURE = 3;
const SHUTDOWN = 4;
/** How long past its deadline a call may run before the gate answers for it. */
export const DEADLINE_MARGIN_MS = 250;

interface Channel {
  getConnectivityState(tryToConnect: boolean): number;
  watchConnectivityState(current: number, deadline: Date | number, callback: (error?: Error) => void): void;
}

const deadlinePassed = () =>
  new HttpError(504, 'timeout', 'no answer from the workflow service before the deadline; read the item again before retrying');

/** The gRPC channel under a client, where there is one (a native or test connection may not expose it). */
function channelOf(client: Client): Channel | undefined {
  const grpcClient = (client.connection as { client?: { getChannel?: () => Channel } }).client;
  return grpcClient?.getChannel?.();
}

export type TemporalCall = <T>(call: () => Promise<T>, deadlineMs?: number) => Promise<T>;

export function temporalGate(client: Client, defaultDeadlineMs: number): TemporalCall {
  const channel = channelOf(client);
  const failing = () => {
    // tryToConnect: an idle channel starts reconnecting, so the gate reopens as soon as the server is back.
    const state = channel?.getConnectivityState(true);
    return state === TRANSIENT_FAILURE || state === SHUTDOWN;
  };
  // The channel failing while calls wait (the server went away) answers them now, not after the client's retries.
  // One watcher for all calls in flight: a watcher per call stayed registered (with its timer) until its deadline.
  const waiting = new Set<() => void>();
  let watching = false;
  const watch = (state: number) => {
    try {
      channel!.watchConnectivityState(state, Infinity, () => {
        if (failing()) for (const fail of waiting) fail();
        if (waiting.size === 0) watching = false;
        else watch(channel!.getConnectivityState(false));
      });
      watching = true;
    } catch {
      watching = false; // the channel was shut down: failing() answers every call from now on
    }
  };
  return <T>(call: () => Promise<T>, deadlineMs = defaultDeadlineMs): Promise<T> => {
    if (failing()) return Promise.reject(temporalUnavailable());
    const deadline = Date.now() + deadlineMs;
    const abort = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (err: unknown, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        waiting.delete(fail);
        if (err !== undefined) {
          abort.abort();
          reject(err);
        } else resolve(value as T);
      };
      const fail = () => finish(temporalUnavailable());
      const timer = setTimeout(() => finish(failing() ? temporalUnavailable() : deadlinePassed()), deadlineMs + DEADLINE_MARGIN_MS);
      if (channel) {
        waiting.add(fail);
        if (!watching) watch(channel.getConnectivityState(false));
      }
      client
        .withAbortSignal(abort.signal, () => client.withDeadline(deadline, call))
        .then(
          (value) => finish(undefined, value),
          (err: unknown) => finish(grpcCode(err) !== undefined && failing() ? temporalUnavailable() : err),
        );
    });
  };
}
