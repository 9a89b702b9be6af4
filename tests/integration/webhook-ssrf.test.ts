// Webhooks cannot be turned against the network they run in: private, loopback and metadata targets are refused
// when a channel is saved (literal addresses, known names) and at delivery (the address a name resolves to); a
// redirect is never followed. Dev server, PostgreSQL, a worker and local receivers that WEBHOOK_ALLOWED_HOSTS names.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

let stack: Stack;
let author: TestOperator;
let elsewhere: WebhookReceiver;
let redirector: http.Server;
let redirected = 0;

beforeAll(async () => {
  // Listed in WEBHOOK_ALLOWED_HOSTS with the stack's receiver: a followed redirect would reach `elsewhere`.
  elsewhere = await startWebhookReceiver();
  redirector = http
    .createServer((req, res) => {
      redirected += 1;
      req.resume();
      res.writeHead(307, { location: elsewhere.url('/landed') }).end();
    })
    .listen(0, '127.0.0.1');
  await once(redirector, 'listening');
  stack = await startStack({
    webhooks: {
      allowedHosts: [new URL(elsewhere.url('/')).host, `127.0.0.1:${(redirector.address() as AddressInfo).port}`],
      // A DNS name that points at loopback, offline: the worker resolves through this, as through the system's.
      resolve: async (hostname) =>
        hostname.endsWith('.example.test') ? [{ address: '127.0.0.1', family: 4 }] : lookup(hostname, { all: true }),
    },
  });
  author = await stack.operator(['ops_manager'], 'Mia');
});

afterAll(async () => {
  await stack?.close();
  await elsewhere?.close();
  redirector?.closeAllConnections();
  await new Promise((resolve) => redirector?.close(resolve));
});

const addChannel = (name: string, url: string) => stack.api('POST', '/channels', { body: { name, url } });

/** Publishes clean B-tier content (no review) to `channels` and answers its deliveries once none is pending. */
async function publish(channels: string[]) {
  const res = await stack.api('POST', '/content', {
    token: author.token,
    body: { title: 'Autumn sale', body: 'Everything is 20% off this weekend.', tier: 'B', channels },
  });
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  const deliveries = await eventually(
    async () => {
      const state = (await stack.api('GET', `/content/${id}`, { token: author.token })).body;
      const done = state.stage === 'published' && state.deliveries.every((d: { status: string }) => d.status !== 'pending');
      return done ? (state.deliveries as { channel: string; status: string; error?: string }[]) : undefined;
    },
    'deliveries settled',
    30_000,
  );
  return { id, deliveries };
}

const ledger = (channel: string) =>
  stack.db.orm.em
    .fork()
    .getConnection()
    .execute<{ status: string; attempts: number; response_status: number | null; last_error: string | null }[]>(
      'select status, attempts, response_status, last_error from webhook_deliveries where channel = ?',
      [channel],
    );

test('a channel to a private, loopback or metadata address is refused with 422 naming url', async () => {
  const refused = [
    'http://127.0.0.1:1/hook',
    'http://localhost:9099/',
    'http://localhost./',
    'http://[::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://[::ffff:127.0.0.1]/',
    'http://10.0.0.1/',
    'http://172.16.0.1/',
    'http://192.168.0.1/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
  ];
  for (const [n, url] of refused.entries()) {
    const res = await addChannel(`private-${n}`, url);
    expect({ url, status: res.status }).toEqual({ url, status: 422 });
    expect(res.body.error.fields).toEqual([
      { field: 'url', message: expect.stringMatching(/^the webhook target .+ is an? .+ (address|name); .*WEBHOOK_ALLOWED_HOSTS/) },
    ]);
  }
  expect((await addChannel('loopback-text', 'http://127.0.0.1:1/hook')).body.error.message).toBe(
    'the webhook target 127.0.0.1 is a loopback address; webhooks go to public addresses only; list the host in WEBHOOK_ALLOWED_HOSTS to allow it',
  );

  // The allow-listed receiver is accepted; moving it to another loopback port is refused and changes nothing.
  const allowed = await addChannel('allowed', stack.hooks.url('/allowed'));
  expect(allowed.status).toBe(201);
  const moved = await stack.api('PATCH', `/channels/${allowed.body.id}`, { body: { url: 'http://127.0.0.1:1/elsewhere' } });
  expect(moved.status).toBe(422);
  expect(moved.body.error.fields[0].field).toBe('url');
  const listed = (await stack.api('GET', '/channels')).body.items;
  expect(listed.find((c: { name: string }) => c.name === 'allowed').url).toBe(stack.hooks.url('/allowed'));
  expect(listed.filter((c: { name: string }) => c.name.startsWith('private-'))).toEqual([]);
});

test('a name that resolves to loopback at delivery is refused there: nothing is sent, the reason is recorded, no port is probed', async () => {
  const open = new URL(stack.hooks.url('/dns')).port;
  expect((await addChannel('dns-open', `http://hooks.example.test:${open}/dns`)).status).toBe(201); // needs DNS: judged at delivery
  expect((await addChannel('dns-closed', 'http://hooks.example.test:1/dns')).status).toBe(201);

  const { deliveries } = await publish(['dns-open', 'dns-closed']);
  const reason =
    'the webhook target hooks.example.test resolves to a loopback address 127.0.0.1; webhooks go to public addresses only; list the host in WEBHOOK_ALLOWED_HOSTS to allow it';
  expect(deliveries).toEqual([
    { channel: 'dns-open', status: 'failed', error: reason },
    { channel: 'dns-closed', status: 'failed', error: reason },
  ]);
  expect(stack.hooks.received('/dns')).toHaveLength(0);
  // An open port and a closed one leave the same record: refused before connecting, not retried.
  const expected = [{ status: 'failed', attempts: 1, response_status: null, last_error: reason }];
  expect(await ledger('dns-open')).toEqual(expected);
  expect(await ledger('dns-closed')).toEqual(expected);
});

test('a redirect is not followed: the delivery fails with the reason and the target it pointed at gets nothing', async () => {
  const port = (redirector.address() as AddressInfo).port;
  expect((await addChannel('moved', `http://127.0.0.1:${port}/hook`)).status).toBe(201);
  const { deliveries } = await publish(['moved']);
  const reason = `http://127.0.0.1:${port}/hook answered 307 (to ${elsewhere.url('/landed')}); redirects are not followed: set the channel's URL to the final address`;
  expect(deliveries).toEqual([{ channel: 'moved', status: 'failed', error: reason }]);
  expect(redirected).toBe(1);
  expect(elsewhere.received()).toHaveLength(0);
  expect(await ledger('moved')).toEqual([{ status: 'failed', attempts: 1, response_status: 307, last_error: reason }]);
});
