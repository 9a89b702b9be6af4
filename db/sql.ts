import type { Orm } from './orm.ts';

/**
 * An array parameter for raw SQL: MikroORM expands a JS array bound to `?` into a list, so arrays travel as
 * PostgreSQL array literals (every string quoted, escaped only when it holds a quote or a backslash; null as NULL).
 * One pass with one test per string: pg's own conversion escaped every element with two regular expressions (1.3 ms
 * of a 1,000-event ingest batch).
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) text += ',';
    if (v === null) text += 'NULL';
    else if (typeof v === 'number') text += String(v);
    else text += /["\\]/.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`;
  }
  return `${text}}`;
}

/** A text[] parameter for raw SQL (arrayLiteral). */
export const textArray: (values: readonly string[]) => string = arrayLiteral;

/** One UPDATE (or INSERT) statement with its parameters, for a ledger to run inside its own statement. */
export interface SqlUpdate {
  sql: string;
  params: unknown[];
}

export type Query = <R = Record<string, unknown>[]>(sql: string, params?: unknown[]) => Promise<R>;

/** Runs raw statements in one transaction on a forked EntityManager. */
export async function transaction<T>(orm: Orm, run: (query: Query) => Promise<T>): Promise<T> {
  return orm.em.fork().transactional(async (em) => {
    const ctx = em.getTransactionContext();
    const conn = em.getConnection();
    return run((sql, params = []) => conn.execute(sql, params as unknown[], 'all', ctx) as never);
  });
}

/**
 * Orders rows by a unique key, so concurrent batches that share rows take their row locks in the same order and
 * cannot deadlock.
 */
export const byKey =
  <T>(key: (row: T) => string) =>
  (a: T, b: T): number => {
    const [x, y] = [key(a), key(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  };

/** A LIKE / ILIKE pattern that finds `text` anywhere, LIKE's own wildcards in it matched as themselves. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
