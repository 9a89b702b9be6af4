// Customers in PostgreSQL as their workflows see them: the lifecycle stage and its history, coupons, the segment
// pages a win-back walks, and the unsubscriptions that owe a confirmation email.
import type { LifecycleStage, StageChange } from '../domain/lifecycle.types.ts';
import type { Orm } from './orm.ts';

/**
 * The stage a lifecycle workflow saves, with its version: the customers row keeps the highest (its own
 * lifecycle_version), so a late retry never undoes a newer stage. The customer row itself comes from ingest.
 */
export async function saveCustomerStage(
  orm: Orm,
  s: { customerId: string; stage: LifecycleStage | null; stageSince: string | null; version: number },
): Promise<void> {
  await orm.em.getConnection().execute(
    `update customers set stage = ?, stage_since = ?, lifecycle_version = ?, updated_at = now()
     where id = ? and lifecycle_version < ?`,
    [s.stage, s.stageSince, s.version, s.customerId, s.version],
  );
}

/** The stage history, each change once by its sequence number. */
export async function recordStageChanges(orm: Orm, customerId: string, changes: StageChange[]): Promise<void> {
  if (changes.length === 0) return;
  await orm.em.getConnection().execute(
    `insert into customer_stage_changes (customer_id, seq, from_stage, to_stage, cause, at)
     select ?, x.seq, x."from", x."to", x.cause, x.at
     from jsonb_to_recordset(?::jsonb) as x(seq int, "from" text, "to" text, cause text, at timestamptz)
     on conflict (customer_id, seq) do nothing`,
    [customerId, JSON.stringify(changes)],
  );
}

/** Stores a coupon under its key once and answers the stored one (a retry gets the first call's code). */
export async function couponOnce(
  orm: Orm,
  c: { code: string; idempotencyKey: string; customerId: string; purpose: string; workflowId: string; validForMs: number },
): Promise<{ code: string; expiresAt: string | null }> {
  const conn = orm.em.getConnection();
  await conn.execute(
    `insert into coupons (code, idempotency_key, customer_id, purpose, workflow_id, created_at, expires_at)
     values (?, ?, ?, ?, ?, now(), now() + (? * interval '1 millisecond')) on conflict (idempotency_key) do nothing`,
    [c.code, c.idempotencyKey, c.customerId, c.purpose, c.workflowId, c.validForMs],
  );
  const [row] = await conn.execute<{ code: string; expires_at: Date | null }[]>(
    'select code, expires_at from coupons where idempotency_key = ?',
    [c.idempotencyKey],
  );
  return { code: row!.code, expiresAt: row!.expires_at ? new Date(row!.expires_at).toISOString() : null };
}

/** The next page of a segment's customers after `afterId`, in id order (a cursor a heartbeat can carry). */
export async function segmentPage(orm: Orm, segment: string, afterId: string, limit: number): Promise<{ id: string }[]> {
  return orm.em
    .getConnection()
    .execute<{ id: string }[]>('select id from customers where segment = ? and id > ?::uuid order by id limit ?', [
      segment,
      afterId,
      limit,
    ]);
}

/** Unsubscriptions older than `olderThan` (a PostgreSQL interval) still waiting for their confirmation, oldest first. */
export async function unconfirmedUnsubscriptions(
  orm: Orm,
  olderThan: string,
  limit: number,
): Promise<{ id: string; unsubscribed_at: Date }[]> {
  return orm.em.getConnection().execute<{ id: string; unsubscribed_at: Date }[]>(
    `select id, unsubscribed_at from customers
     where unsubscribed_at is not null and unsubscribe_confirmed_at is null and unsubscribed_at < now() - interval '${olderThan}'
     order by unsubscribed_at limit ${limit}`,
  );
}

/**
 * Whether this unsubscription still waits for its confirmation (not resubscribed since, not confirmed). Compared to
 * the millisecond: the precision the unsubscription's time travels with (PostgreSQL keeps microseconds).
 */
export async function unsubscribeConfirmationOwed(orm: Orm, customerId: string, unsubscribedAt: string): Promise<boolean> {
  const [row] = await orm.em.getConnection().execute<{ owed: boolean }[]>(
    `select unsubscribe_confirmed_at is null and date_trunc('milliseconds', unsubscribed_at) = ?::timestamptz as owed
     from customers where id = ?`,
    [unsubscribedAt, customerId],
  );
  return row?.owed ?? false;
}

/** Records the unsubscription confirmed (the first time counts). */
export async function markUnsubscribeConfirmed(orm: Orm, customerId: string, unsubscribedAt: string): Promise<void> {
  await orm.em.getConnection().execute(
    `update customers set unsubscribe_confirmed_at = coalesce(unsubscribe_confirmed_at, now())
     where id = ? and date_trunc('milliseconds', unsubscribed_at) = ?::timestamptz`,
    [customerId, unsubscribedAt],
  );
}
