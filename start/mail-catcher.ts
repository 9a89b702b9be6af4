// A local SMTP sink with a small web view: `npm start` sends here when SMTP_URL is unset, and tests assert on what
// arrived. Nothing is relayed; every message is kept (in memory, and as .eml files when `dir` is given).
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import escapeHtml from 'escape-html';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export interface CaughtMessage {
  id: string;
  messageId: string | null;
  from: string;
  /** Envelope recipients (RCPT TO), so Bcc shows up as it would at a real server. */
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  /** Lowercased header names; the first occurrence wins. */
  headers: Record<string, string>;
  receivedAt: string;
}

export interface MailCatcher {
  smtpUrl: string;
  webUrl: string | null;
  messages(): CaughtMessage[];
  /** Resolves with the first message, already caught or arriving later, that matches; rejects after timeoutMs. */
  waitFor(predicate: (m: CaughtMessage) => boolean, timeoutMs?: number): Promise<CaughtMessage>;
  /** Forgets every message, including the persisted copies. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export interface MailCatcherOptions {
  smtpPort: number;
  httpPort?: number;
  host?: string;
  dir?: string;
}

// The envelope is not part of the message, so it is prepended as trace headers (as a delivery agent would):
// the .eml files then carry everything a restart needs, and fresh and reloaded messages share one parser.
const RCPT_HEADER = 'x-mail-catcher-rcpt-to';
const RECEIVED_HEADER = 'x-mail-catcher-received-at';

async function parse(id: string, raw: Buffer): Promise<CaughtMessage> {
  const email = await PostalMime.parse(raw);
  const headers: Record<string, string> = {};
  for (const h of email.headers) headers[h.key] ??= h.value;
  const from = email.from?.address ? (email.from.name ? `${email.from.name} <${email.from.address}>` : email.from.address) : '';
  return {
    id,
    messageId: email.messageId ?? null,
    from,
    to: (headers[RCPT_HEADER] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    subject: email.subject ?? '',
    text: email.text ?? '',
    html: email.html ?? null,
    headers,
    receivedAt: headers[RECEIVED_HEADER] ?? new Date(0).toISOString(),
  };
}

export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const { smtpPort, httpPort, host = '127.0.0.1', dir } = options;
  const store = new Map<string, CaughtMessage>();
  const arrivals = new EventEmitter().setMaxListeners(0);

  if (dir) {
    await mkdir(dir, { recursive: true });
    const files = (await readdir(dir)).filter((f) => f.endsWith('.eml'));
    const loaded = await Promise.all(files.map(async (f) => parse(f.slice(0, -4), await readFile(path.join(dir, f)))));
    loaded.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)).forEach((m) => store.set(m.id, m));
  }

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000, // a test run should not wait the default 30s for idle pooled clients
    onAuth: (auth, _session, done) => done(null, { user: auth.username ?? 'anyone' }),
    onData: (stream, session, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', done);
      // Its own errors go to done() below, so the promise this listener starts never rejects.
      stream.on(
        'end',
        () =>
          void (async () => {
            try {
              const receivedAt = new Date().toISOString();
              const id = `${Date.now()}-${randomBytes(4).toString('hex')}`; // sorts by arrival, safe as a file name
              const rcpt = session.envelope.rcptTo.map((a) => a.address).join(', ');
              const raw = Buffer.concat([
                Buffer.from(`X-Mail-Catcher-Rcpt-To: ${rcpt}\r\nX-Mail-Catcher-Received-At: ${receivedAt}\r\n`),
                ...chunks,
              ]);
              // Persist before acknowledging, so a message the sender saw accepted survives a restart.
              if (dir) await writeFile(path.join(dir, `${id}.eml`), raw);
              const message = await parse(id, raw);
              store.set(id, message);
              arrivals.emit('message', message);
              done();
            } catch (err) {
              done(err as Error);
            }
          })(),
      );
    },
  });
  // Client resets surface as server 'error' events; without a listener they would crash the process.
  smtp.on('error', () => {});
  smtp.listen(smtpPort, host);
  await once(smtp.server, 'listening');

  const web =
    httpPort === undefined
      ? null
      : http.createServer((req, res) => {
          route(req, res).catch((err: Error) => send(res, 500, 'text/plain', err.message));
        });
  if (web) {
    web.listen(httpPort, host);
    // A taken web port must not leave the SMTP side listening behind the error.
    await once(web, 'listening').catch((err) => {
      smtp.close();
      throw err;
    });
  }

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const portOf = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;

  const messages = () => [...store.values()];

  async function clear(): Promise<void> {
    const ids = [...store.keys()];
    store.clear();
    if (dir) await Promise.all(ids.map((id) => rm(path.join(dir, `${id}.eml`), { force: true })));
  }

  function waitFor(predicate: (m: CaughtMessage) => boolean, timeoutMs = 10_000): Promise<CaughtMessage> {
    // A message that arrived before the caller started waiting counts too; otherwise fast sends would race.
    const already = messages().find(predicate);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const onMessage = (m: CaughtMessage) => {
        if (!predicate(m)) return;
        clearTimeout(timer);
        arrivals.off('message', onMessage);
        resolve(m);
      };
      const timer = setTimeout(() => {
        arrivals.off('message', onMessage);
        const seen =
          messages()
            .map((m) => `"${m.subject}" to ${m.to.join(', ')}`)
            .join('; ') || 'none';
        reject(new Error(`mail catcher: no matching message within ${timeoutMs}ms (caught: ${seen})`));
      }, timeoutMs);
      arrivals.on('message', onMessage);
    });
  }

  function send(res: http.ServerResponse, status: number, type: string, body: string) {
    res.writeHead(status, { 'content-type': `${type}; charset=utf-8` }).end(body);
  }

  function page(title: string, body: string) {
    return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui;margin:2em}td,th{padding:.3em .8em;text-align:left}pre{white-space:pre-wrap}</style>
${body}`;
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse) {
    const { pathname } = new URL(req.url ?? '/', 'http://catcher');
    const [, a, b, c] = pathname.split('/'); // ids are `<epoch ms>-<hex>`, nothing to decode
    const found = (id: string | undefined) => (id ? store.get(id) : undefined);
    if (req.method === 'DELETE' && pathname === '/api/messages') {
      await clear();
      return res.writeHead(204).end();
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed');
    if (pathname === '/api/messages') return send(res, 200, 'application/json', JSON.stringify(messages()));
    if (a === 'api' && b === 'messages' && found(c)) return send(res, 200, 'application/json', JSON.stringify(found(c)));
    if (pathname === '/') {
      const rows = messages()
        .reverse()
        .map(
          (m) =>
            `<tr><td><a href="/messages/${encodeURIComponent(m.id)}">${escapeHtml(m.subject || '(no subject)')}</a></td>` +
            `<td>${escapeHtml(m.to.join(', '))}</td><td>${escapeHtml(m.receivedAt)}</td></tr>`,
        );
      return send(
        res,
        200,
        'text/html',
        page(
          'Mail catcher',
          `<h1>Mail catcher (${store.size})</h1>
<table><tr><th>Subject</th><th>To</th><th>Received</th></tr>${rows.join('')}</table>`,
        ),
      );
    }
    const m = a === 'messages' ? found(b) : undefined;
    if (m && c === 'html' && m.html !== null) {
      // The HTML part is the sender's markup: sandbox it so a template cannot run script on this origin.
      res.setHeader('content-security-policy', 'sandbox');
      return send(res, 200, 'text/html', m.html);
    }
    if (m && c === undefined) {
      const field = (k: string, v: string) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`;
      const htmlLink = m.html === null ? '' : `<p><a href="/messages/${encodeURIComponent(m.id)}/html">HTML version</a></p>`;
      return send(
        res,
        200,
        'text/html',
        page(
          m.subject,
          `<p><a href="/">&larr; all messages</a></p>
<h1>${escapeHtml(m.subject || '(no subject)')}</h1><table>${field('From', m.from)}${field('To', m.to.join(', '))}
${field('Received', m.receivedAt)}${field('Message-ID', m.messageId ?? '')}</table>${htmlLink}<pre>${escapeHtml(m.text)}</pre>`,
        ),
      );
    }
    send(res, 404, 'text/plain', 'not found');
  }

  return {
    smtpUrl: `smtp://${urlHost}:${portOf(smtp.server)}`,
    webUrl: web ? `http://${urlHost}:${portOf(web)}` : null,
    messages,
    waitFor,
    clear,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => smtp.close(() => resolve())),
        web &&
          new Promise<void>((resolve) => {
            web.close(() => resolve());
            web.closeAllConnections();
          }),
      ]);
    },
  };
}
