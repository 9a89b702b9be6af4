// `npm run migrate`: applies pending migrations to DATABASE_URL and exits (docker-compose runs it before the API).
import { loadConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { migrate, openOrm } from './orm.ts';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
if (!config.DATABASE_URL) {
  log.fatal('DATABASE_URL is not set; `npm start` migrates its embedded database by itself');
  process.exit(2);
}
const orm = await openOrm({ clientUrl: config.DATABASE_URL, poolMax: 1 });
try {
  const applied = await migrate(orm);
  log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');
} finally {
  await orm.close();
}
