// The embedded database for `npm start` without DATABASE_URL: PGlite (PostgreSQL compiled to WASM) persisted under
// .data/, served over the PostgreSQL wire protocol so the ORM uses the same driver as in production.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdir } from 'node:fs/promises';

export interface EmbeddedDb {
  url: string;
  close(): Promise<void>;
}

/**
 * PGlite is a single session: one client connection only (several would interleave their transactions), so the
 * ORM on top must use a pool of one, and worker and API share it in one process. The session outlives the connection
 * (a closed one's prepared statements and settings stay): the ORM's pool opens it with `sharedSession` (db/config.ts).
 */
export async function startEmbeddedDb({ dir, port }: { dir: string; port: number }): Promise<EmbeddedDb> {
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 1 });
  await server.start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
