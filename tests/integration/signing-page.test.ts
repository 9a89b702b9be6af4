// The partner's signing page over HTTP: the emailed link opens /sign/<id>?token=… (a console page no other site may
// frame); the page reads the terms with the token alone (nothing of the internal process), the signature needs the
// typed name and the agreement and keeps the name, time, address and browser as evidence on the contract; a used link
// still says it was used, a replaced or expired one says which.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app.ts';
import { DEFAULT_RATE_LIMITS } from '../../api/rate-limits.ts';
import { createLogger } from '../../runtime/logger.ts';
import { recordHistory } from '../support/histories.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let manager: TestOperator;
let lawyer: TestOperator;
const DAY = 86_400_000;

beforeAll(async () => {
  stack = await startStack();
  manager = await stack.operator(['ops_manager'], 'Mia');
  lawyer = await stack.operator(['legal'], 'Lee');
});

afterAll(async () => {
  await stack?.close();
});

const sql = (query: string, params: unknown[]) => stack.db.orm.em.getConnection().execute(query, params);

/** A contract approved and signed by us, waiting for the partner; its emailed link. */
async function awaitingPartner(): Promise<{ id: string; link: URL; token: string }> {
  const email = `kol-${randomUUID().slice(0, 6)}@partners.example.com`;
  const partner = await stack.api('POST', '/partners', {
    token: manager.token,
    body: {
      name: 'Lin Creates',
      type: 'kol',
      contactEmail: email,
      figures: { followers: 120_000, engagementRate: 0.05, audienceMatch: 0.7, pastConversionRate: 0.02, price: 800 },
    },
  });
  const start = new Date(Date.now() + DAY).toISOString();
  const created = await stack.api('POST', '/contracts', {
    token: manager.token,
    body: {
      partnerId: partner.body.id,
      terms: {
        scope: 'Spring campaign posts',
        deliverables: ['4 posts a month'],
        currency: 'USD',
        fee: 50,
        revenueShare: {
          mode: 'marginal',
          tiers: [
            { from: 0, to: 1000, rate: 5 },
            { from: 1000, to: null, rate: 10 },
          ],
          cap: null,
        },
        start,
        end: new Date(Date.parse(start) + 90 * DAY).toISOString(),
        cadence: 'monthly',
      },
    },
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  const task = await eventually(
    async () => (await stack.api('GET', `/tasks?entityId=${id}&kind=contract_approval&status=open`, { token: lawyer.token })).body.items[0],
    'the legal task',
  );
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: lawyer.token, body: { decision: 'approve' } })).status).toBe(200);
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.stage === 'awaiting_signatures',
    'awaiting signatures',
  );
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: manager.token, body: {} })).status).toBe(200);
  const mail = await stack.mail.waitFor((m) => m.to.includes(email) && m.subject === 'Your contract is ready to sign');
  expect(mail.text).not.toContain('POST');
  const link = new URL(/(http\S+\/sign\/\S+)/.exec(mail.text)![1]!);
  expect(link.pathname).toBe(`/sign/${id}`);
  return { id, link, token: link.searchParams.get('token')! };
}

async function read(id: string, token: string) {
  const res = await fetch(`${stack.baseUrl}/contracts/${id}/sign?token=${encodeURIComponent(token)}`);
  return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as Record<string, any> };
}

