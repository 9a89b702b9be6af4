// Signed webhook delivery, once per idempotency key through the webhook_deliveries ledger.
import { ApplicationFailure } from '@temporalio/activity';
import { createHmac } from 'node:crypto';
import type { Orm } from '../db/orm.ts';
import { leaseHeld } from './ledger.ts';

/** Longer than the send profile's start-to-close timeout (WEBHOOK_TIMEOUT is capped below it). */
const LEASE = '5 minutes';

export interface WebhookTarget {
  name: string;
  url: string;
  secret: string;
}

/**
 * The signature a receiver checks: HMAC-SHA256 over `<timestamp>.<body>` with the channel secret, sent as
 * `X-Opsflow-Signature: t=<timestamp>,v1=<hex>` (the timestamp lets receivers refuse replays).
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function deliverWebhook(
  orm: Orm,
  target: WebhookTarget,
  { idempotencyKey, workflowId, event, data, timeoutMs }: {
    idempotencyKey: string; workflowId: string; event: string; data: unknown; timeoutMs: number;
  },
): Promise<{ status: 'delivered' | 'duplicate'; responseStatus: number | null }> {
  const conn = orm.em.getConnection();
  await conn.execute(
    `insert into webhook_deliveries (idempotency_key, workflow_id, channel, url, status, created_at)
     values (?, ?, ?, ?, 'pending', now()) on conflict (idempotency_key) do nothing`,
    [idempotencyKey, workflowId, target.name, target.url]);
  // Claim the delivery with a lease, as the email ledger does: a timed-out attempt still running cannot overlap its
  // retry; a crashed one's claim lapses. A refused (failed) delivery may be tried again by a later attempt, after
  // an admin fixed the channel, say; a delivered one never.
  const claimed = await conn.execute<{ id: number }[]>(
    `update webhook_deliveries set attempts = attempts + 1, lease_until = now() + interval '${LEASE}'
     where idempotency_key = ? and status in ('pending', 'failed') and (lease_until is null or lease_until < now())
     returning id`,
    [idempotencyKey]);
  if (claimed.length === 0) {
    const [row] = await conn.execute<{ status: string; response_status: number | null; lease_seconds: number | null }[]>(
      `select status, response_status, extract(epoch from lease_until - now())::float8 as lease_seconds
       from webhook_deliveries where idempotency_key = ?`, [idempotencyKey]);
    if (row?.status === 'delivered') return { status: 'duplicate', responseStatus: row.response_status };
    throw leaseHeld(`delivery ${idempotencyKey}`, row?.lease_seconds);
  }
  const release = `lease_until = null`;

  const body = JSON.stringify({ event, idempotencyKey, data });
  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        'x-opsflow-event': event,
        'x-opsflow-signature': signWebhook(target.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    await conn.execute(`update webhook_deliveries set last_error = ?, ${release} where idempotency_key = ?`, [String(err), idempotencyKey]);
    throw err;
  }
  if (response.ok) {
    await conn.execute(
      `update webhook_deliveries set status = 'delivered', response_status = ?, delivered_at = now(), last_error = null, ${release}
       where idempotency_key = ?`, [response.status, idempotencyKey]);
    return { status: 'delivered', responseStatus: response.status };
  }
  const error = `${target.url} answered ${response.status}`;
  // 4xx other than timeout and rate limiting will not change on retry: the receiver refuses this delivery.
  const permanent = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
  await conn.execute(
    `update webhook_deliveries set status = ?, response_status = ?, last_error = ?, ${release} where idempotency_key = ?`,
    [permanent ? 'failed' : 'pending', response.status, error, idempotencyKey]);
  if (permanent) throw ApplicationFailure.nonRetryable(error, 'WebhookRefused');
  throw new Error(error);
}
