// The campaign sender: one long activity per send pass that walks the frozen send ledger in order at the campaign's
// rate, mails each recipient once through the messaging policy (the steps of sendToCustomer, with the policy deciding
// a chunk of recipients per transaction), heartbeats its cursor and resumes from it. It stops within one message when the campaign's stage leaves 'running' (pause, end, cancel), and before
// the budget or a guard rule would be broken. When its worker shuts down (SIGTERM) it starts nothing more, finishes
// the transfers already talking to the mail server, and fails the attempt so the pass resumes on another worker.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import type { Orm } from '../db/orm.ts';
import { guardCounts, ledgerCounts } from '../db/campaign-counts.ts';
import {
  nextDeferredAt,
  recipientSent,
  sendableLeft,
  sendablePage,
  settleRecipients,
  type SendableRow,
} from '../db/campaign-recipients.ts';
import { campaignStage } from '../db/campaigns.ts';
import { giveBackReservations } from '../db/customer-messages.ts';
import { readMessagingPolicy } from '../db/settings.ts';
import { affordableSends, cents, type ArmedGuard, type GuardFigures, type SendPass, type SendPassResult } from '../domain/campaign.ts';
import { SMTP_CONNECTIONS } from '../runtime/mailer.ts';
import { durationToMs } from '../domain/durations.ts';
import { claimMails, releaseMails } from '../db/email-outbox.ts';
import {
  decideSends,
  deliverPrepared,
  prepareDecided,
  type CustomerEmailDeps,
  type CustomerEmailRequest,
  type CustomerFacts,
  type PreparedSend,
} from './customer-email.ts';
import { outboxMail } from './email.ts';
import { isLeaseHeld } from './ledger.ts';

export type { SendPass, SendPassResult } from '../domain/campaign.ts';

/**
 * Sends in flight at once, three per pooled SMTP connection: a send keeps its place while it waits for a connection,
 * while it talks to the mail server (about 15 ms into the bench's sink) and while its mark is written (about 15 ms
 * too: a mark waits up to MARK_LINGER_MS, in db/email-outbox.ts, for others to share its statement). With two per
 * connection, the marks held half the places and the connections stood idle a fifth of the time (bench:campaign at
 * 100,000 recipients: 0.75x bare nodemailer, against 0.83x with three).
 */
export const SEND_CONCURRENCY = 3 * SMTP_CONNECTIONS;
/**
 * Sends talking to the mail server at once: one per pooled SMTP connection. The next sends are claimed in the email
 * ledger meanwhile, so a connection does not wait for a claim's round trip; a claim waits for a slot behind at most
 * two transfers per connection (SEND_CONCURRENCY is three times the slots), well inside its lease.
 */
const SMTP_SLOTS = SMTP_CONNECTIONS;

/** A send that was waiting for an SMTP slot when the pass was cancelled: nothing of it was claimed or transferred. */
class NotStarted extends Error {}

/**
 * At most `n` of the functions it is given run at once; the others wait their turn, in order. Once `signal` aborts,
 * those still waiting (and any given later) are refused with NotStarted; those running finish.
 */
function limiter(n: number, signal: AbortSignal): <T>(run: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: { go: () => void; refuse: (err: Error) => void }[] = [];
  signal.addEventListener(
    'abort',
    () => {
      for (const w of waiting.splice(0)) w.refuse(new NotStarted());
    },
    { once: true },
  );
  return async (run) => {
    if (signal.aborted) throw new NotStarted();
    // A finishing run hands its slot straight to the next in line, so a newcomer cannot slip in between.
    if (active < n) active += 1;
    else await new Promise<void>((go, refuse) => waiting.push({ go, refuse }));
    try {
      return await run();
    } finally {
      const next = waiting.shift();
      if (next) next.go();
      else active -= 1;
    }
  };
}
const PAGE = 500;
/** Recipients the messaging policy decides in one transaction, at most. */
const DECIDE_BATCH = 32;
/** Mails composed between two turns of the event loop. */
const COMPOSE_BETWEEN_YIELDS = 4;
/**
 * The email ledger's lease for a campaign send: a send claimed by an attempt that died (the heartbeat timeout says
 * so) may be retried after this. Longer than one message can take with the mailer's timeouts.
 */
export const CAMPAIGN_SEND_LEASE_SECONDS = 60;
const GUARD_CHECK_MS = 1000;
/** How often the sender reads the send gate: a pause is seen within this, and its answer waits for the pass to stop. */
const GATE_CHECK_MS = 100;

