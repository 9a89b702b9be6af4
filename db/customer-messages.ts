// The customer-messages ledger: every decision of the messaging policy about a mail to a customer (sent, deferred,
// skipped), one row per idempotency key, taken under per-customer locks so the frequency cap holds across families.
// The decisions themselves are domain/messaging-policy.ts; activities/customer-email.ts runs them in one transaction.
import type { Query, SqlUpdate } from './sql.ts';
import { textArray } from './sql.ts';
import type { Orm } from './orm.ts';

/** What the policy and the mail need to know of a customer. */
export interface CustomerFacts {
  email: string;
  name: string | null;
  external_id: string;
  stage: string | null;
  segment: string | null;
  timezone: string;
  locale: string | null;
  marketing_consent: boolean;
  unsubscribed: boolean;
  unsubscribe_token: string;
  recent: number;
}

/** A customer's facts for one key, with the key's earlier decision. */
export type SendFacts = CustomerFacts & { key: string; prior_status: string | null; prior_reason: string | null };

/** One decision as the ledger records it. */
export interface MessageDecision {
  idempotency_key: string;
  customer_id: string;
  workflow_id: string | null;
  campaign_id: string | null;
  category: string;
  template: string;
  status: string;
  reason: string | null;
  deferred_until: string | null;
}

/**
 * Inside a transaction: locks the customers (in customer order, so two batches cannot deadlock), then one statement
 * reads each customer, their marketing mails in the cap's window (other keys than this one) and the key's earlier
 * decision. A key whose customer is gone has no row.
 *
 * The earlier decision is a probe of the key's unique index for each key (a lateral subquery the planner cannot turn
 * into a join): as a join, a ledger of a few thousand rows without statistics yet (a young database, a table that
 * grew since its last analyze) was read whole into a hash for every chunk, 3.5 ms instead of 0.3 for 32 keys at 11,000
 * rows and growing with them, and planning the join orders took 1.4-2.0 ms instead of 0.25.
 */
export async function lockAndReadSendFacts(
  q: Query,
  reqs: { key: string; customerId: string }[],
  capWindowMs: number,
): Promise<SendFacts[]> {
  await q(
    `select count(pg_advisory_xact_lock(hashtext('customer-messages'), hashtext(c)))
     from (select distinct c from unnest(?::text[]) c order by c) s`,
    [textArray(reqs.map((r) => r.customerId))],
  );
  return q<SendFacts[]>(
    `select k.key, c.email, c.name, c.external_id, c.stage, c.segment, c.timezone, c.locale, c.marketing_consent,
       c.unsubscribed_at is not null as unsubscribed, c.unsubscribe_token,
       (select count(*)::int from customer_messages m where m.customer_id = c.id and m.category = 'marketing'
          and m.status in ('sending', 'sent') and m.decided_at > now() - (? * interval '1 millisecond')
          and m.idempotency_key <> k.key) as recent,
       p.status as prior_status, p.reason as prior_reason
     from jsonb_to_recordset(?::jsonb) as k(key text, customer_id uuid)
     join customers c on c.id = k.customer_id
     left join lateral (select m.status, m.reason from customer_messages m where m.idempotency_key = k.key limit 1) p on true`,
    [capWindowMs, JSON.stringify(reqs.map((r) => ({ key: r.key, customer_id: r.customerId })))],
  );
}

/**
 * Inside the same transaction: records the decisions (a key decided again is overwritten) and answers their time,
 * the transaction's, which tells a caller's own 'sending' reservations from a later attempt's.
 */
export async function recordDecisions(q: Query, records: MessageDecision[]): Promise<string> {
  const [stamp] = await q<{ at: string }[]>(
    `insert into customer_messages (idempotency_key, customer_id, workflow_id, campaign_id, category, template, status,
       reason, deferred_until, decided_at)
     select r.*, now() from jsonb_to_recordset(?::jsonb) as r(idempotency_key text, customer_id uuid, workflow_id text,
       campaign_id text, category text, template text, status text, reason text, deferred_until timestamptz)
     on conflict (idempotency_key) do update set status = excluded.status, reason = excluded.reason,
       deferred_until = excluded.deferred_until, decided_at = excluded.decided_at
     returning decided_at::text as at`,
    [JSON.stringify(records)],
  );
  return stamp!.at;
}

/** Marks a message sent with the template version it went out as: run by the email ledger in its own statement. */
export const messageSent = (key: string, version: { id: string; locale: string } | null): SqlUpdate => ({
  sql: `update customer_messages set status = 'sent', sent_at = now(), template_version_id = ?, locale = ? where idempotency_key = ?`,
  params: [version?.id ?? null, version?.locale ?? null, key],
});

/** Refused for good by the mail server: the reserved slot is given back to the cap. */
export async function markMessageRejected(orm: Orm, key: string): Promise<void> {
  await orm.em
    .getConnection()
    .execute(`update customer_messages set status = 'skipped', reason = 'rejected' where idempotency_key = ?`, [key]);
}

/** An earlier attempt sent it: this ledger says so too. */
export async function markMessageSentBefore(orm: Orm, key: string): Promise<void> {
  await orm.em
    .getConnection()
    .execute(`update customer_messages set status = 'sent', sent_at = coalesce(sent_at, now()) where idempotency_key = ?`, [key]);
}

/** Gives back reservations never sent: only those still 'sending' from the given decision times (the caller's own). */
export async function giveBackReservations(orm: Orm, given: { key: string; at: string }[]): Promise<void> {
  await orm.em.getConnection().execute(
    `delete from customer_messages m using jsonb_to_recordset(?::jsonb) as r(key text, at timestamptz)
     where m.idempotency_key = r.key and m.status = 'sending' and m.decided_at = r.at`,
    [JSON.stringify(given)],
  );
}
