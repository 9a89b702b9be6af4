// Writes the API's OpenAPI document, as the code defines it, to console/openapi.json: createApp with a stub ORM and a
// Temporal connection that is never opened, so the console's types come from the routes with no server or database.
import { Client, Connection } from '@temporalio/client';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../api/app.ts';
import type { Orm } from '../db/orm.ts';
import { createLogger } from '../runtime/logger.ts';

const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
const orm = { em: { fork: () => ({}) } } as unknown as Orm;
const app = createApp({
  orm,
  temporal,
  taskQueue: 'openapi',
  temporalDeadlineMs: 1000,
  publicUrl: 'http://localhost',
  log: createLogger('silent'),
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
try {
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`);
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
  writeFileSync(path.join(import.meta.dirname, 'openapi.json'), `${JSON.stringify(await res.json(), null, 2)}\n`);
} finally {
  server.close();
}
process.exit(0);
