import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { fileURLToPath } from 'node:url';
import { entities } from './entities/registry.ts';

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

export interface DbOptions {
  clientUrl: string;
  poolMax?: number;
  debug?: boolean;
}

/** One ORM configuration for the API, the worker, the migration runner and the MikroORM CLI. */
export function ormConfig({ clientUrl, poolMax = 10, debug = false }: DbOptions): Options {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolMax },
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
