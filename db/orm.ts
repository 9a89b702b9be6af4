import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig, type DbOptions } from './config.ts';
import { ensureDefaultTemplates } from './message-templates.ts';

export type Orm = MikroORM;

export async function openOrm(options: DbOptions): Promise<Orm> {
  return MikroORM.init(ormConfig(options));
}

/**
 * Applies pending migrations, then adds the data a release ships (the default message templates) where it is
 * missing. On a shared PostgreSQL a transaction-scoped advisory lock keeps API and worker processes starting
 * together from racing; the migrator needs a second connection for that, so the embedded single-connection database
 * (one process by construction) migrates without the lock.
 */
export async function migrate(orm: Orm): Promise<string[]> {
  const poolMax = orm.config.get('pool')?.max ?? 10;
  const applied =
    poolMax < 2
      ? (await orm.migrator.up()).map((m) => m.name)
      : await orm.em.fork().transactional(async (tx) => {
          const ctx = tx.getTransactionContext();
          await tx.getConnection().execute('select pg_advisory_xact_lock(727001)', [], 'all', ctx);
          return (await orm.migrator.up({ transaction: ctx })).map((m) => m.name);
        });
  await ensureDefaultTemplates(orm);
  return applied;
}
