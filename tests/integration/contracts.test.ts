// Partner contracts over HTTP against the dev server, PostgreSQL and the SMTP sink: an amendment clears approvals,
// legal and admin approve, the internal signer and then the partner (with the emailed one-time token) sign, the
// first evaluation pays from the partner's metrics, termination pays the period under way pro rata and undoes the
// activation; bad terms are named and nothing starts.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app.ts';
import { DEFAULT_RATE_LIMITS } from '../../api/rate-limits.ts';
import { createLogger } from '../../runtime/logger.ts';
import { amendContract, partnerSignContract } from '../../workflows/contract.messages.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';
import { recordHistory } from '../support/histories.ts';

let stack: Stack;
let manager: TestOperator;
let lawyer: TestOperator;
let ingest: TestOperator;
const DAY = 86_400_000;

/** The one-time token from the signing page's link in the partner's email. */
const signToken = (text: string, id: string) =>
  new URL(new RegExp(`(https?://\\S+/sign/${id}\\?token=\\S+)`).exec(text)![1]!).searchParams.get('token')!;
const count = async (table: string) =>
  (await stack.db.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`))[0]!.n;
const openTasks = async (id: string, token: string) =>
  (await stack.api('GET', `/tasks?entityId=${id}&kind=contract_approval`, { token })).body.items.filter(
    (t: { status: string }) => t.status === 'open' || t.status === 'escalated',
  );

beforeAll(async () => {
  stack = await startStack();
  manager = await stack.operator(['ops_manager'], 'Mia');
  lawyer = await stack.operator(['legal'], 'Lee');
  ingest = await stack.operator(['ingest'], 'collector');
  expect(
    (
      await stack.api('PUT', '/policies/contracts', {
        body: {
          secondApprovalAbove: { USD: 1000 },
          approvalOrder: 'parallel',
          linkValidity: '1h',
          signatureReminderEvery: '1h',
          signatureExpiry: '1d',
        },
      })
    ).status,
  ).toBe(200);
});

afterAll(async () => {
  await stack?.close();
});

const start = new Date(Date.now() - 35 * DAY).toISOString();
const terms = (over: Record<string, unknown> = {}) => ({
  scope: 'Spring campaign posts',
  deliverables: ['4 posts a month'],
  currency: 'USD',
  fee: 500,
  revenueShare: {
    mode: 'marginal',
    tiers: [
      { from: 0, to: 1000, rate: 5 },
      { from: 1000, to: null, rate: 10 },
    ],
    cap: null,
  },
  start,
  end: new Date(Date.parse(start) + 365 * DAY).toISOString(),
  cadence: 'monthly',
  targets: { clicks: 1000, gmv: 2000 },
  ...over,
});

async function partner(locale?: string): Promise<{ id: string; email: string }> {
  const email = `kol-${randomUUID().slice(0, 6)}@partners.example.com`;
  const res = await stack.api('POST', '/partners', {
    token: manager.token,
    body: {
      name: 'Lin Creates',
      type: 'kol',
      contactEmail: email,
      ...(locale ? { locale } : {}),
      figures: { followers: 120_000, engagementRate: 0.05, audienceMatch: 0.7, pastConversionRate: 0.02, price: 800 },
    },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id, email };
}

test('amend, approve, sign twice, evaluate, terminate', async () => {
  const p = await partner();
  // The partner's first month: 1,200 clicks and 3,000 GMV (half in the second week); one point in the second month.
  const at = (d: number) => new Date(Date.parse(start) + d * DAY).toISOString();
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: {
      points: [
        { name: 'partner.clicks', value: 1200, at: at(3), labels: { partner: p.id } },
        { name: 'partner.gmv', value: 1500, at: at(3), labels: { partner: p.id } },
        { name: 'partner.gmv', value: 1500, at: at(10), labels: { partner: p.id } },
        { name: 'partner.gmv', value: 999_999, at: at(10), labels: { partner: randomUUID() } }, // someone else's
        { name: 'partner.gmv', value: 400, at: at(33), labels: { partner: p.id } },
      ],
    },
  });

  const created = await stack.api('POST', '/contracts', { token: manager.token, body: { partnerId: p.id, terms: terms(), draft: true } });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  expect(created.body.value).toBeGreaterThan(1000); // 12 months of 500: an admin approves too
  // A draft opens no task until it is submitted.
  expect((await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.stage).toBe('draft');
  expect(await openTasks(id, lawyer.token)).toEqual([]);
  expect((await stack.api('POST', `/contracts/${id}/submit`, { token: lawyer.token, body: {} })).status).toBe(403);
  expect((await stack.api('POST', `/contracts/${id}/submit`, { token: manager.token, body: {} })).body.stage).toBe('in_approval');
  expect((await stack.api('POST', `/contracts/${id}/submit`, { token: manager.token, body: {} })).status).toBe(409);

  const first = await eventually(async () => {
    const t = await openTasks(id, lawyer.token);
    return t.length === 1 && t;
  }, 'the legal task');
  expect(first[0]).toMatchObject({ candidateRole: 'legal' });
  expect((await stack.api('POST', `/tasks/${first[0].id}/complete`, { token: manager.token, body: { decision: 'approve' } })).status).toBe(
    403,
  );
  expect((await stack.api('POST', `/tasks/${first[0].id}/complete`, { token: lawyer.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  expect((await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.approvals).toMatchObject([
    { role: 'legal', operatorId: lawyer.id },
  ]);

  // An amendment clears the approval given: a new round opens on terms version 2.
  const amended = await stack.api('PATCH', `/contracts/${id}`, { token: manager.token, body: { terms: { fee: 600 } } });
  expect(amended.status).toBe(200);
  expect(amended.body).toMatchObject({ termsVersion: 2, approvals: [], terms: { fee: 600 } });
  expect(
    (await stack.api('PATCH', `/contracts/${id}`, { token: manager.token, body: { terms: { fee: 700 }, termsVersion: 1 } })).status,
  ).toBe(409);
  const round = await eventually(async () => {
    const tasks = (await stack.api('GET', `/tasks?entityId=${id}&kind=contract_approval`)).body.items;
    const live = tasks.filter(
      (t: { status: string; payload: { termsVersion: number } }) => t.status === 'open' && t.payload.termsVersion === 2,
    );
    return live.length === 2 && live;
  }, 'the second round');
  for (const t of round) {
    const token = t.candidateRole === 'legal' ? lawyer.token : stack.admin.token;
    expect((await stack.api('POST', `/tasks/${t.id}/complete`, { token, body: { decision: 'approve' } })).status).toBe(200);
  }

  // Signatures in order: the partner cannot sign before us; no bearer token, no internal signature.
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.stage === 'awaiting_signatures',
    'awaiting signatures',
  );
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: {} })).status).toBe(401);
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token: 'x'.repeat(32) } })).status).toBe(403); // no link yet
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: lawyer.token, body: {} })).status).toBe(403);
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: manager.token, body: {} })).body).toMatchObject({
    stage: 'awaiting_signatures',
    signatures: { internal: { operatorId: manager.id } },
  });

  const link = await stack.mail.waitFor((m) => m.to.includes(p.email) && m.subject === 'Your contract is ready to sign');
  const token = signToken(link.text, id);
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token: `${token.slice(0, -2)}xx` } })).status).toBe(403);
  // The partner signs with their name and agreement; neither is optional.
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token, agree: true } })).status).toBe(422);
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token, name: 'Lin' } })).status).toBe(422);
  const signed = await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token, name: 'Lin Mei', agree: true } });
  expect(signed.status).toBe(200);
  expect(signed.body.signatures.partner).toMatchObject({ at: expect.any(String), name: 'Lin Mei' });
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token, name: 'Lin Mei', agree: true } })).status).toBe(
    409,
  ); // once

  // Active: the tracking code goes to the partner; the first month (already over) is evaluated and paid.
  const welcome = await stack.mail.waitFor((m) => m.to.includes(p.email) && m.subject === 'Your partnership is active');
  const code = /tracking code: (P-[0-9A-F]+)/.exec(welcome.text)![1]!;
  const payouts = await eventually(async () => {
    const body = (await stack.api('GET', `/contracts/${id}/payouts`, { token: lawyer.token })).body;
    return body.items.length === 1 && body;
  }, 'the first payout');
  // Marginal tiers on 3,000: 1,000 at 5% (50) and 2,000 at 10% (200); fee 600.
  expect(payouts.items[0]).toMatchObject({
    term: 1,
    periodIndex: 0,
    fraction: 1,
    fee: 600,
    share: 250,
    milestones: 0,
    total: 850,
    tier: 1,
  });
  expect(payouts.items[0].evaluation).toMatchObject({ actuals: { clicks: 1200, gmv: 3000 }, score: 135 }); // clicks 1.2 of target, GMV 1.5: (1.2 + 1.5) / 2
  await stack.mail.waitFor((m) => m.to.includes(manager.email) && m.subject.startsWith('[opsflow] Evaluation of Lin Creates'));
  const live = (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body;
  expect(live).toMatchObject({ stage: 'active', trackingCode: code, nextDates: { evaluationAt: expect.any(String) } });

  // Terminated in the second month: it is paid pro rata (fee only: its 400 GMV pays 20), the partner told, the code revoked.
  const ended = await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'brand safety' } });
  expect(ended.status).toBe(200);
  expect(ended.body).toMatchObject({ stage: 'terminated', termination: { reason: 'brand safety', by: manager.id } });
  const all = (await stack.api('GET', `/contracts/${id}/payouts`, { token: lawyer.token })).body.items;
  expect(all).toHaveLength(2);
  const last = all[1];
  expect(last.fraction).toBeGreaterThan(0.1);
  expect(last.fraction).toBeLessThan(0.25);
  expect(last).toMatchObject({ periodIndex: 1, share: 20, fee: Math.round(600 * last.fraction * 100) / 100 });
  await stack.mail.waitFor((m) => m.to.includes(p.email) && m.subject === 'Your partnership has been terminated');
  const [row] = await stack.db.orm.em
    .getConnection()
    .execute<{ active: boolean }[]>('select active from partner_codes where code = ?', [code]);
  expect(row!.active).toBe(false);
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'again' } })).status).toBe(409);
  const trail = (await stack.api('GET', `/audit?entityType=contract&entityId=${id}&limit=200`)).body.items.map(
    (e: { action: string }) => e.action,
  );
  expect((await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body).toMatchObject({
    trackingCode: null,
    nextDates: { evaluationAt: null, renewalReminderAt: null },
  });
  expect(trail).toEqual(
    expect.arrayContaining([
      'contract.payout_recorded',
      'contract.tracking_code_issued',
      'contract.tracking_code_revoked',
      'contract.settled',
    ]),
  );
  expect(trail).toEqual(
    expect.arrayContaining([
      'contract.requested',
      'contract.amended',
      'contract.approvals_cleared',
      'task.completed',
      'contract.awaiting_signatures',
      'contract.signed_internally',
      'contract.signed_by_partner',
      'contract.active',
      'contract.terminated',
      'email.sent',
    ]),
  );
  await recordHistory(stack.env.client, `contract:${id}`, 'contract-http-signed-evaluated-terminated');
});

test('only the owner or an admin amends, submits or terminates; whoever amended the terms does not approve them', async () => {
  const p = await partner();
  const other = await stack.operator(['ops_manager'], 'Otto');
  const admin2 = await stack.operator(['admin'], 'Ada');
  const id = (await stack.api('POST', '/contracts', { token: manager.token, body: { partnerId: p.id, terms: terms(), draft: true } })).body
    .id as string;
  const handle = stack.env.client.workflow.getHandle(`contract:${id}`);

  // Another ops manager may not change someone else's contract, over HTTP or straight at the workflow.
  for (const [method, path, body] of [
    ['PATCH', `/contracts/${id}`, { terms: { fee: 400 } }],
    ['POST', `/contracts/${id}/submit`, {}],
    ['POST', `/contracts/${id}/terminate`, { reason: 'mine now' }],
  ] as const) {
    const res = await stack.api(method, path, { token: other.token, body });
    expect({ path, status: res.status }).toEqual({ path, status: 403 });
    expect(res.body.error.message).toBe("only the contract's owner or an admin may change it");
  }
  const current = (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body;
  await expect(
    handle.executeUpdate(amendContract, {
      args: [{ actor: { id: other.id, name: 'Otto', roles: ['ops_manager'] }, terms: current.terms }],
    }),
  ).rejects.toMatchObject({ cause: { type: 'Forbidden' } });

  // The owner and an admin may; the admin's amendment makes them the maker of terms version 3.
  expect((await stack.api('PATCH', `/contracts/${id}`, { token: manager.token, body: { terms: { fee: 400 } } })).body.termsVersion).toBe(2);
  const amended = await stack.api('PATCH', `/contracts/${id}`, { token: stack.admin.token, body: { terms: { fee: 450 } } });
  expect(amended).toMatchObject({
    status: 200,
    body: {
      termsVersion: 3,
      edits: [
        { version: 2, operatorId: manager.id },
        { version: 3, operatorId: stack.admin.id },
      ],
    },
  });
  expect((await stack.api('POST', `/contracts/${id}/submit`, { token: stack.admin.token, body: {} })).body.stage).toBe('in_approval');

  const round = await eventually(async () => {
    const t = await openTasks(id, stack.admin.token);
    return t.length === 2 && t;
  }, 'legal and admin tasks');
  const adminTask = round.find((t: { candidateRole: string }) => t.candidateRole === 'admin');
  const own = await stack.api('POST', `/tasks/${adminTask.id}/complete`, { token: stack.admin.token, body: { decision: 'approve' } });
  expect(own.status).toBe(403);
  expect(own.body.error.message).toBe('you amended terms version 3 of this contract; someone else must approve it');
  expect((await stack.api('POST', `/tasks/${adminTask.id}/complete`, { token: admin2.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  const legalTask = round.find((t: { candidateRole: string }) => t.candidateRole === 'legal');
  expect((await stack.api('POST', `/tasks/${legalTask.id}/complete`, { token: lawyer.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.stage === 'awaiting_signatures',
    'awaiting signatures',
  );
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: other.token, body: { reason: 'no' } })).status).toBe(403);
  expect(
    (await stack.api('POST', `/contracts/${id}/terminate`, { token: stack.admin.token, body: { reason: 'not needed' } })).body.stage,
  ).toBe('terminated');
  await handle.result();
  await recordHistory(stack.env.client, `contract:${id}`, 'contract-http-amended-by-admin-terminated');
});

test('forged signing tokens are refused before the workflow: 60 of them leave its history as it was, the contract is limited after 50, and the real token still signs', async () => {
  const p = await partner();
  const id = (await stack.api('POST', '/contracts', { token: manager.token, body: { partnerId: p.id, terms: terms({ fee: 50 }) } })).body
    .id as string;
  const handle = stack.env.client.workflow.getHandle(`contract:${id}`);
  const [legal] = await eventually(async () => {
    const t = await openTasks(id, lawyer.token);
    return t.length === 1 && t;
  }, 'the legal task');
  expect((await stack.api('POST', `/tasks/${legal.id}/complete`, { token: lawyer.token, body: { decision: 'approve' } })).status).toBe(200);
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.stage === 'awaiting_signatures',
    'awaiting signatures',
  );
  // No link sent yet: any token is refused.
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token: 'y'.repeat(32) } })).status).toBe(403);
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: manager.token, body: {} })).status).toBe(200);
  const link = await stack.mail.waitFor((m) => m.to.includes(p.email) && m.subject === 'Your contract is ready to sign');
  const token = signToken(link.text, id);
  // The API as deployed behind a proxy, so the flood can come from many addresses; its abuse limits are the defaults.
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
  const sign = async (t: string, client = '203.0.113.200') => {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/contracts/${id}/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ token: t, name: 'Lin', agree: true }),
    });
    return { status: res.status, body: (await res.json()) as { error: { message: string } } };
  };

  // The workflow has recorded the link and waits: its history stops growing.
  const length = async () => (await handle.fetchHistory()).events!.length;
  let settled = 0;
  await eventually(async () => {
    const trail = (await stack.api('GET', `/audit?entityType=contract&entityId=${id}&action=contract.sign_link_sent`)).body.items;
    const [a, b] = [await length(), (await new Promise((r) => setTimeout(r, 300)), await length())];
    settled = a;
    return trail.length === 1 && a === b;
  }, 'the workflow waiting for the partner');
  // From 12 addresses, each under its own limit: the contract's limit (50 refusals an hour) answers 429 after 50.
  for (let i = 0; i < 60; i++) {
    const forged = i === 0 ? `${token.slice(0, -2)}xx` : randomUUID() + randomUUID();
    const res = await sign(forged, `198.51.100.${i % 12}`);
    const expected =
      i < DEFAULT_RATE_LIMITS.signPerContract.limit
        ? { i, status: 403, message: expect.stringMatching(/not valid/) }
        : { i, status: 429, message: expect.stringMatching(/this contract/) };
    expect({ i, status: res.status, message: res.body.error.message }).toEqual(expected);
  }
  expect(await length()).toBe(settled);
  // Straight at the workflow (bypassing the API) the Update's validator refuses a wrong hash, still without history.
  for (let i = 0; i < 5; i++) {
    await expect(handle.executeUpdate(partnerSignContract, { args: [{ tokenHash: 'f'.repeat(64) }] })).rejects.toMatchObject({
      cause: { type: 'Forbidden', message: expect.stringMatching(/not valid/) },
    });
  }
  expect(await length()).toBe(settled);
  const signed = await sign(token);
  server.closeAllConnections();
  server.close();
  expect(signed).toMatchObject({ status: 200, body: { signatures: { partner: { at: expect.any(String) } } } });
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'test done' } })).status).toBe(200);
});

test('a Chinese-speaking partner gets the signing link, the activation and the termination in Chinese, from the stored templates', async () => {
  const p = await partner('zh-CN');
  expect((await stack.api('GET', `/partners/${p.id}`, { token: manager.token })).body.locale).toBe('zh-CN');
  const id = (
    await stack.api('POST', '/contracts', {
      token: manager.token,
      body: { partnerId: p.id, terms: terms({ fee: 80, scope: '春季探店短视频' }) },
    })
  ).body.id as string;
  const [legal] = await eventually(async () => {
    const t = await openTasks(id, lawyer.token);
    return t.length === 1 && t;
  }, 'the legal task');
  expect((await stack.api('POST', `/tasks/${legal.id}/complete`, { token: lawyer.token, body: { decision: 'approve' } })).status).toBe(200);
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.stage === 'awaiting_signatures',
    'awaiting signatures',
  );
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: manager.token, body: {} })).status).toBe(200);
  // The answer names its people: the owner and signer (Mia) and the approver (Lee) by name.
  expect((await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.people).toEqual({
    [manager.id]: 'Mia',
    [lawyer.id]: 'Lee',
  });
  const link = await stack.mail.waitFor((m) => m.to.includes(p.email) && m.subject === '您的合作合同待签署');
  expect(link.from).toContain('opsflow合作团队');
  expect(link.html).toContain('<html lang="zh-CN">');
  expect(link.text).toContain('合作内容：春季探店短视频');
  expect(link.text).toContain('固定费用：每期 US$80.00');
  expect(link.text).toContain('按月结算');
  const token = signToken(link.text, id);
  expect((await stack.api('POST', `/contracts/${id}/sign`, { token: null, body: { token, name: '林小厨', agree: true } })).status).toBe(
    200,
  );
  const active = await stack.mail.waitFor((m) => m.to.includes(p.email) && m.subject === '合作已生效');
  expect(active.text).toMatch(/您的专属推广码：P-[0-9A-F]+/);
  // The first month (already over) is evaluated before the termination, as above.
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}/payouts`, { token: lawyer.token })).body.items?.length >= 1,
    'the first payout',
  );
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: '合作方向调整' } })).status).toBe(
    200,
  );
  const ended = await stack.mail.waitFor((m) => m.to.includes(p.email) && m.subject === '合作已终止', 30_000);
  expect(ended.text).toContain('原因：合作方向调整');
  // The ledger (email_outbox) kept one of each.
  expect(
    stack.mail
      .messages()
      .filter((m) => m.to.includes(p.email))
      .map((m) => m.subject),
  ).toEqual(['您的合作合同待签署', '合作已生效', '合作已终止']);
});

