// Event ingest is asynchronous: POST /events answers once the batch is stored; these wait for its delivery.
import { randomUUID } from 'node:crypto';
import { releaseShardLease, takeShardLease } from '../../db/event-ingest.ts';
import { eventShardOf } from '../../domain/event-shards.ts';
import type { ApiCall, Stack } from './stack.ts';
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

/**
 * One stored, undelivered `login` event of a new customer, with its shard's lease held by `holder` (so no dispatcher
 * delivers it: the caller's passes are the only deliveries). `release` gives the lease back.
 */
export async function heldEvent(stack: Stack, holder: string) {
  const ingest = await stack.operator(['ingest']);
  const externalId = `${holder}-${randomUUID()}`;
  const created = await stack.api('POST', '/customers', { token: ingest.token, body: { externalId, email: `${holder}@example.com` } });
  if (created.status !== 200) throw new Error(`POST /customers answered ${created.status}`);
  const conn = () => stack.db.orm.em.fork().getConnection();
  const [customer] = await conn().execute<{ id: string }[]>('select id from customers where external_id = ?', [externalId]);
  const customerId = customer!.id;
  const shard = eventShardOf(customerId);
  if (!(await takeShardLease(stack.db.orm, shard, holder, 120_000))) throw new Error(`shard ${shard} is leased`);
  const key = randomUUID();
  await conn().execute(
    `insert into customer_events (customer_id, type, at, idempotency_key, received_at) values (?, 'login', now(), ?, now())`,
    [customerId, key],
  );
  return {
    customerId,
    shard,
    delivered: async () =>
      (
        await conn().execute<{ d: boolean }[]>('select delivered_at is not null as d from customer_events where idempotency_key = ?', [key])
      )[0]!.d,
    release: () => releaseShardLease(stack.db.orm, shard, holder),
  };
}
