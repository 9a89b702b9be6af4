// `npm run migrate`: applies pending migrations to DATABASE_URL and exits (docker-compose runs it before the API).
import { configOrExit } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { migrate, openOrm } from './orm.ts';

const config = configOrExit(['DATABASE_URL'], 'the migration runner');
const log = createLogger(config.LOG_LEVEL);
// Two connections: migrate() holds an advisory lock on one while the migrator works on the other.
const orm = await openOrm({ clientUrl: config.DATABASE_URL!, poolMax: 2 });
try {
  const applied = await migrate(orm);
  log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');
} finally {
  await orm.close();
}
