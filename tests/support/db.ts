// A fresh PostgreSQL database per test file, migrated the way production is, dropped afterwards.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { migrate, openOrm, type Orm } from '../../db/orm.ts';

const adminUrl = () => process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDb {
  orm: Orm;
  url: string;
  /** An outage: the database refuses new connections and its open ones are terminated (`connectable(true)` ends it). */
  connectable(yes: boolean): Promise<void>;
  drop(): Promise<void>;
}

async function admin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDb(): Promise<TestDb> {
  const name = `opsflow_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const orm = await openOrm({ clientUrl: url.toString(), poolMax: 5 });
  await migrate(orm);
  return {
    orm,
    url: url.toString(),
    async connectable(yes) {
      await admin(async (c) => {
        await c.query(`alter database ${name} allow_connections ${yes}`);
        if (!yes) await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      });
    },
    async drop() {
      await orm.close();
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}