type Row = SendableRow;
interface Ready {
  row: Row;
  req: CustomerEmailRequest;
  decidedAt: string;
  /** Its mail, or why it could not be composed (thrown when its turn comes, as a send would). */
  prepared: PreparedSend | { error: unknown };
  /** Its key in the email ledger, claimed with its chunk's (see LedgerMail.claimed). */
  claimed: { attempt: number | null; at: number } | null;
}

/** The first guard whose rate (since its baseline) is over its limit, with the detail and the figures now. */
async function trippedGuard(
  orm: Orm,
  campaignId: string,
  guards: ArmedGuard[],
): Promise<{ guard: ArmedGuard; detail: string; figures: GuardFigures } | null> {
  if (guards.length === 0) return null;
  const f = await guardCounts(orm, campaignId);
  for (const guard of guards) {
    const figures: GuardFigures =
      guard.metric === 'unsubscribe_rate'
        ? { hits: f.unsubscribed, base: f.sent, sent: f.sent }
        : { hits: f.failed, base: f.sent + f.failed, sent: f.sent };
    const b = guard.baseline ?? { hits: 0, base: 0, sent: 0 };
    const [hits, base, sent] = [figures.hits - b.hits, figures.base - b.base, figures.sent - b.sent];
    if (sent < guard.minSends || base <= 0) continue;
    const rate = hits / base;
    if (rate > guard.above) {
      const since = guard.baseline ? ' since it last fired' : '';
      return {
        guard,
        figures,
        detail: `${guard.metric} ${(rate * 100).toFixed(2)}% (${hits} of ${base}) is above ${(guard.above * 100).toFixed(2)}% after ${sent} sends${since}`,
      };
    }
  }
  return null;
}

/** The SDK cancels an activity with this reason when its worker shuts down (SIGTERM, Worker.shutdown()). */
const workerShutdown = (ctx: Context) =>
  ctx.cancellationDetails?.workerShutdown === true || (ctx.cancellationSignal.reason as Error | undefined)?.message === 'WORKER_SHUTDOWN';

