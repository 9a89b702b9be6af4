// The campaign sender: one long activity per send pass that walks the frozen send ledger in order at the campaign's
// rate, mails each recipient once through the messaging policy (sendToCustomer), heartbeats its cursor and resumes
// from it. It stops within one message when the campaign's stage leaves 'running' (pause, end, cancel), and before
// the budget or a guard rule would be broken.
import { ApplicationFailure, Context, sleep } from '@temporalio/activity';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import {
  affordableSends,
  cents,
  type Budget,
  type GuardRule,
  type MessageTemplate,
  type SendCounts,
} from '../workflows/campaign.rules.ts';
import { durationToMs } from '../workflows/lib/time.ts';
import { sendToCustomer, type CustomerEmailDeps } from './customer-email.ts';
import { DEFAULT_MESSAGING_POLICY, type MessagingPolicy } from './messaging-policy.ts';

export interface SendPass {
  campaignId: string;
  workflowId: string;
  phase: 'test' | 'main';
  /** Subject and body by variant name. */
  messages: Record<string, MessageTemplate>;
  budget: Budget;
  guards: GuardRule[];
  /** Messages per second. */
  sendRate: number;
  /** Resume after this position of the ledger (the cursor a stopped pass returned). */
  fromSeq: number;
}

export interface SendPassResult {
  outcome: 'done' | 'stopped' | 'budget' | 'guard';
  /** Why it stopped, for budget and guard. */
  detail: string | null;
  guard: GuardRule | null;
  cursor: number;
  counts: SendCounts;
  /** The earliest time a recipient deferred by quiet hours may be mailed, or null. */
  nextDeferredAt: string | null;
}

/** Sends in flight at once: the mail server connection pool serves them. */
const CONCURRENCY = 8;
const PAGE = 500;
/**
 * The email ledger's lease for a campaign send: a send claimed by an attempt that died (the heartbeat timeout says
 * so) may be retried after this. Longer than one message can take with the mailer's timeouts.
 */
export const CAMPAIGN_SEND_LEASE_SECONDS = 60;
const GUARD_CHECK_MS = 1000;
/** How often the sender reads the send gate: a pause is seen within this, and its answer waits for the pass to stop. */
const GATE_CHECK_MS = 100;

interface Row { id: number; seq: number; customer_id: string; variant: string | null }

export async function ledgerCounts(orm: Orm, campaignId: string): Promise<SendCounts> {
  const conn = orm.em.getConnection();
  const [c] = await conn.execute<Record<string, string | number>[]>(
    `select count(*)::int as audience, count(*) filter (where status = 'sent')::int as sent,
       count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'deferred')::int as deferred,
       count(*) filter (where status = 'failed')::int as failed, count(*) filter (where ever_deferred)::int as ever_deferred,
       coalesce(sum(cost), 0)::float8 as spend
     from campaign_recipients where campaign_id = ?`, [campaignId]);
  const skipped = await conn.execute<{ reason: string; count: number }[]>(
    `select coalesce(reason, 'unknown') as reason, count(*)::int as count from campaign_recipients
     where campaign_id = ? and status = 'skipped' group by 1 order by 1`, [campaignId]);
  return {
    audience: Number(c!.audience), sent: Number(c!.sent), pending: Number(c!.pending), deferred: Number(c!.deferred),
    skipped: Object.fromEntries(skipped.map((s) => [s.reason, s.count])), failed: Number(c!.failed),
    everDeferred: Number(c!.ever_deferred), spend: cents(Number(c!.spend)) / 100,
  };
}

