// The webhook ledger (webhook_deliveries): one row per idempotency key, claimed with a lease as the email ledger is.
// The posting itself is activities/webhooks.ts (deliverWebhook).
import type { Orm } from './orm.ts';

/** Longer than the send profile's start-to-close timeout (WEBHOOK_TIMEOUT is capped below it). */
const LEASE = '5 minutes';

/**
 * Records the delivery (once) and claims it with a lease: a timed-out attempt still running cannot overlap its
 * retry; a crashed one's claim lapses. A refused (failed) delivery may be claimed again, a delivered one never.
 * False: another attempt holds it or delivered it (see deliveryState).
 */
export async function claimDelivery(orm: Orm, d: { key: string; workflowId: string; channel: string; url: string }): Promise<boolean> {
  const conn = orm.em.getConnection();
  await conn.execute(
    `insert into webhook_deliveries (idempotency_key, workflow_id, channel, url, status, created_at)
     values (?, ?, ?, ?, 'pending', now()) on conflict (idempotency_key) do nothing`,
    [d.key, d.workflowId, d.channel, d.url],
  );
  const claimed = await conn.execute<{ id: number }[]>(
    `update webhook_deliveries set attempts = attempts + 1, lease_until = now() + interval '${LEASE}'
     where idempotency_key = ? and status in ('pending', 'failed') and (lease_until is null or lease_until < now())
     returning id`,
    [d.key],
  );
  return claimed.length > 0;
}

/** A key's status, the receiver's answer and the seconds left on its lease. */
export async function deliveryState(
  orm: Orm,
  key: string,
): Promise<{ status: string; response_status: number | null; lease_seconds: number | null } | undefined> {
  const [row] = await orm.em.getConnection().execute<{ status: string; response_status: number | null; lease_seconds: number | null }[]>(
    `select status, response_status, extract(epoch from lease_until - now())::float8 as lease_seconds
     from webhook_deliveries where idempotency_key = ?`,
    [key],
  );
  return row;
}

/** The post never got an answer: the error is kept and the lease given back; a refused target fails for good. */
export async function deliveryUnanswered(orm: Orm, key: string, error: string, refused: boolean): Promise<void> {
  await orm.em
    .getConnection()
    .execute(
      `update webhook_deliveries set ${refused ? `status = 'failed', ` : ''}last_error = ?, lease_until = null where idempotency_key = ?`,
      [error, key],
    );
}

export async function markDelivered(orm: Orm, key: string, responseStatus: number): Promise<void> {
  await orm.em.getConnection().execute(
    `update webhook_deliveries set status = 'delivered', response_status = ?, delivered_at = now(), last_error = null,
       lease_until = null where idempotency_key = ?`,
    [responseStatus, key],
  );
}

/** The receiver answered other than 2xx: pending (a retry may post) or failed for good; the lease is given back. */
export async function deliveryRefused(
  orm: Orm,
  key: string,
  a: { status: 'pending' | 'failed'; responseStatus: number; error: string },
): Promise<void> {
  await orm.em
    .getConnection()
    .execute(
      `update webhook_deliveries set status = ?, response_status = ?, last_error = ?, lease_until = null where idempotency_key = ?`,
      [a.status, a.responseStatus, a.error, key],
    );
}