export async function runSendPass(deps: CustomerEmailDeps, pass: SendPass): Promise<SendPassResult> {
  const { orm } = deps;
  const ctx = Context.current();
  const resumed = (ctx.info.heartbeatDetails as { cursor?: number } | undefined)?.cursor ?? 0;
  const policy = await readMessagingPolicy(orm);
  const affordable = affordableSends(pass.budget);
  const costCents = cents(pass.budget.costPerSend);
  const interval = 1000 / pass.sendRate;
  // Decisions are made at most about half a second of sends ahead, so an unsubscription is honoured at once; at a
  // fast rate up to two chunks ahead, so the next chunk is decided while the one before it is sent.
  const lookahead = Math.max(1, Math.min(2 * DECIDE_BATCH, Math.ceil(pass.sendRate / 2)));

  let sent = (await ledgerCounts(orm, pass.campaignId)).sent;
  let stop: { outcome: SendPassResult['outcome']; detail: string | null; guard: SendPassResult['guard'] } | null = null;
  let failure: unknown = null;
  let nextSlot = Date.now();
  let lastGuardCheck = 0;
  let guarding: Promise<void> | null = null;
  let leaseUntil = 0;
  /** Sends the policy allowed, in ledger order, waiting for their turn; those talking to the mail server; and rows
   * that left them unsettled (another attempt's lease, a failed send), which a later sweep or attempt takes. */
  const ready: Ready[] = [];
  const inflight = new Map<number, Promise<void>>();
  const unsettled = new Set<number>();
  /** Allowed sends the pass's cancellation caught waiting for an SMTP slot: given back like `ready` at the end. */
  const unstarted: Ready[] = [];
  let decidedUpTo = Math.max(pass.fromSeq, resumed);
  /** Every row at or before the cursor is settled. */
  const cursor = () => {
    const open = [...inflight.keys(), ...ready.map((r) => r.row.seq), ...unsettled];
    return open.length ? Math.min(...open) - 1 : decidedUpTo;
  };
  /** Where the pass's time went (ms summed over sends), logged at debug when it ends: to see what limits the rate. */
  const stats = { sends: 0, slotWaitMs: 0, slotHeldMs: 0, afterSlotMs: 0, decideMs: 0, decided: 0, starvedMs: 0, fullMs: 0 };
  const passStart = Date.now();
  const slots = limiter(SMTP_SLOTS, ctx.cancellationSignal);
  const smtp: typeof slots = (run) => {
    const queued = Date.now();
    return slots(async () => {
      const got = Date.now();
      stats.slotWaitMs += got - queued;
      try {
        return await run();
      } finally {
        stats.slotHeldMs += Date.now() - got;
      }
    });
  };
  let inflightAtCancel = 0;
  ctx.cancellationSignal.addEventListener(
    'abort',
    () => {
      inflightAtCancel = inflight.size;
    },
    { once: true },
  );

  const settle = (rows: { id: number; status: string; reason: string | null; until: string | null }[]) =>
    settleRecipients(orm, costCents, rows);

  const request = (row: Row): CustomerEmailRequest => {
    const message = pass.messages[row.variant ?? 'default'];
    if (!message) throw ApplicationFailure.nonRetryable(`no message for variant ${row.variant}`, 'Unprocessable');
    return {
      idempotencyKey: `${pass.workflowId}:send:${row.customer_id}`,
      workflowId: pass.workflowId,
      customerId: row.customer_id,
      template: 'campaign',
      category: 'marketing',
      data: {
        subject: message.subject,
        body: message.body,
        ...(pass.label ? { campaignName: pass.label.name, endsAt: pass.label.endsAt } : {}),
      },
      ...(pass.templates ? { templateVersions: pass.templates } : {}),
      campaignId: pass.campaignId,
      leaseSeconds: CAMPAIGN_SEND_LEASE_SECONDS,
      // The ledger row is marked in the statement that marks the email sent.
      onSent: [recipientSent(row.id, costCents)],
    };
  };

  /**
   * The messaging policy decides a chunk of recipients in one transaction; skips and deferrals are settled at once.
   * The sends' mails are composed and their keys claimed in the email ledger in one statement, so a send's only
   * ledger write is the one that marks it sent; the claims of those never started are given back at the end.
   */
  let decidedThisSweep = 0;
  const decideChunk = async (rows: Row[]) => {
    const reqs = rows.map(request);
    const decideStart = Date.now();
    const decisions = await decideSends(orm, reqs, policy);
    stats.decideMs += Date.now() - decideStart;
    stats.decided += rows.length;
    const settled: Parameters<typeof settle>[0] = [];
    const allowed: { row: Row; req: CustomerEmailRequest; customer: CustomerFacts; decidedAt: string }[] = [];
    decisions.forEach((d, i) => {
      const row = rows[i]!;
      if ('send' in d) return void allowed.push({ row, req: reqs[i]!, customer: d.send, decidedAt: d.decidedAt });
      unsettled.delete(row.seq);
      const o = d.outcome;
      if (o.status === 'deferred') settled.push({ id: row.id, status: 'deferred', reason: o.reason, until: o.until });
      else if (o.status === 'skipped') settled.push({ id: row.id, status: 'skipped', reason: o.reason, until: null });
      else {
        sent += 1;
        settled.push({ id: row.id, status: 'sent', reason: null, until: null });
      }
    });
    const sends: Ready[] = [];
    for (const [i, { row, req, customer, decidedAt }] of allowed.entries()) {
      // Composing is CPU work: the replies the SMTP connections wait for are read between a few mails, not after all.
      if (i > 0 && i % COMPOSE_BETWEEN_YIELDS === 0) await yieldToIo();
      const prepared = await prepareDecided(deps, req, customer, policy).catch((error: unknown) => ({ error }));
      sends.push({ row, req, decidedAt, prepared, claimed: null });
    }
    const composed = sends.flatMap((item) => ('mail' in item.prepared ? [item.prepared] : []));
    if (composed.length) {
      const at = Date.now();
      const claims = await claimMails(
        orm,
        composed.map((p) => outboxMail(p.mail, p.from)),
        CAMPAIGN_SEND_LEASE_SECONDS,
      ).catch((err: unknown) => {
        // Nothing claimed (one statement): their reservations are given back at the end like any unstarted send's.
        unstarted.push(...sends);
        throw err;
      });
      for (const item of sends) if ('mail' in item.prepared) item.claimed = { attempt: claims.get(item.req.idempotencyKey) ?? null, at };
    }
    for (const item of sends) {
      unsettled.delete(item.row.seq);
      ready.push(item);
    }
    await settle(settled);
    decidedThisSweep += rows.length;
    decidedUpTo = Math.max(decidedUpTo, rows.at(-1)!.seq);
  };

  const deliver = async (item: Ready) => {
    const { row, prepared, claimed } = item;
    try {
      if (!('mail' in prepared)) throw prepared.error;
      let slotEnd = 0;
      const outcome = await deliverPrepared(deps, prepared, {
        around: (run) =>
          smtp(run).finally(() => {
            slotEnd = Date.now();
          }),
        ...(claimed ? { claimed } : {}),
      });
      stats.sends += 1;
      if (slotEnd) stats.afterSlotMs += Date.now() - slotEnd;
      sent += 1;
      // A fresh send marked the row with the email; a duplicate (sent by an earlier attempt) is marked here.
      if (outcome.status === 'duplicate') await settle([{ id: row.id, status: 'sent', reason: null, until: null }]);
    } catch (err) {
      if (err instanceof NotStarted) {
        unsettled.add(row.seq);
        unstarted.push(item);
      } else if (isLeaseHeld(err)) {
        // A dead attempt's claim: the row stays pending and a later sweep of this pass takes it once the lease is out.
        unsettled.add(row.seq);
        const remaining = err.nextRetryDelay ? durationToMs(err.nextRetryDelay) : CAMPAIGN_SEND_LEASE_SECONDS * 1000;
        leaseUntil = Math.max(leaseUntil, Date.now() + remaining);
      } else if (err instanceof ApplicationFailure && err.nonRetryable) {
        await settle([
          { id: row.id, status: 'failed', reason: err.type === 'EmailRejected' ? 'rejected' : (err.type ?? 'failed'), until: null },
        ]);
      } else {
        unsettled.add(row.seq);
        failure ??= err;
      }
    }
  };

  const heartbeat = () => ctx.heartbeat({ cursor: cursor() });
  const ticker = setInterval(heartbeat, 1000);
  const readGate = () => campaignStage(orm, pass.campaignId);
  let gate = await readGate();
  let gateReadAt = Date.now();
  /** The send gate: a pause, an end or a cancel closes it once the workflow's write is committed. */
  const gateClosed = async () => {
    if (Date.now() - gateReadAt >= GATE_CHECK_MS) {
      gate = await readGate();
      gateReadAt = Date.now();
    }
    if (gate === 'running') return false;
    stop ??= { outcome: 'stopped', detail: `the campaign is ${gate}`, guard: null };
    return true;
  };
  const halted = () => stop !== null || failure !== null || ctx.cancellationSignal.aborted;
  /** Waits until `until`, but no longer than it takes to see the gate close or the pass cancelled. */
  const napUntil = async (until: number) => {
    for (;;) {
      // Under a millisecond is now: a timer waits at least one, which paced a fast pass's bursts at one send a millisecond.
      const left = until - Date.now();
      if (left < 1 || halted() || (await gateClosed())) return;
      // Rejects only when the pass is cancelled, which halted() then sees. Not the SDK's sleep(): each call of it keeps
      // about 1 KB on the context's `cancelled` promise until the activity ends, growing with the sends of a paced pass.
      await sleep(Math.min(GATE_CHECK_MS, left), undefined, { signal: ctx.cancellationSignal }).catch(() => undefined);
    }
  };
  /** The guard rules are checked beside the sends, once a second; a large ledger does not hold them up. */
  const checkGuards = () => {
    if (guarding || pass.guards.length === 0 || Date.now() - lastGuardCheck < GUARD_CHECK_MS) return;
    lastGuardCheck = Date.now();
    guarding = trippedGuard(orm, pass.campaignId, pass.guards)
      .then((tripped) => {
        if (!tripped) return;
        const { baseline: _, ...rule } = tripped.guard;
        stop ??= { outcome: 'guard', detail: tripped.detail, guard: { rule, figures: tripped.figures } };
      })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        guarding = null;
      });
  };

  let refilling: Promise<void> | null = null;
  try {
    for (let sweep = 0; ; sweep++) {
      let from = sweep === 0 ? decidedUpTo : 0;
      let page: Row[] = [];
      let exhausted = false;
      decidedThisSweep = 0;
      const fetchPage = async () => {
        if (page.length > 0 || exhausted) return;
        page = await sendablePage(orm, pass.campaignId, pass.phase, from, PAGE);
        if (page.length === 0) exhausted = true;
        else from = page.at(-1)!.seq;
      };
      /** Decides the next chunk while earlier ones are being sent, so the mail server never waits for the policy. */
      const refill = async (room: number) => {
        try {
          await fetchPage();
          if (exhausted || (await gateClosed())) return;
          await decideChunk(page.splice(0, Math.min(DECIDE_BATCH, lookahead, room)));
        } catch (err) {
          failure ??= err;
        }
      };
      while (!halted()) {
        checkGuards();
        // Sends in flight or waiting may still be skipped or fail: only they may use the budget's remaining room.
        const room = affordable - sent - inflight.size - ready.length;
        if (ready.length < lookahead && room > 0 && !refilling && !exhausted) {
          refilling = refill(room).finally(() => {
            refilling = null;
          });
        }
        if (ready.length === 0) {
          if (refilling) {
            const waited = Date.now();
            await refilling;
            stats.starvedMs += Date.now() - waited;
            continue;
          }
          if (inflight.size > 0) {
            await Promise.race(inflight.values());
            continue;
          }
          if (exhausted) break;
          // No room left: the budget is spent, unless every recipient has been decided already.
          await fetchPage();
          if (exhausted) break;
          stop = {
            outcome: 'budget',
            detail: `the budget of ${pass.budget.total} ${pass.budget.currency} pays for ${affordable} sends; ${sent} were sent`,
            guard: null,
          };
          break;
        }
        const full = Date.now();
        while (inflight.size >= SEND_CONCURRENCY) await Promise.race(inflight.values());
        stats.fullMs += Date.now() - full;
        await napUntil(nextSlot);
        nextSlot = Math.max(nextSlot, Date.now() - interval) + interval;
        if (halted() || (await gateClosed())) break;
        const item = ready.shift()!;
        inflight.set(
          item.row.seq,
          deliver(item).finally(() => inflight.delete(item.row.seq)),
        );
      }
      await refilling;
      await Promise.allSettled(inflight.values());
      await guarding;
      if (halted()) break;
      if (leaseUntil > 0) {
        // Rows held by a dead attempt's lease: wait it out (heartbeating), then sweep the pass again.
        await napUntil(leaseUntil);
        leaseUntil = 0;
        if (halted()) break;
        continue;
      }
      // Rows this sweep passed over: sweep again from the start while that still decides something.
      const left = await sendableLeft(orm, pass.campaignId, pass.phase);
      if (left === 0 || decidedThisSweep === 0) break;
    }
  } finally {
    clearInterval(ticker);
    await refilling;
    await Promise.allSettled(inflight.values());
    await guarding;
    // Allowed but never started: give their places under the frequency cap back (this attempt's own reservations
    // only); the next pass decides them again.
    const given = [...ready, ...unstarted];
    // The claims of those never handed to a send (an unstarted send gave its own back).
    await releaseMails(
      orm,
      ready.flatMap((r) => (r.claimed?.attempt ? [{ key: r.req.idempotencyKey, attempt: r.claimed.attempt }] : [])),
      'not started: the send pass stopped',
    );
    if (given.length) {
      await giveBackReservations(
        orm,
        given.map((r) => ({ key: r.req.idempotencyKey, at: r.decidedAt })),
      );
    }
  }
  const per = (ms: number, n: number) => (n ? Math.round((ms / n) * 100) / 100 : null);
  ctx.log.debug('send pass timings', {
    sends: stats.sends,
    seconds: (Date.now() - passStart) / 1000,
    perSendMs: {
      slotWait: per(stats.slotWaitMs, stats.sends),
      slotHeld: per(stats.slotHeldMs, stats.sends),
      afterSlot: per(stats.afterSlotMs, stats.sends),
    },
    decideMsPerRecipient: per(stats.decideMs, stats.decided),
    waitingMs: { forDecisions: stats.starvedMs, forInflightRoom: stats.fullMs },
  });
  if (failure) throw failure;
  heartbeat();
  if (workerShutdown(ctx)) {
    // Every send this attempt started is settled and the cursor is heartbeated: a retry on another worker resumes
    // after it, sending nothing twice. The worker can exit now instead of sending until its grace time runs out.
    const message =
      `the worker is shutting down: ${inflightAtCancel - unstarted.length} send(s) under way were finished ` +
      `and recorded, ${unstarted.length + ready.length} not started; the pass resumes after position ${cursor()}`;
    ctx.log.info(message);
    throw ApplicationFailure.create({ type: 'WorkerShutdown', message, nextRetryDelay: '1s' });
  }
  const nextDeferred = await nextDeferredAt(orm, pass.campaignId, pass.phase);
  return {
    outcome: stop?.outcome ?? (ctx.cancellationSignal.aborted ? 'stopped' : 'done'),
    detail: stop?.detail ?? null,
    guard: stop?.guard ?? null,
    cursor: cursor(),
    counts: await ledgerCounts(orm, pass.campaignId),
    nextDeferredAt: nextDeferred,
  };
}
