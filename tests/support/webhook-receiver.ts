// A local webhook receiver: records every POST, and can be told to answer errors first.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface WebhookReceiver {
  url(path: string): string;
  received(path?: string): ReceivedHook[];
  /** The next `count` requests to `path` answer `status`. */
  failNext(path: string, count: number, status: number): void;
  waitFor(predicate: (h: ReceivedHook) => boolean, timeoutMs?: number): Promise<ReceivedHook>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hooks: ReceivedHook[] = [];
  const failures = new Map<string, { count: number; status: number }>();
  const waiters = new Set<() => void>();
  const receive = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = req.url ?? '/';
    const failure = failures.get(path);
    if (failure && failure.count > 0) {
      failure.count -= 1;
      res.writeHead(failure.status).end('failing on purpose');
      return;
    }
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown = null;
    try {
      json = JSON.parse(body);
    } catch {
      /* keep raw */
    }
    hooks.push({ path, headers: req.headers, body, json });
    res.writeHead(200).end('ok');
    waiters.forEach((w) => w());
  };
  // A request that breaks off mid-body ends its own connection instead of rejecting unhandled.
  const server = http.createServer((req, res) => {
    receive(req, res).catch((error: unknown) => res.destroy(error as Error));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received: (path) => hooks.filter((h) => path === undefined || h.path === path),
    failNext: (path, count, status) => {
      failures.set(path, { count, status });
    },
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = hooks.find(predicate);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching webhook within ${timeoutMs} ms; received ${hooks.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
