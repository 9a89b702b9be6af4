// Event ingest is asynchronous: POST /events answers once the batch is stored; these wait for its delivery.
import type { ApiCall } from './stack.ts';
import { eventually } from './wait.ts';

/** Waits until every event up to `cursor` (a POST /events answer's) has reached its lifecycle; answers the status. */
export async function delivered(api: ApiCall, cursor: string, opts: { token?: string; timeoutMs?: number } = {}) {
  return eventually(
    async () => {
      const res = await api('GET', `/events/ingest-status?cursor=${cursor}`, opts.token ? { token: opts.token } : {});
      if (res.status !== 200) throw new Error(`GET /events/ingest-status answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.cursor.delivered === true && res.body;
    },
    `the events up to cursor ${cursor} delivered`,
    opts.timeoutMs ?? 30_000,
  );
}
