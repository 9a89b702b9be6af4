// Customers in PostgreSQL as their workflows see them: the lifecycle stage and its history, coupons, the segment
// pages a win-back walks, and the unsubscriptions that owe a confirmation email.
import type { LifecycleStage, StageChange } from '../domain/lifecycle.types.ts';
import type { Segment } from '../domain/rfm.ts';
import type { Orm } from './orm.ts';
import { byKey, containsPattern, transaction } from './sql.ts';

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

/** A customers row as the API reads it. */
export interface CustomerRow {
  id: string;
  external_id: string;
  email: string;
  name: string | null;
  timezone: string;
  locale: string | null;
  tags: string[];
  marketing_consent: boolean;
  unsubscribed_at: Date | null;
  stage: LifecycleStage | null;
  stage_since: Date | null;
  last_active_at: Date | null;
  rfm_recency: number | null;
  rfm_frequency: number | null;
  rfm_monetary: number | null;
  segment: Segment | null;
  scored_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const CUSTOMER_COLUMNS = `id, external_id, email, name, timezone, locale, tags, marketing_consent, unsubscribed_at, stage,
  stage_since, last_active_at, rfm_recency, rfm_frequency, rfm_monetary, segment, scored_at, created_at, updated_at`;

export async function customerRowById(orm: Orm, id: string): Promise<CustomerRow | undefined> {
  const [row] = await orm.em.getConnection().execute<CustomerRow[]>(`select ${CUSTOMER_COLUMNS} from customers where id = ?`, [id]);
  return row;
}

/** One customer as an upsert gives it: omitted fields keep their stored values (or take the defaults on create). */
export interface CustomerUpsert {
  externalId: string;
  email: string;
  name?: string | undefined;
  timezone?: string | undefined;
  locale?: string | null | undefined;
  tags?: string[] | undefined;
  marketingConsent?: boolean | undefined;
}

const RECORD = `x("externalId" text, email text, name text, timezone text, locale text, "localeGiven" boolean, tags text[], "marketingConsent" boolean)`;

/**
 * Upserts by externalId: new ones inserted, known ones updated, in one transaction of two set-based statements;
 * omitted fields keep their stored values. Answers in input order.
 */
export async function upsertCustomers(
  orm: Orm,
  customers: CustomerUpsert[],
): Promise<{ id: string; externalId: string; created: boolean }[]> {
  // In key order: concurrent batches sharing customers then lock them in the same order (no deadlock).
  // An explicit null clears the locale; an omitted one keeps it (JSON drops undefined, so the difference travels as a flag).
  const sorted = [...customers].map((c) => ({ ...c, localeGiven: c.locale !== undefined })).sort(byKey((c) => c.externalId));
  const json = JSON.stringify(sorted);
  const rows = await transaction(orm, async (q) => {
    const inserted = await q<{ id: string; external_id: string }[]>(
      `insert into customers (id, external_id, email, name, timezone, locale, tags, marketing_consent, unsubscribe_token,
         lifecycle_version, created_at, updated_at)
       select gen_random_uuid(), x."externalId", x.email, x.name, coalesce(x.timezone, 'UTC'), x.locale, coalesce(x.tags, '{}'),
         coalesce(x."marketingConsent", false), replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
         0, now(), now()
       from jsonb_to_recordset(?::jsonb) as ${RECORD}
       on conflict (external_id) do nothing
       returning id, external_id`,
      [json],
    );
    const fresh = new Set(inserted.map((r) => r.external_id));
    const rest = sorted.filter((c) => !fresh.has(c.externalId));
    const updated =
      rest.length === 0
        ? []
        : await q<{ id: string; external_id: string }[]>(
            `update customers c set email = x.email, name = coalesce(x.name, c.name), timezone = coalesce(x.timezone, c.timezone),
         locale = case when x."localeGiven" then x.locale else c.locale end,
         tags = coalesce(x.tags, c.tags), marketing_consent = coalesce(x."marketingConsent", c.marketing_consent),
         updated_at = now()
       from jsonb_to_recordset(?::jsonb) as ${RECORD}
       where c.external_id = x."externalId"
       returning c.id, c.external_id`,
            [JSON.stringify(rest)],
          );
    const byExternalId = new Map<string, { id: string; created: boolean }>();
    for (const r of inserted) byExternalId.set(r.external_id, { id: r.id, created: true });
    for (const r of updated) byExternalId.set(r.external_id, { id: r.id, created: false });
    return byExternalId;
  });
  return customers.map((c) => ({ externalId: c.externalId, ...rows.get(c.externalId)! }));
}

/** The list filters of GET /customers; `q` is text the name, email or externalId contains, in any case. */
export interface CustomerFilter {
  segment?: Segment | undefined;
  stage?: LifecycleStage | undefined;
  tag?: string | undefined;
  email?: string | undefined;
  q?: string | undefined;
}

/** One page of customers, newest first, with the count of all that match. */
export async function customerPage(
  orm: Orm,
  query: CustomerFilter,
  limit: number,
  offset: number,
): Promise<{ rows: CustomerRow[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.segment) {
    where.push('segment = ?');
    params.push(query.segment);
  }
  if (query.stage) {
    where.push('stage = ?');
    params.push(query.stage);
  }
  if (query.tag) {
    where.push('tags @> array[?]::text[]');
    params.push(query.tag);
  }
  if (query.email) {
    where.push('email = ?');
    params.push(query.email);
  }
  if (query.q) {
    const like = containsPattern(query.q);
    where.push('(name ilike ? or email ilike ? or external_id ilike ?)');
    params.push(like, like, like);
  }
  const filter = where.length ? `where ${where.join(' and ')}` : '';
  const conn = orm.em.getConnection();
  const [rows, [count]] = await Promise.all([
    conn.execute<CustomerRow[]>(`select ${CUSTOMER_COLUMNS} from customers ${filter} order by created_at desc, id limit ? offset ?`, [
      ...params,
      limit,
      offset,
    ]),
    conn.execute<{ total: number }[]>(`select count(*)::int as total from customers ${filter}`, params),
  ]);
  return { rows, total: count!.total };
}

export interface CouponRow {
  code: string;
  purpose: string;
  created_at: Date;
  expires_at: Date | null;
  redeemed_at: Date | null;
}

/** One page of a customer's coupons, newest first, with the count of all of them. */
export async function couponPage(
  orm: Orm,
  customerId: string,
  limit: number,
  offset: number,
): Promise<{ rows: CouponRow[]; total: number }> {
  const conn = orm.em.getConnection();
  const [rows, [count]] = await Promise.all([
    conn.execute<CouponRow[]>(
      `select code, purpose, created_at, expires_at, redeemed_at from coupons where customer_id = ?
         order by created_at desc, code limit ? offset ?`,
      [customerId, limit, offset],
    ),
    conn.execute<{ total: number }[]>('select count(*)::int as total from coupons where customer_id = ?', [customerId]),
  ]);
  return { rows, total: count!.total };
}
