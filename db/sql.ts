import type { Orm } from './orm.ts';

/**
 * A text[] parameter for raw SQL: MikroORM expands a JS array bound to `?` into a list, so arrays travel as
 * PostgreSQL array literals (every element quoted and escaped).
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
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
