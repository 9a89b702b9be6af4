// A customer's marketing subscription: unsubscribed by staff or by the link in an email, subscribed again from the
// page that link opens. Each change is audited once; the API starts the unsubscribe confirmation email.
import { appendAudit } from './audit.ts';
import type { Orm } from './orm.ts';

export type Unsubscriber = { actorType: 'operator' | 'customer'; actorId: string | null };

export interface Unsubscribed {
  id: string;
  /** False when the customer was already unsubscribed (the first time is kept). */
  changed: boolean;
  unsubscribedAt: Date;
  locale: string | null;
}

/** What the unsubscribe page shows for a token: whether its customer is unsubscribed, in their language; or null. */
export async function subscriptionByToken(orm: Orm, token: string): Promise<{ unsubscribed: boolean; locale: string | null } | null> {
  const [row] = await orm.em
    .getConnection()
    .execute<{ unsubscribed: boolean; locale: string | null }[]>(
      'select unsubscribed_at is not null as unsubscribed, locale from customers where unsubscribe_token = ?',
      [token],
    );
  return row ?? null;
}

/** Marks the customer unsubscribed, found by id or by their unsubscribe token; null when there is no such customer. */
export async function markUnsubscribed(
  orm: Orm,
  by: 'id' | 'unsubscribe_token',
  value: string,
  who: Unsubscriber,
): Promise<Unsubscribed | null> {
  type Row = { id: string; changed: boolean; unsubscribed_at: Date; locale: string | null };
  const [row] = await orm.em.getConnection().execute<Row[]>(
    `with target as (
       select id, unsubscribed_at from customers where ${by === 'id' ? 'id = ?::uuid' : 'unsubscribe_token = ?'})
     update customers c set unsubscribed_at = coalesce(c.unsubscribed_at, now()), updated_at = now()
     from target where c.id = target.id
     returning c.id, target.unsubscribed_at is null as changed, c.unsubscribed_at, c.locale`,
    [value],
  );
  if (!row) return null;
  if (row.changed) {
    await appendAudit(orm, {
      actorType: who.actorType,
      actorId: who.actorId ?? row.id,
      action: 'customer.unsubscribed',
      entityType: 'customer',
      entityId: row.id,
      details: { via: who.actorType === 'customer' ? 'unsubscribe link' : 'api' },
    });
  }
  return { id: row.id, changed: row.changed, unsubscribedAt: row.unsubscribed_at, locale: row.locale };
}

/** Subscribes a token's customer again (audited when they were unsubscribed); null for an unknown token. */
export async function resubscribe(orm: Orm, token: string): Promise<{ id: string; changed: boolean; locale: string | null } | null> {
  const [row] = await orm.em.getConnection().execute<{ id: string; changed: boolean; locale: string | null }[]>(
    `with target as (select id, unsubscribed_at from customers where unsubscribe_token = ?)
     update customers c set unsubscribed_at = null, unsubscribe_confirmed_at = null, updated_at = now()
     from target where c.id = target.id
     returning c.id, target.unsubscribed_at is not null as changed, c.locale`,
    [token],
  );
  if (!row) return null;
  if (row.changed) {
    await appendAudit(orm, {
      actorType: 'customer',
      actorId: row.id,
      action: 'customer.resubscribed',
      entityType: 'customer',
      entityId: row.id,
      details: { via: 'unsubscribe page' },
    });
  }
  return row;
}
