// Signed webhook delivery, once per idempotency key through the webhook_deliveries ledger, to public addresses only
// (or hosts WEBHOOK_ALLOWED_HOSTS names), never following a redirect.
import { ApplicationFailure } from '@temporalio/activity';
import { createHmac } from 'node:crypto';
import { lookup as systemLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Orm } from '../db/orm.ts';
import { claimDelivery, deliveryRefused, deliveryState, deliveryUnanswered, markDelivered } from '../db/webhook-deliveries.ts';
import { refusedAddress, refusedTarget } from '../domain/webhook-targets.ts';
import { leaseHeld } from './ledger.ts';

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

/** Name resolution for webhook targets: every address a name resolves to. */
export type Resolve = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface WebhookGuard {
  /** WEBHOOK_ALLOWED_HOSTS: hosts (with a port or not) that may be private; every other target must be public. */
  allowedHosts: readonly string[];
  /** The system resolver unless given (tests map names to addresses with it). */
  resolve?: Resolve;
}

/** The target is not a public address, or answered with a redirect: the same on every retry. */
class TargetRefused extends Error {}

/**
 * One POST, without following redirects. The guard resolves the name inside the connection (net's `lookup`), so
 * the address it judged is the address connected to; a literal address is judged before, as net never looks it up.
 */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, guard: WebhookGuard) {
  const refusal = refusedTarget(url, guard.allowedHosts);
  if (refusal) return Promise.reject(new TargetRefused(refusal));
  const resolve = guard.resolve ?? ((hostname: string) => systemLookup(hostname, { all: true }));
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname)
      .then((all) => {
        const addresses = all.filter((a) => !options.family || a.family === options.family);
        if (!addresses.length) throw Object.assign(new Error(`${hostname} has no address to connect to`), { code: 'ENOTFOUND' });
        const why = addresses.map((a) => refusedAddress(url, a.address, guard.allowedHosts)).find(Boolean);
        if (why) throw new TargetRefused(why);
        return addresses;
      })
      .then(
        (addresses) => (options.all ? callback(null, addresses) : callback(null, addresses[0]!.address, addresses[0]!.family)),
        (err: NodeJS.ErrnoException) => callback(err, '', 0),
      );
  };
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        agent: false,
        signal,
      },
      (response) => {
        response.on('error', () => {
          /* the status is all we read; a body cut short does not matter */
        });
        response.resume();
        resolve({ status: response.statusCode ?? 0, location: response.headers.location });
      },
    );
    request.on('error', (err) => reject(signal.aborted ? new Error(`${url.host} did not answer within ${timeoutMs} ms`) : err));
    request.end(body);
  });
}

export async function deliverWebhook(
  orm: Orm,
  target: WebhookTarget,
  {
    idempotencyKey,
    workflowId,
    event,
    data,
    timeoutMs,
    guard,
  }: {
    idempotencyKey: string;
    workflowId: string;
    event: string;
    data: unknown;
    timeoutMs: number;
    guard: WebhookGuard;
  },
): Promise<{ status: 'delivered' | 'duplicate'; responseStatus: number | null }> {
  // Claimed with a lease, as the email ledger does (db/webhook-deliveries.ts).
  if (!(await claimDelivery(orm, { key: idempotencyKey, workflowId, channel: target.name, url: target.url }))) {
    const row = await deliveryState(orm, idempotencyKey);
    if (row?.status === 'delivered') return { status: 'duplicate', responseStatus: row.response_status };
    throw leaseHeld(`delivery ${idempotencyKey}`, row?.lease_seconds);
  }

  const body = JSON.stringify({ event, idempotencyKey, data });
  const timestamp = Math.floor(Date.now() / 1000);
  let response: { status: number; location: string | undefined };
  try {
    response = await post(
      new URL(target.url),
      {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        'x-opsflow-event': event,
        'x-opsflow-signature': signWebhook(target.secret, timestamp, body),
      },
      body,
      timeoutMs,
      guard,
    );
  } catch (err) {
    // A refused target was never connected to: the record says why, and nothing about the port.
    const refused = err instanceof TargetRefused;
    await deliveryUnanswered(orm, idempotencyKey, refused ? err.message : String(err), refused);
    if (refused) throw ApplicationFailure.nonRetryable(err.message, 'WebhookTargetRefused');
    throw err;
  }
  const ok = response.status >= 200 && response.status < 300;
  if (ok) {
    await markDelivered(orm, idempotencyKey, response.status);
    return { status: 'delivered', responseStatus: response.status };
  }
  const redirect = response.status >= 300 && response.status < 400;
  const error = redirect
    ? `${target.url} answered ${response.status}${response.location ? ` (to ${response.location})` : ''}; redirects are not followed: set the channel's URL to the final address`
    : `${target.url} answered ${response.status}`;
  // Redirects, and 4xx other than timeout and rate limiting, will not change on retry: the receiver refuses this delivery.
  const permanent = redirect || (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429);
  await deliveryRefused(orm, idempotencyKey, { status: permanent ? 'failed' : 'pending', responseStatus: response.status, error });
  if (permanent) throw ApplicationFailure.nonRetryable(error, redirect ? 'WebhookRedirect' : 'WebhookRefused');
  throw new Error(error);
}
