// Named prepared statements on the ORM's own pg pool, for the few statements every request runs (the token lookup,
// the channel check and the first content row of POST /content): PostgreSQL parses and plans each once per
// connection, and the call skips the ORM's per-statement work (formatting the values into the text, the query
// builder's connection handling, logging), about a tenth of a millisecond of CPU each. Same pool, same type parsers;
// the pool's errors are those the API already maps (a refused connection answers 503).
import type { Pool } from 'pg';
import type { Orm } from './orm.ts';

/** A statement with $1.. placeholders, named once (the name must be unique to its text). */
export interface Prepared {
  name: string;
  text: string;
}

export const prepared = (name: string, text: string): Prepared => ({ name, text });

const pools = new WeakMap<Orm, Pool>();

/** The ORM's pg pool. A closed ORM's pool is ending: ask the connection again (it reconnects, as the ORM's own statements do). */
export async function poolOf(orm: Orm): Promise<Pool> {
  let pool = pools.get(orm);
  if (!pool || pool.ending) {
    pool = await orm.driver.getConnection().getNativeClient();
    pools.set(orm, pool);
  }
  return pool;
}

/** Runs `statement` with `values` (JS values as pg sends them: arrays as arrays, dates as dates); the rows. */
export async function runPrepared<R extends object>(orm: Orm, statement: Prepared, values: unknown[]): Promise<R[]> {
  const pool = await poolOf(orm);
  const result = await pool.query<R>({ name: statement.name, text: statement.text, values });
  return result.rows;
}
