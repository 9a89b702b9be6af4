// Per-process caches of the few rows every request reads (the operator behind an API token, the enabled channels),
// kept coherent with PostgreSQL instead of expiring: a trigger on each cached table sends NOTIFY opsflow_changes
// '<table>' at the commit of any change (migration 20261204030000), and one dedicated connection per pool LISTENs.
// A notification empties the table's cache; a lost connection or a late ping empties them all and turns them off
// until the listener is back; a read that overlapped any of these is not kept. A notification arrives a little after
// its commit (up to milliseconds on a busy machine), so before answering from a cache a request waits for one trivial
// statement on the listener's connection sent after the request arrived (shared by the requests waiting): PostgreSQL
// sends every notification of an earlier commit ahead of that statement's answer, so a change committed before the
// request arrived, through any process, is always seen.
import net from 'node:net';
import pg from 'pg';
import type { Pool } from 'pg';
import { performance } from 'node:perf_hooks';
import type { Orm } from './orm.ts';
import { poolOf } from './prepared.ts';

export const CHANGES_CHANNEL = 'opsflow_changes';
/** The listener's application_name, as pg_stat_activity shows it. */
export const LISTENER_NAME = 'opsflow change listener';
const TICK_MS = 1_000;
const PING_EVERY_MS = 5_000;
/** A connection, LISTEN or ping not done within this long: the listener is not hearing notifications. */
const DEAF_AFTER_MS = 5_000;
const RETRY_MAX_MS = 30_000;
/** A catch-up statement not answered within this long: the cache is not used, and the listener is replaced. */
const CATCH_UP_TIMEOUT_MS = 2_000;
/** Bounds what a notification lost in a way nobody foresaw could cost: no entry is kept longer than this. */
const MAX_AGE_MS = 60_000;

/** A cache's table and size bound; one cache per pool is made from it. */
export interface CacheSpec {
  table: string;
  max: number;
}

/** Taken before a read, so that `set` keeps the result only if nothing was cleared while it ran. */
export interface Stamp {
  generation: number;
}

