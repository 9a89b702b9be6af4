// Used by the MikroORM CLI: `npm run migration:create` (DATABASE_URL must point at a PostgreSQL).
import { ormConfig } from './config.ts';

export default ormConfig({ clientUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/opsflow' });
