// The email ledger (email_outbox): one row per idempotency key; a sender claims it with a lease, sends, marks it sent.
// The sending itself is activities/email.ts (deliverOnce).
import { createHash } from 'node:crypto';
import type { Orm } from './orm.ts';
import { prepared, runPrepared, type Prepared } from './prepared.ts';
import { textArray, type SqlUpdate } from './sql.ts';

export interface OutboxMail {
  key: string;
  messageId: string;
  workflowId: string | null;
  template: string;
  subject: string;
}

/** A mail with nobody to send to is recorded as skipped (the first record stays). */
export async function recordSkippedMail(orm: Orm, m: OutboxMail): Promise<void> {
  await orm.em.getConnection().execute(
    `insert into email_outbox (idempotency_key, message_id, workflow_id, template, recipients, subject, status, created_at)
     values (?, ?, ?, ?, '{}', ?, 'skipped', now()) on conflict (idempotency_key) do nothing`,
    [m.key, m.messageId, m.workflowId, m.template, m.subject],
  );
}

/**
 * One statement records the key and claims it for `leaseSeconds`: a new key, or a pending one, or one whose sender's
 * lease ran out. False: another attempt holds it or settled it (see outboxState).
 */
/**
 * Claims a key for sending: a new key, a pending one, or one whose sender's lease ran out. Answers the claim's attempt
 * number (every claim counts one), which the claimant's later renew and release name, or null when not claimed.
 */
export async function claimMail(orm: Orm, m: OutboxMail & { recipients: string[]; leaseSeconds: number }): Promise<number | null> {
  const [claimed] = await orm.em.getConnection().execute<{ attempts: number }[]>(
    `insert into email_outbox (idempotency_key, message_id, workflow_id, template, recipients, subject, status, lease_until,
       attempts, created_at)
     values (?, ?, ?, ?, ?, ?, 'sending', now() + ? * interval '1 second', 1, now())
     on conflict (idempotency_key) do update set status = 'sending', lease_until = excluded.lease_until,
       attempts = email_outbox.attempts + 1
     where email_outbox.status = 'pending' or (email_outbox.status = 'sending' and email_outbox.lease_until < now())
     returning attempts`,
    [m.key, m.messageId, m.workflowId, m.template, textArray(m.recipients), m.subject, m.leaseSeconds],
  );
  return claimed?.attempts ?? null;
}

const claimStatement = prepared(
  'claim-mails-1',
  `insert into email_outbox (idempotency_key, message_id, workflow_id, template, recipients, subject, status, lease_until,
     attempts, created_at)
   select m.key, m.message_id, m.workflow_id, m.template, array(select jsonb_array_elements_text(m.recipients)), m.subject,
     'sending', now() + $1::int * interval '1 second', 1, now()
   from jsonb_to_recordset($2::jsonb) as m(key text, message_id text, workflow_id text, template text, recipients jsonb,
     subject text)
   order by m.key
   on conflict (idempotency_key) do update set status = 'sending', lease_until = excluded.lease_until,
     attempts = email_outbox.attempts + 1
   where email_outbox.status = 'pending' or (email_outbox.status = 'sending' and email_outbox.lease_until < now())
   returning idempotency_key as key, attempts`,
);

/**
 * Claims many keys in one statement, as claimMail does one (each claim counts one attempt): the attempt number of each
 * key claimed; a key another attempt holds or settled is left out. The rows are taken in key order, so two batches
 * that share keys cannot deadlock.
 */
export async function claimMails(
  orm: Orm,
  mails: (OutboxMail & { recipients: string[] })[],
  leaseSeconds: number,
): Promise<Map<string, number>> {
  if (mails.length === 0) return new Map();
  const unique = [...new Map(mails.map((m) => [m.key, m])).values()];
  // A prepared statement with the chunk as one jsonb value: no per-character quoting of it in the ORM.
  const claimed = await runPrepared<{ key: string; attempts: number }>(orm, claimStatement, [
    leaseSeconds,
    JSON.stringify(
      unique.map((m) => ({
        key: m.key,
        message_id: m.messageId,
        workflow_id: m.workflowId,
        template: m.template,
        recipients: m.recipients,
        subject: m.subject,
      })),
    ),
  ]);
  return new Map(claimed.map((c) => [c.key, c.attempts]));
}