test('the emailed link opens the signing page; the partner reads the terms, signs with their name, and the evidence is on the contract', async () => {
  const { id, link, token } = await awaitingPartner();

  // The link's page is the console's (served, or the not-built page), never an API 404, and it cannot be framed.
  const page = await fetch(`${stack.baseUrl}${link.pathname}${link.search}`);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(page.status).not.toBe(404);
  expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(page.headers.get('x-frame-options')).toBe('DENY');

  // What the partner reads: the terms and the deadline, nothing of the internal process.
  const open = await read(id, token);
  expect(open.status).toBe(200);
  expect(open.body).toMatchObject({
    id,
    partnerName: 'Lin Creates',
    stage: 'awaiting_signatures',
    status: 'open',
    signature: null,
    terms: { scope: 'Spring campaign posts', deliverables: ['4 posts a month'], fee: 50, revenueShare: { mode: 'marginal' } },
  });
  expect(Date.parse(open.body.signBy)).toBeGreaterThan(Date.now());
  for (const key of ['ownerId', 'signerId', 'approvals', 'history', 'signatures', 'workflowId']) expect(open.body).not.toHaveProperty(key);
  expect(open.cacheControl).toBe('no-store');
  expect(await read(id, `${token.slice(0, -2)}xx`)).toMatchObject({ status: 403, body: { error: { code: 'sign_link_not_valid' } } });

  // The signature needs the typed name and the agreement; it keeps the name, time, address and browser.
  const sign = (body: Record<string, unknown>) =>
    fetch(`${stack.baseUrl}/contracts/${id}/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'PartnerBrowser/1.0' },
      body: JSON.stringify(body),
    });
  const unnamed = await sign({ token, name: '  ', agree: true });
  expect(unnamed.status).toBe(400);
  const disagreed = await sign({ token, name: 'Lin Mei' });
  expect(disagreed.status).toBe(422);
  expect(((await disagreed.json()) as { error: { fields: { field: string }[] } }).error.fields).toEqual([
    expect.objectContaining({ field: 'agree' }),
  ]);
  const signed = await sign({ token, name: 'Lin Mei', agree: true });
  expect(signed.status).toBe(200);
  const answer = (await signed.json()) as { signatures: { internal: Record<string, unknown>; partner: Record<string, unknown> } };
  expect(answer.signatures.partner).toMatchObject({
    name: 'Lin Mei',
    userAgent: 'PartnerBrowser/1.0',
    ip: expect.stringMatching(/127\.0\.0\.1/),
  });
  expect(Object.keys(answer.signatures.internal)).toEqual(['at']); // not who signed for us

  const contract = await eventually(async () => {
    const body = (await stack.api('GET', `/contracts/${id}`, { token: lawyer.token })).body;
    return body.stage === 'active' && body;
  }, 'active');
  expect(contract.signatures.partner).toEqual({
    at: expect.any(String),
    name: 'Lin Mei',
    ip: expect.stringMatching(/127\.0\.0\.1/),
    userAgent: 'PartnerBrowser/1.0',
  });
  const trail = (await stack.api('GET', `/audit?entityType=contract&entityId=${id}&action=contract.signed_by_partner`)).body.items;
  expect(trail[0].details).toMatchObject({ name: 'Lin Mei' });

  // The link, used, says so, even once it has expired; once replaced it says that.
  expect((await read(id, token)).body).toMatchObject({
    status: 'signed',
    stage: 'active',
    signature: { name: 'Lin Mei', at: contract.signatures.partner.at },
  });
  await sql("update contract_sign_links set expires_at = now() - interval '1 minute' where contract_id = ?", [id]);
  expect((await read(id, token)).body).toMatchObject({ status: 'signed' });
  await sql(
    `insert into contract_sign_links (idempotency_key, contract_id, token_hash, expires_at, created_at)
    values (?, ?, ?, now() + interval '1 day', now() + interval '1 second')`,
    [`test:${id}`, id, 'ab'.repeat(32)],
  );
  expect(await read(id, token)).toMatchObject({
    status: 403,
    body: { error: { code: 'sign_link_replaced', message: expect.stringMatching(/replaced/) } },
  });
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'test done' } })).status).toBe(200);
  await stack.env.client.workflow.getHandle(`contract:${id}`).result();
  await recordHistory(stack.env.client, `contract:${id}`, 'contract-http-signed-with-evidence-terminated');
});

test('reading the terms with a forged token counts against the signing limits, shared with signing; the real token still reads and signs', async () => {
  const { id, token } = await awaitingPartner();
  // The API as deployed behind a proxy, with the default limits.
  const app = createApp({
    orm: stack.db.orm,
    temporal: stack.env.client,
    taskQueue: stack.taskQueue,
    log: createLogger('silent'),
    publicUrl: 'http://opsflow.test',
    temporalDeadlineMs: 10_000,
    trustProxy: true,
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = '203.0.113.77';
  const get = (t: string) => fetch(`${base}/contracts/${id}/sign?token=${t}`, { headers: { 'x-forwarded-for': client } });
  const post = (t: string) =>
    fetch(`${base}/contracts/${id}/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ token: t, name: 'Lin', agree: true }),
    });
  try {
    const { limit } = DEFAULT_RATE_LIMITS.signPerClient;
    for (let i = 0; i < limit; i++) expect((await get(randomUUID() + randomUUID())).status).toBe(403);
    const over = await get(randomUUID() + randomUUID());
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await post(randomUUID() + randomUUID())).status).toBe(429); // the same count
    expect((await get(token)).status).toBe(200);
    expect((await post(token)).status).toBe(200);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'test done' } })).status).toBe(200);
});

test('an expired link says so, to the read and to the signature, and nothing reaches the workflow', async () => {
  const { id, token } = await awaitingPartner();
  const history = async () => (await stack.env.client.workflow.getHandle(`contract:${id}`).fetchHistory()).events!.length;
  await sql("update contract_sign_links set expires_at = now() - interval '1 minute' where contract_id = ?", [id]);
  // The workflow has recorded the link and waits: its history stops growing.
  let before = 0;
  await eventually(async () => {
    const sent = (await stack.api('GET', `/audit?entityType=contract&entityId=${id}&action=contract.sign_link_sent`)).body.items;
    const [a, b] = [await history(), (await new Promise((r) => setTimeout(r, 300)), await history())];
    before = a;
    return sent.length === 1 && a === b;
  }, 'the workflow waiting for the partner');
  expect(await read(id, token)).toMatchObject({
    status: 403,
    body: { error: { code: 'sign_link_expired', message: expect.stringMatching(/expired/) } },
  });
  const signed = await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token, name: 'Lin Mei', agree: true } });
  expect(signed).toMatchObject({ status: 403, body: { error: { code: 'sign_link_expired' } } });
  expect(await history()).toBe(before);
  // A token of no link at all is not told apart from a forged one.
  expect(await read(id, 'z'.repeat(32))).toMatchObject({ status: 403, body: { error: { code: 'sign_link_not_valid' } } });
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'test done' } })).status).toBe(200);
});