test('bad terms are named and nothing starts', async () => {
  const p = await partner();
  const before = await count('contracts');
  const cases: [Record<string, unknown>, number, string][] = [
    [
      {
        partnerId: p.id,
        terms: terms({
          revenueShare: {
            mode: 'whole',
            tiers: [
              { from: 0, to: 1000, rate: 5 },
              { from: 500, to: null, rate: 8 },
            ],
            cap: null,
          },
        }),
      },
      400,
      'terms.revenueShare.tiers[1]',
    ],
    [
      {
        partnerId: p.id,
        terms: terms({
          revenueShare: {
            mode: 'whole',
            tiers: [
              { from: 1000, to: 2000, rate: 5 },
              { from: 0, to: 1000, rate: 8 },
            ],
            cap: null,
          },
        }),
      },
      400,
      'terms.revenueShare.tiers[1]',
    ],
    [{ partnerId: p.id, terms: terms({ end: new Date(Date.parse(start) - DAY).toISOString() }) }, 400, 'terms.end'],
    [
      { partnerId: p.id, terms: terms({ revenueShare: { mode: 'whole', tiers: [{ from: 100, to: null, rate: 5 }], cap: null } }) },
      400,
      'terms.revenueShare.tiers[0]',
    ],
    [{ partnerId: p.id, terms: terms({ revenueShare: { mode: 'whole', tiers: [], cap: 500 } }) }, 400, 'terms.revenueShare.cap'],
    [{ partnerId: p.id, terms: terms({ fee: -5 }) }, 400, 'terms.fee'],
    [{ partnerId: p.id, terms: terms({ revenueShare: { mode: 'stepped', tiers: [], cap: null } }) }, 400, 'terms.revenueShare.mode'],
    [{ partnerId: randomUUID(), terms: terms() }, 422, 'partnerId'],
    [{ partnerId: p.id, signerId: lawyer.id, terms: terms() }, 422, 'signerId'],
  ];
  for (const [body, status, field] of cases) {
    const res = await stack.api('POST', '/contracts', { token: manager.token, body });
    expect({ field, status: res.status }).toEqual({ field, status });
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
  }
  expect((await stack.api('POST', '/contracts', { token: lawyer.token, body: { partnerId: p.id, terms: terms() } })).status).toBe(403);
  expect(await count('contracts')).toBe(before);
  const bad = await stack.api('POST', '/partners', {
    token: manager.token,
    body: { name: 'x', type: 'kol', contactEmail: 'nope', figures: { followers: -1 } },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(
    expect.arrayContaining(['contactEmail', 'figures.followers']),
  );

  // A PATCH changes what it names and keeps the rest; the result is validated whole.
  const changed = await stack.api('PATCH', `/partners/${p.id}`, { token: manager.token, body: { notes: 'prefers video' } });
  expect(changed.body).toMatchObject({ notes: 'prefers video', type: 'kol', figures: { followers: 120_000 }, version: 2 });
  expect((await stack.api('PATCH', `/partners/${p.id}`, { token: manager.token, body: {} })).status).toBe(400);
  const figures = await stack.api('PATCH', `/partners/${p.id}`, { token: manager.token, body: { figures: { followers: 1 } } });
  expect(figures.status).toBe(400);
  expect(figures.body.error.fields.map((f: { field: string }) => f.field)).toContain('figures.engagementRate');
});

test('partners are ranked for a brief with every factor explained', async () => {
  const a = await partner();
  const res = await stack.api('POST', '/partners/score', {
    token: lawyer.token,
    body: { brief: { budget: 1000, goal: 'conversion', types: ['kol'] } },
  });
  expect(res.status).toBe(200);
  const mine = res.body.ranking.find((r: { partnerId: string }) => r.partnerId === a.id);
  expect(mine.factors.map((f: { factor: string }) => f.factor)).toEqual(['reach', 'engagement', 'audienceMatch', 'conversion', 'cost']);
  expect(mine.factors.find((f: { factor: string }) => f.factor === 'cost')).toMatchObject({
    value: 800,
    normalized: 0.2,
    weight: 0.15,
    contribution: 3,
  });
  expect(mine.score).toBeCloseTo(
    mine.factors.reduce((s: number, f: { contribution: number }) => s + f.contribution, 0),
    1,
  );
  expect(
    (
      await stack.api('POST', '/partners/score', { token: lawyer.token, body: { brief: { budget: -1, goal: 'fame' } } })
    ).body.error.fields.map((f: { field: string }) => f.field),
  ).toEqual(expect.arrayContaining(['brief.budget', 'brief.goal']));
});