/**
 * Extends a claim's lease from now, if it is still that claim's (no other attempt claimed the key since, even after
 * the lease ran out): false when another attempt has it or settled it.
 */
export async function renewMail(orm: Orm, key: string, attempt: number, leaseSeconds: number): Promise<boolean> {
  const renewed = await orm.em.getConnection().execute<{ id: number }[]>(
    `update email_outbox set lease_until = now() + ? * interval '1 second'
     where idempotency_key = ? and status = 'sending' and attempts = ? returning id`,
    [leaseSeconds, key, attempt],
  );
  return renewed.length > 0;
}

/** A key's status, its recipients and the seconds left on its lease. */
export async function outboxState(
  orm: Orm,
  key: string,
): Promise<{ status: string; recipients: string[]; lease_seconds: number | null } | undefined> {
  const [row] = await orm.em.getConnection().execute<{ status: string; recipients: string[]; lease_seconds: number | null }[]>(
    `select status, recipients, extract(epoch from lease_until - now())::float8 as lease_seconds
     from email_outbox where idempotency_key = ?`,
    [key],
  );
  return row;
}

/**
 * A send that failed gives its claim (`attempt`) back: pending (a retry may send) or failed for good. A claim another
 * attempt has taken since is left to it.
 */
export async function releaseMail(orm: Orm, key: string, attempt: number, status: 'pending' | 'failed', error: string): Promise<void> {
  await orm.em.getConnection().execute(
    `update email_outbox set status = ?, lease_until = null, last_error = ?
       where idempotency_key = ? and status = 'sending' and attempts = ?`,
    [status, error, key, attempt],
  );
}

/** Gives claims back (pending, a retry may send) in one statement, each only if it is still that attempt's. */
export async function releaseMails(orm: Orm, claims: { key: string; attempt: number }[], error: string): Promise<void> {
  if (claims.length === 0) return;
  await orm.em.getConnection().execute(
    `update email_outbox o set status = 'pending', lease_until = null, last_error = ?
       from jsonb_to_recordset(?::jsonb) as c(key text, attempt int)
       where o.idempotency_key = c.key and o.status = 'sending' and o.attempts = c.attempt`,
    [error, JSON.stringify(claims)],
  );
}

/** The statements that mark mails sent with their callers' updates, by their text: named once for each shape. */
const markStatements = new Map<string, Prepared | null>();