/** The first guard whose rate is over its limit, with the figures. */
async function trippedGuard(orm: Orm, campaignId: string, guards: GuardRule[]): Promise<{ guard: GuardRule; detail: string } | null> {
  if (guards.length === 0) return null;
  const [f] = await orm.em.getConnection().execute<{ sent: number; unsubscribed: number; failed: number }[]>(
    `select count(*) filter (where r.status = 'sent')::int as sent,
       count(*) filter (where r.status = 'sent' and c.unsubscribed_at >= r.sent_at)::int as unsubscribed,
       count(*) filter (where r.status = 'failed')::int as failed
     from campaign_recipients r join customers c on c.id = r.customer_id where r.campaign_id = ?`, [campaignId]);
  for (const guard of guards) {
    const [hits, base] = guard.metric === 'unsubscribe_rate' ? [f!.unsubscribed, f!.sent] : [f!.failed, f!.sent + f!.failed];
    if (f!.sent < guard.minSends || base === 0) continue;
    const rate = hits / base;
    if (rate > guard.above) {
      return { guard, detail: `${guard.metric} ${(rate * 100).toFixed(2)}% (${hits} of ${base}) is above ${(guard.above * 100).toFixed(2)}% after ${f!.sent} sends` };
    }
  }
  return null;
}

