// The one write every read model uses: a workflow saves its whole row with a version that grows with each change, and
// activity retries or a late older write (or the API's version-0 first row) must never undo a newer one.
import type { Orm } from './orm.ts';

/** A column value the database fills in: the transaction's time (`now()`), the same on insert and update. */
export const NOW = Object.freeze({ sql: 'now()' });

export type Column = string;
export type Row = Record<Column, unknown>;

const COLUMN = /^[a-z_][a-z0-9_]*$/;

/**
 * Inserts `row` into `table` keyed by its `id` column, or, when the id is stored, sets every column not in
 * `insertOnly` (never id) to the new value if the stored `version` is older. Keys are column names, in the
 * insert's order; a value of `NOW` is the transaction's time.
 */
export async function versionedUpsert(orm: Orm, table: string, row: Row, insertOnly: readonly Column[] = []): Promise<void> {
  const columns = Object.keys(row);
  for (const c of [table, ...columns]) if (!COLUMN.test(c)) throw new Error(`not a column or table name: ${c}`);
  if (!columns.includes('id') || !columns.includes('version')) throw new Error(`${table}: a versioned row needs id and version`);
  const values = columns.filter((c) => row[c] !== NOW).map((c) => row[c]);
  const updates = columns.filter((c) => c !== 'id' && !insertOnly.includes(c)).map((c) => `${c} = excluded.${c}`);
  await orm.em.getConnection().execute(
    `insert into ${table} (${columns.join(', ')})
     values (${columns.map((c) => (row[c] === NOW ? NOW.sql : '?')).join(', ')})
     on conflict (id) do update set ${updates.join(', ')}
     where ${table}.version < excluded.version`,
    values,
  );
}
