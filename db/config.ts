import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import { entities } from './entities/registry.ts';

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

export interface DbOptions {
  clientUrl: string;
  poolMax?: number;
  debug?: boolean;
  /**
   * The server keeps one session for every connection made to it (the embedded PGlite, start/embedded-db.ts): what a
   * closed connection left (named prepared statements, session advisory locks, LISTENs, settings) is still there for
   * the next one, and a statement db/prepared.ts prepared again was refused ("already exists": a 500 for every
   * request once the pool had closed its idle connection). Then the pool keeps its connections open, and each one it
   * opens starts with DISCARD ALL, as a new PostgreSQL session would.
   */
  sharedSession?: boolean;
}

/** A new connection's first statement, before the pool hands it out (pg runs a client's statements in order). */
const resetSessionOnConnect = (pool: Pool) =>
  pool.on('connect', (client) => {
    // A failed reset leaves a broken connection, whose next statement fails where it is awaited.
    client.query('discard all').catch(() => undefined);
  });

/** One ORM configuration for the API, the worker, the migration runner and the MikroORM CLI. */
export function ormConfig({ clientUrl, poolMax = 10, debug = false, sharedSession = false }: DbOptions): Options {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    // idleTimeoutMillis 0: never closed for being idle.
    pool: { min: 0, max: poolMax, ...(sharedSession ? { idleTimeoutMillis: 0 } : {}) },
    // MikroORM hands its pg pool to onPoolCreated before the pool opens a connection.
    ...(sharedSession ? { driverOptions: { onPoolCreated: resetSessionOnConnect } } : {}),
    debug,
    // Schema changes only through migrations in migrations/, never generated at start-up.
    ensureDatabase: false,
    migrations: {
      path: migrationsDir,
      pathTs: migrationsDir,
      glob: '!(*.d|index).ts',
      emit: 'ts',
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
    },
  });
}