export async function runSendPass(deps: CustomerEmailDeps, pass: SendPass): Promise<SendPassResult> {
  const { orm } = deps;
  const conn = orm.em.getConnection();
  const ctx = Context.current();
  const resumed = (ctx.info.heartbeatDetails as { cursor?: number } | undefined)?.cursor ?? 0;
  const policy = await readSetting<MessagingPolicy>(orm, SETTINGS.messagingPolicy, DEFAULT_MESSAGING_POLICY);
  const affordable = affordableSends(pass.budget);
  const costCents = cents(pass.budget.costPerSend);
  const interval = 1000 / pass.sendRate;

  let sent = (await ledgerCounts(orm, pass.campaignId)).sent;
  let stop: { outcome: SendPassResult['outcome']; detail: string | null; guard: GuardRule | null } | null = null;
  let failure: unknown = null;
  let nextSlot = Date.now();
  let lastGuardCheck = 0;
  let leaseUntil = 0;
  const inflight = new Map<number, Promise<void>>();
  let dispatched = Math.max(pass.fromSeq, resumed);
  /** Every row at or before the cursor is settled (or waits for another attempt's lease). */
  const cursor = () => (inflight.size ? Math.min(...inflight.keys()) - 1 : dispatched);

  const settle = async (row: Row, status: string, reason: string | null, until: string | null) => {
    await conn.execute(
      `update campaign_recipients set status = ?, reason = ?, deferred_until = ?, ever_deferred = ever_deferred or ? = 'deferred',
         cost = case when ? = 'sent' then ? / 100.0 else cost end, sent_at = case when ? = 'sent' then now() else sent_at end
       where id = ?`, [status, reason, until, status, status, costCents, status, row.id]);
  };

  const sendOne = async (row: Row) => {
    const message = pass.messages[row.variant ?? 'default'];
    if (!message) throw ApplicationFailure.nonRetryable(`no message for variant ${row.variant}`, 'Unprocessable');
    try {
      const outcome = await sendToCustomer(deps, {
        idempotencyKey: `${pass.workflowId}:send:${row.customer_id}`, workflowId: pass.workflowId, customerId: row.customer_id,
        template: 'campaign', category: 'marketing', data: { subject: message.subject, body: message.body },
        campaignId: pass.campaignId, leaseSeconds: CAMPAIGN_SEND_LEASE_SECONDS,
        onSent: [{
          sql: `update campaign_recipients set status = 'sent', reason = null, deferred_until = null, cost = ? / 100.0, sent_at = now() where id = ?`,
          params: [costCents, row.id],
        }],
      }, policy);
      if (outcome.status === 'deferred') await settle(row, 'deferred', outcome.reason, outcome.until);
      else if (outcome.status === 'skipped') await settle(row, 'skipped', outcome.reason, null);
      else {
        sent += 1;
        // A fresh send marked the row with the email; a duplicate (sent by an earlier attempt) is marked here.
        if (outcome.status === 'duplicate') await settle(row, 'sent', null, null);
      }
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === 'LeaseHeld') {
        // A dead attempt's claim: the row stays pending and a later sweep of this pass takes it once the lease is out.
        const remaining = err.nextRetryDelay ? durationToMs(err.nextRetryDelay) : CAMPAIGN_SEND_LEASE_SECONDS * 1000;
        leaseUntil = Math.max(leaseUntil, Date.now() + remaining);
      } else if (err instanceof ApplicationFailure && err.nonRetryable) {
        await settle(row, 'failed', err.type === 'EmailRejected' ? 'rejected' : (err.type ?? 'failed'), null);
      } else {
        failure ??= err;
      }
    }
  };

  const heartbeat = () => ctx.heartbeat({ cursor: cursor() });
  const ticker = setInterval(heartbeat, 1000);
  const readGate = async () => {
    const [row] = await conn.execute<{ stage: string }[]>('select stage from campaigns where id = ?', [pass.campaignId]);
    return row?.stage ?? 'gone';
  };
  let gate = await readGate();
  let gateReadAt = Date.now();
  try {
    for (let sweep = 0; ; sweep++) {
      let from = sweep === 0 ? dispatched : 0;
      for (;;) {
        const rows = await conn.execute<Row[]>(
          `select id, seq, customer_id, variant from campaign_recipients
           where campaign_id = ? and phase = ? and seq > ?
             and (status = 'pending' or (status = 'deferred' and deferred_until <= now()))
           order by seq limit ${PAGE}`, [pass.campaignId, pass.phase, from]);
        if (rows.length === 0) break;
        for (const row of rows) {
          while (inflight.size >= CONCURRENCY) await Promise.race(inflight.values());
          // Sends in flight may still be skipped, so wait for them before calling the budget spent.
          while (sent + inflight.size >= affordable && inflight.size > 0) await Promise.race(inflight.values());
          if (failure || ctx.cancellationSignal.aborted) break;
          if (sent >= affordable) {
            stop = { outcome: 'budget', detail: `the budget of ${pass.budget.total} ${pass.budget.currency} pays for ${affordable} sends; ${sent} were sent`, guard: null };
            break;
          }
          if (Date.now() - lastGuardCheck >= GUARD_CHECK_MS) {
            lastGuardCheck = Date.now();
            const tripped = await trippedGuard(orm, pass.campaignId, pass.guards);
            if (tripped) { stop = { outcome: 'guard', detail: tripped.detail, guard: tripped.guard }; break; }
          }
          const wait = nextSlot - Date.now();
          if (wait > 0) await sleep(wait);
          nextSlot = Math.max(nextSlot, Date.now() - interval) + interval;
          // The gate: a pause, an end or a cancel has closed it once the workflow's write is committed.
          if (Date.now() - gateReadAt >= GATE_CHECK_MS) {
            gate = await readGate();
            gateReadAt = Date.now();
          }
          if (gate !== 'running') { stop = { outcome: 'stopped', detail: `the campaign is ${gate}`, guard: null }; break; }
          dispatched = Math.max(dispatched, row.seq);
          const p = sendOne(row).finally(() => inflight.delete(row.seq));
          inflight.set(row.seq, p);
        }
        if (stop || failure || ctx.cancellationSignal.aborted) break;
        from = rows.at(-1)!.seq;
      }
      await Promise.allSettled(inflight.values());
      if (stop || failure || ctx.cancellationSignal.aborted || leaseUntil === 0) break;
      // Rows held by a dead attempt's lease: wait it out (heartbeating), then sweep the pass again.
      const waitMs = leaseUntil - Date.now();
      leaseUntil = 0;
      if (waitMs > 0) await sleep(waitMs);
    }
  } finally {
    clearInterval(ticker);
    await Promise.allSettled(inflight.values());
  }
  if (failure) throw failure;
  heartbeat();
  const [next] = await conn.execute<{ at: Date | null }[]>(
    `select min(deferred_until) as at from campaign_recipients where campaign_id = ? and phase = ? and status = 'deferred'`,
    [pass.campaignId, pass.phase]);
  return {
    outcome: stop?.outcome ?? (ctx.cancellationSignal.aborted ? 'stopped' : 'done'),
    detail: stop?.detail ?? null, guard: stop?.guard ?? null, cursor: cursor(),
    counts: await ledgerCounts(orm, pass.campaignId),
    nextDeferredAt: next?.at ? new Date(next.at).toISOString() : null,
  };
}