/** One statement for `mails`, each with its callers' updates, and its parameters. */
function markStatement(mails: { key: string; also: SqlUpdate[] }[]): { statement: Prepared | null; text: string; params: unknown[] } {
  const ctes = mails.flatMap((m, i) => m.also.map((u, j) => `m${i}_${j} as (${u.sql})`));
  // The mails themselves through a function whose plan probes the key's index at any table size: a generic plan of
  // this statement made while email_outbox was small read the whole table at every mark (see its migration).
  const text = `${ctes.length ? `with ${ctes.join(', ')} ` : ''}select email_outbox_mark_sent(?::text[])`;
  const keys = mails.map((m) => m.key);
  const params = [...mails.flatMap((m) => m.also.flatMap((u) => u.params)), keys];
  let statement = markStatements.get(text);
  if (statement === undefined) {
    // Every ? is a value (the ORM's ?? and \? are not used by the ledgers; a text with them keeps the ORM's way).
    let n = 0;
    statement = /\?\?|\\\?/.test(text)
      ? null
      : prepared(
          `mark-sent-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
          text.replace(/\?/g, () => `$${++n}`),
        );
    if (markStatements.size >= 200) markStatements.clear();
    markStatements.set(text, statement);
  }
  return { statement, text, params };
}

async function runMarks(orm: Orm, mails: { key: string; also: SqlUpdate[] }[]): Promise<void> {
  const { statement, text, params } = markStatement(mails);
  if (statement) await runPrepared(orm, statement, params);
  else await orm.em.getConnection().execute(text, [...params.slice(0, -1), textArray(mails.map((m) => m.key))]);
}

interface Mark {
  key: string;
  also: SqlUpdate[];
  /** The texts of its updates: only marks of one shape share a statement (a bounded number of statements to name). */
  shape: string;
  done: () => void;
  fail: (err: unknown) => void;
}
interface MarkQueue {
  waiting: Mark[];
  running: boolean;
  /** When the last group's statement ended (epoch ms). */
  lastEnd: number;
  /** Ends a linger early: the waiting marks fill a group. */
  full: (() => void) | null;
}
/** Marks asked for while a mark statement runs, by ORM: the next statement takes those of one shape (MARK_BATCH). */
const markQueues = new WeakMap<Orm, MarkQueue>();
const MARK_BATCH = 64;
/**
 * While marks keep coming (a group ended less than MARK_BUSY_MS ago), a group waits up to MARK_LINGER_MS for others,
 * or until MARK_BATCH are waiting: the statement, the counters' trigger and the commit cost about as much for one mark
 * as for ten (a campaign's send pass: groups of 3.8 marks on average at 400-500 sends/s without the wait). A lone mark
 * (an operator's email, the first of a pass) runs at once.
 */
const MARK_LINGER_MS = 15;
const MARK_BUSY_MS = 50;

/**
 * Marks the mail sent; the callers' own ledgers (`also`) are marked in the same statement: all agree, or none does.
 * It runs once per mail sent, so marks commit in groups: one asked for while another runs waits for it and goes with
 * the others waiting in the next statement (which waits a little for more while marks keep coming, MARK_LINGER_MS), a
 * named prepared statement per shape and size (parsed and planned once per connection). A campaign's counters trigger
 * then runs once per group, with one commit. If a group's statement fails, each of its mails is marked alone, so only
 * a mail whose own update fails is refused.
 */
export function markMailSent(orm: Orm, key: string, also: SqlUpdate[]): Promise<void> {
  let queue = markQueues.get(orm);
  if (!queue) markQueues.set(orm, (queue = { waiting: [], running: false, lastEnd: 0, full: null }));
  const shape = also.map((u) => u.sql).join('\n');
  const marked = new Promise<void>((done, fail) => queue.waiting.push({ key, also, shape, done, fail }));
  if (queue.waiting.length >= MARK_BATCH) queue.full?.();
  if (!queue.running) void markWaiting(orm, queue);
  return marked;
}

async function markWaiting(orm: Orm, queue: MarkQueue): Promise<void> {
  queue.running = true;
  try {
    while (queue.waiting.length) {
      if (queue.waiting.length < MARK_BATCH && Date.now() - queue.lastEnd < MARK_BUSY_MS) {
        await new Promise<void>((go) => {
          const timer = setTimeout(go, MARK_LINGER_MS);
          queue.full = () => {
            clearTimeout(timer);
            go();
          };
        });
        queue.full = null;
      }
      // The first waiting mark's shape; one mark per key (a statement cannot update one row twice): others wait.
      const { shape } = queue.waiting[0]!;
      const group: Mark[] = [];
      const keys = new Set<string>();
      const rest: Mark[] = [];
      for (const m of queue.waiting) {
        if (group.length < MARK_BATCH && m.shape === shape && !keys.has(m.key)) {
          keys.add(m.key);
          group.push(m);
        } else rest.push(m);
      }
      queue.waiting = rest;
      try {
        await runMarks(orm, group);
        for (const m of group) m.done();
      } catch (err) {
        if (group.length === 1) group[0]!.fail(err);
        else for (const m of group) await runMarks(orm, [m]).then(m.done, m.fail);
      }
      queue.lastEnd = Date.now();
    }
  } finally {
    queue.running = false;
  }
}