export class TableCache<V> {
  readonly #feed: ChangeFeed;
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; at: number }>();
  #generation = 0;

  constructor(feed: ChangeFeed, max: number) {
    this.#feed = feed;
    this.#max = max;
  }

  /**
   * The values of the keys this cache holds, as of `asOf` (performance.now() when the request arrived): every change
   * committed before then has been heard. Keys not held, or all of them while the cache is off, are left out.
   */
  async fresh(keys: readonly string[], asOf: number): Promise<Map<string, V>> {
    const found = new Map<string, V>();
    if (!this.#feed.live || !keys.some((k) => this.#entries.has(k)) || !(await this.#feed.caughtUp(asOf))) return found;
    const now = Date.now();
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry && now - entry.at < MAX_AGE_MS) found.set(key, entry.value);
    }
    return found;
  }

  stamp(): Stamp {
    return { generation: this.#generation };
  }

  /** Keeps values read since `stamp`, unless the cache was cleared or went off meanwhile; the oldest make room. */
  set(stamp: Stamp, values: Iterable<readonly [string, V]>): void {
    if (!this.#feed.live || stamp.generation !== this.#generation) return;
    const at = Date.now();
    for (const [key, value] of values) {
      this.#entries.delete(key);
      this.#entries.set(key, { value, at });
      if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}

/** The LISTEN connection of one pool, and the caches it keeps coherent. */
class ChangeFeed {
  readonly #pool: Pool;
  readonly #caches = new Map<CacheSpec, TableCache<unknown>>();
  #client: pg.Client | undefined;
  #live = false;
  #closed = false;
  /** The ping awaited back (sent at connection too), and since when. */
  #waiting: { payload: string; since: number } | undefined;
  #lastPing = 0;
  #retryMs = 250;
  /** performance.now() when the last answered catch-up statement was sent. */
  #caughtUpTo = -Infinity;
  #catchUps: ((ok: boolean) => void)[] = [];
  #catchingUp = false;
  readonly #timer: NodeJS.Timeout;

  constructor(pool: Pool) {
    this.#pool = pool;
    // Unreferenced, like the listener's socket: the feed never keeps a process alive.
    this.#timer = setInterval(() => this.#tick(), TICK_MS).unref();
    void this.#connect();
  }

  get live(): boolean {
    return this.#live && !this.#pool.ending;
  }

  /**
   * Resolves true once every notification of a commit acknowledged before `asOf` has been handled: the answer to a
   * statement sent on the listener's connection after `asOf` (PostgreSQL delivers pending notifications before it).
   * One statement serves every request waiting when it is sent. False: the listener is off, failed or too slow.
   */
  caughtUp(asOf: number): Promise<boolean> | boolean {
    if (!this.live) return false;
    if (this.#caughtUpTo >= asOf) return true;
    return new Promise((resolve) => {
      this.#catchUps.push(resolve);
      if (!this.#catchingUp) void this.#catchUp();
    });
  }

  async #catchUp(): Promise<void> {
    this.#catchingUp = true;
    while (this.#catchUps.length > 0) {
      const waiting = this.#catchUps;
      this.#catchUps = [];
      const client = this.#client;
      const sentAt = performance.now();
      let ok = false;
      if (client && this.live) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            client.query(';'),
            new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the listener is not answering')), CATCH_UP_TIMEOUT_MS))),
          ]);
          ok = client === this.#client && this.live;
        } catch {
          this.#down(client);
        } finally {
          clearTimeout(timer);
        }
      }
      if (ok) this.#caughtUpTo = Math.max(this.#caughtUpTo, sentAt);
      for (const resolve of waiting) resolve(ok);
    }
    this.#catchingUp = false;
  }

  cache<V>(spec: CacheSpec): TableCache<V> {
    let cache = this.#caches.get(spec);
    if (!cache) this.#caches.set(spec, (cache = new TableCache<unknown>(this, spec.max)));
    return cache as TableCache<V>;
  }

  #clear(table?: string): void {
    for (const [spec, cache] of this.#caches) if (table === undefined || spec.table === table) cache.clear();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({
      ...(this.#pool.options as pg.ClientConfig),
      keepAlive: true,
      application_name: LISTENER_NAME,
      stream: () => new net.Socket().unref(),
    });
    this.#client = client;
    this.#waiting = { payload: newPing(), since: Date.now() };
    client.on('error', () => this.#down(client));
    client.on('end', () => this.#down(client));
    client.on('notification', ({ channel, payload }) => {
      if (client !== this.#client || channel !== CHANGES_CHANNEL || !payload) return;
      if (payload === this.#waiting?.payload) {
        this.#waiting = undefined;
        if (!this.#live) {
          // What changed while nobody listened is unknown: start empty.
          this.#clear();
          this.#live = true;
          this.#retryMs = 250;
        }
      } else if (!payload.startsWith('ping ')) this.#clear(payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${CHANGES_CHANNEL}`);
      await this.#sendPing(client, this.#waiting.payload);
    } catch {
      this.#down(client);
    }
  }

  async #sendPing(client: pg.Client, payload: string): Promise<void> {
    this.#lastPing = Date.now();
    await client.query('select pg_notify($1, $2)', [CHANGES_CHANNEL, payload]);
  }

  #tick(): void {
    if (this.#pool.ending) return this.close();
    const client = this.#client;
    if (!client) return;
    const now = Date.now();
    if (this.#waiting && now - this.#waiting.since > DEAF_AFTER_MS) return this.#down(client);
    if (!this.#waiting && now - this.#lastPing >= PING_EVERY_MS) {
      this.#waiting = { payload: newPing(), since: now };
      this.#sendPing(client, this.#waiting.payload).catch(() => this.#down(client));
    }
  }

  /** The listener is gone or deaf: the caches go off and empty, and a new connection follows unless closed. */
  #down(client: pg.Client): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#live = false;
    this.#caughtUpTo = -Infinity;
    this.#waiting = undefined;
    this.#clear();
    client.end().catch(() => undefined);
    if (this.#pool.ending) this.close();
    if (this.#closed) return;
    setTimeout(() => void this.#connect(), this.#retryMs).unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  /** The pool has ended (the ORM closed): no more listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#client) this.#down(this.#client);
    feeds.delete(this.#pool);
  }
}

const newPing = () => `ping ${process.pid}.${Math.random().toString(36).slice(2)}`;

const feeds = new Map<Pool, ChangeFeed>();

/** This ORM's feed, its listener started on first use; none for the embedded single-session database (see below). */
async function feedOf(orm: Orm): Promise<ChangeFeed | undefined> {
  if ((orm.config.get('pool')?.max ?? 10) < 2) return undefined;
  const pool = await poolOf(orm);
  if (pool.ending) return undefined;
  let feed = feeds.get(pool);
  if (!feed) feeds.set(pool, (feed = new ChangeFeed(pool)));
  return feed;
}

/**
 * This ORM's cache for `spec`, or undefined where none can be kept: the embedded single-session database takes one
 * connection, and has none to spare for listening.
 */
export async function changeCache<V>(orm: Orm, spec: CacheSpec): Promise<TableCache<V> | undefined> {
  return (await feedOf(orm))?.cache<V>(spec);
}

/** Whether this ORM's caches are answering (their listener is connected and hears its own pings); starts it if need be. */
export async function changesHeard(orm: Orm): Promise<boolean> {
  return (await feedOf(orm))?.live ?? false;
}
