// The statement the read models' one upsert builds, without a database (tests/integration/ledgers.test.ts runs it
// against PostgreSQL): insert-only columns are never updated, NOW is the database's time, names are checked.
import type { Orm } from '../../db/orm.ts';
import { NOW, versionedUpsert } from '../../db/versioned-upsert.ts';

const capture = () => {
  const calls: { sql: string; params: unknown[] }[] = [];
  const execute = async (sql: string, params: unknown[]) => {
    calls.push({ sql, params });
    return [];
  };
  const orm = { em: { getConnection: () => ({ execute }) } };
  return { orm: orm as unknown as Orm, calls };
};
const flat = (sql: string) => sql.replace(/\s+/g, ' ').trim();

test('inserts every column, updates all but id and the insert-only ones, only over an older version', async () => {
  const { orm, calls } = capture();
  const row = { id: 'a', owner_id: 'o', name: 'n', created_at: NOW, updated_at: NOW, version: 3 };
  await versionedUpsert(orm, 'things', row, ['owner_id', 'created_at']);
  expect(calls).toHaveLength(1);
  expect(flat(calls[0]!.sql)).toBe(
    'insert into things (id, owner_id, name, created_at, updated_at, version) values (?, ?, ?, now(), now(), ?) ' +
      'on conflict (id) do update set name = excluded.name, updated_at = excluded.updated_at, version = excluded.version ' +
      'where things.version < excluded.version',
  );
  expect(calls[0]!.params).toEqual(['a', 'o', 'n', 3]);
});

test('refuses a name that is not a plain identifier, and a row without id or version', async () => {
  const { orm, calls } = capture();
  const badName = /not a column or table name/;
  await expect(versionedUpsert(orm, 'things; drop table x', { id: 'a', version: 1 })).rejects.toThrow(badName);
  await expect(versionedUpsert(orm, 'things', { id: 'a', 'name = 1 --': 'x', version: 1 })).rejects.toThrow(badName);
  await expect(versionedUpsert(orm, 'things', { id: 'a', name: 'x' })).rejects.toThrow(/needs id and version/);
  expect(calls).toHaveLength(0);
});
