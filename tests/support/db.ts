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

/** A customer event as a test stores it by SQL. */
export interface StoredEventRow {
  customer: string;
  type: string;
  at: string;
  amount: number | null;
  key: string;
}

/**
 * Another writer of the customers of `events`: a transaction that stored them and has not committed, so it holds
 * those customers' KPI rollup locks until `commit`.
 */
export async function holdCustomers(url: string, events: StoredEventRow[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  for (const e of events) {
    await client.query(
      `insert into customer_events (customer_id, type, at, amount, idempotency_key, received_at) values ($1, $2, $3, $4, $5, now())`,
      [e.customer, e.type, e.at, e.amount, e.key],
    );
  }
  return {
    commit: async () => {
      await client.query('commit');
      await client.end();
    },
  };
}
