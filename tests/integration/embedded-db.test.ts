// The embedded database of `npm start` without DATABASE_URL (PGlite served over the wire protocol): one session
// outlives every connection made to it, so the ORM's pool resets each new connection (DISCARD ALL) and keeps its one
// connection open. Before, once the pool had closed its idle connection, every request failed on the token lookup's
// prepared statement ("already exists").
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { openOrm, type Orm } from '../../db/orm.ts';
import { poolOf, prepared, runPrepared } from '../../db/prepared.ts';
import { startEmbeddedDb, type EmbeddedDb } from '../../start/embedded-db.ts';
import { freePort } from '../support/processes.ts';
import { eventually } from '../support/wait.ts';

let dir: string;
let db: EmbeddedDb;
let orm: Orm;
let pool: Pool;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'opsflow-embedded-'));
  db = await startEmbeddedDb({ dir, port: await freePort() });
  orm = await openOrm({ clientUrl: db.url, poolMax: 1, sharedSession: true });
  pool = await poolOf(orm);
});

afterAll(async () => {
  await orm?.close();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

const PROBE = prepared('embedded_probe', 'select $1::int + 1 as n');

/** Closes the pool's connection as a dropped or idle-closed one would be, once the server has let it go. */
async function dropConnection(): Promise<void> {
  const client = await pool.connect();
  client.release(true);
  // The socket server admits one connection: the next is refused until it has seen this one close.
  await eventually(
    () =>
      pool.query('select 1').then(
        () => true,
        () => false,
      ),
    'a new connection',
  );
}

test('a new connection starts a fresh session: prepared statements, settings and LISTENs of the last one are gone', async () => {
  await expect(runPrepared<{ n: number }>(orm, PROBE, [1])).resolves.toEqual([{ n: 2 }]);
  await pool.query(`set statement_timeout = '12s'`);
  await pool.query('listen opsflow_probe');

  await dropConnection();

  // The same named statement again, on the pool's new connection (pg prepares it there anew).
  await expect(runPrepared<{ n: number }>(orm, PROBE, [2])).resolves.toEqual([{ n: 3 }]);
  expect((await pool.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]!.statement_timeout).toBe('0');
  expect((await pool.query('select pg_listening_channels()')).rows).toEqual([]);
});

test('the pool never closes its one connection for being idle', () => {
  expect(pool.options).toMatchObject({ max: 1, idleTimeoutMillis: 0 });
});
