// Partners and contracts in a real Chromium against the real stack (flow 4): the designated signer signs for us on the
// contract page, the partner opens the emailed link (no operator session, in 简体中文), reads the terms and signs with
// their name; the contract becomes active, the link then says it was used, and the contract page shows the evidence.
// Also the partner list (paged, searched), the ranking for a brief with each factor's contribution, and axe on each.
import { randomUUID } from 'node:crypto';
import { expectAccessible, startStackAndBrowser, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let browser: TestBrowser;
let manager: TestOperator;
let lawyer: TestOperator;
let ingest: TestOperator;
const DAY = 86_400_000;
const run = randomUUID().slice(0, 6);

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  manager = await stack.operator(['ops_manager'], 'Mia');
  lawyer = await stack.operator(['legal'], 'Lee');
  ingest = await stack.operator(['ingest'], 'collector');
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function addPartner(name: string, figures: Record<string, number>, type = 'kol'): Promise<{ id: string; email: string }> {
  const email = `${name.toLowerCase().replace(/\W+/g, '-')}-${run}@partners.example.com`;
  const res = await stack.api('POST', '/partners', { token: manager.token, body: { name, type, contactEmail: email, figures } });
  expect(res.status).toBe(201);
  return { id: res.body.id, email };
}

/** A contract approved by legal, waiting for our signature; its first month is over (evaluated once active). */
async function approvedContract(partnerId: string): Promise<string> {
  const start = new Date(Date.now() - 35 * DAY).toISOString();
  const created = await stack.api('POST', '/contracts', {
    token: manager.token,
    body: {
      partnerId,
      terms: {
        scope: `Spring campaign posts ${run}`,
        deliverables: ['4 posts a month', 'One live stream'],
        currency: 'CNY',
        fee: 8000,
        revenueShare: {
          mode: 'marginal',
          tiers: [
            { from: 0, to: 100_000, rate: 5 },
            { from: 100_000, to: null, rate: 8 },
          ],
          cap: 20_000,
        },
        milestones: [{ name: 'Launch video', due: new Date(Date.parse(start) + 10 * DAY).toISOString(), amount: 3000 }],
        start,
        end: new Date(Date.parse(start) + 180 * DAY).toISOString(),
        cadence: 'monthly',
        targets: { clicks: 5000, gmv: 80_000 },
      },
    },
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  const task = await eventually(
    async () => (await stack.api('GET', `/tasks?entityId=${id}&kind=contract_approval&status=open`, { token: lawyer.token })).body.items[0],
    'the legal task',
  );
  expect(
    (await stack.api('POST', `/tasks/${task.id}/complete`, { token: lawyer.token, body: { decision: 'approve', comment: 'terms fine' } }))
      .status,
  ).toBe(200);
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body.stage === 'awaiting_signatures',
    'awaiting signatures',
  );
  return id;
}

test('flow 4: we sign on the contract page, the partner signs from the emailed link, the contract is active, the link says it was used, the evidence is on the contract', async () => {
  const lin = await addPartner('Lin Creates', {
    followers: 120_000,
    engagementRate: 0.05,
    audienceMatch: 0.7,
    pastConversionRate: 0.02,
    price: 800,
  });
  // The partner's first month: 120,000 GMV (marginal tiers: 5,000 + 1,600), so its payout is 8,000 + 6,600 + 3,000.
  const start = Date.now() - 35 * DAY;
  expect(
    (
      await stack.api('POST', '/metrics', {
        token: ingest.token,
        body: {
          points: [
            { name: 'partner.gmv', value: 120_000, at: new Date(start + 3 * DAY).toISOString(), labels: { partner: lin.id } },
            { name: 'partner.clicks', value: 6000, at: new Date(start + 3 * DAY).toISOString(), labels: { partner: lin.id } },
          ],
        },
      })
    ).status,
  ).toBeLessThan(300);
  const id = await approvedContract(lin.id);

  // The designated signer (the owner) is emailed the contract page, and signs for us there.
  const toSign = await stack.mail.waitFor(
    (m) => m.to.includes(manager.email) && m.subject === '[opsflow] Please sign the contract with Lin Creates',
  );
  const contractPage = new URL(/Read it and sign: (\S+)/.exec(toSign.text)![1]!);
  expect(contractPage.pathname).toBe(`/console/partners/contracts/${id}`);
  const { page: ops, problems: opsProblems } = await browser.openPage();
  await signInWithToken(ops, stack.baseUrl, manager.token, contractPage.pathname);
  await ops.getByRole('heading', { level: 1, name: 'Contract with Lin Creates' }).waitFor();
  await ops.getByText('Awaiting signatures', { exact: true }).first().waitFor();
  await ops.getByRole('button', { name: 'Sign for us' }).click();
  await ops.getByText(/^Signed by you on /).waitFor();

  // The partner's email links to the signing page, which no other site may frame.
  const mail = await stack.mail.waitFor((m) => m.to.includes(lin.email) && m.subject === 'Your contract is ready to sign');
  const emailed = new URL(/(http\S+\/sign\/\S+)/.exec(mail.text)![1]!);
  expect(emailed.pathname).toBe(`/sign/${id}`);
  const link = `${stack.baseUrl}${emailed.pathname}${emailed.search}`;

  // The partner, in Chinese, with no session: the full terms, the deadline, then name, agreement, sign.
  const { page: partner, problems: partnerProblems } = await browser.openPage({ locale: 'zh-CN' });
  const response = await partner.goto(link);
  expect(response!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(response!.headers()['x-frame-options']).toBe('DENY');
  await partner.getByRole('heading', { level: 1, name: '签署合同' }).waitFor();
  expect(await partner.getAttribute('html', 'lang')).toBe('zh-CN');
  await partner.getByText(`Spring campaign posts ${run}`).waitFor();
  await partner.getByText('One live stream').waitFor();
  await partner.getByRole('table', { name: '分成档位' }).waitFor();
  await partner.getByText('Launch video').waitFor();
  await partner.getByText(/此链接仅可使用一次，有效期至/).waitFor();
  await expectAccessible(partner);
  await partner.getByLabel('您的姓名').fill('林美');
  await partner.getByRole('checkbox', { name: /我已阅读上述条款，并代表 Lin Creates 同意/ }).check();
  await partner.getByRole('button', { name: '签署合同' }).click();
  await partner.getByRole('heading', { level: 1, name: '感谢您：合同已签署' }).waitFor();

  // The contract becomes active, with the signature's evidence.
  const active = await eventually(async () => {
    const body = (await stack.api('GET', `/contracts/${id}`, { token: manager.token })).body;
    return body.stage === 'active' && body;
  }, 'the contract active');
  expect(active.signatures.partner).toMatchObject({
    name: '林美',
    ip: expect.stringMatching(/127\.0\.0\.1/),
    userAgent: expect.stringMatching(/Chrome/),
  });
  expect(active.trackingCode).toMatch(/^P-/);

  // The link again, reloaded and in a fresh English browser: it says it was used, not an error.
  await partner.reload();
  await partner.getByRole('heading', { level: 1, name: '此签署链接已被使用' }).waitFor();
  await partner.getByText(/该合同已由 林美 于 .+ 签署/).waitFor();
  const { page: again, problems: againProblems } = await browser.openPage();
  await again.goto(link);
  await again.getByRole('heading', { level: 1, name: 'This signing link has already been used' }).waitFor();
  expect(await again.getByRole('button', { name: 'Sign the contract' }).count()).toBe(0);
  await expectAccessible(again);

  // The contract page shows it active, with the evidence of the partner's signature.
  await ops.reload();
  await ops.getByText('Active', { exact: true }).first().waitFor();
  const evidence = ops.getByRole('heading', { name: 'Evidence of the partner’s signature' }).locator('..');
  await evidence.getByText('林美').waitFor();
  await evidence.getByText(/127\.0\.0\.1/).waitFor();
  await evidence.getByText(/HeadlessChrome|Chrome\//).waitFor();
  await ops.getByText(active.trackingCode).waitFor();
  // The first month's evaluation in the payouts ledger.
  await eventually(
    async () => (await stack.api('GET', `/contracts/${id}/payouts`, { token: manager.token })).body.items.length === 1,
    'the first payout',
  );
  await ops.reload();
  const ledger = ops.getByRole('heading', { name: 'Evaluations and payouts' }).locator('..');
  await ledger.getByText('Paid in all: CN¥17,600.00').waitFor();
  await ledger.getByRole('cell', { name: 'CN¥6,600.00 (Tier 2)' }).waitFor();
  expect(await ops.getByRole('button', { name: 'Sign for us' }).count()).toBe(0);
  await expectAccessible(ops);
  expect([...opsProblems, ...partnerProblems, ...againProblems]).toEqual([]);
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'test done' } })).status).toBe(200);
});

test('a forged or cut-short link gets a page saying so, not an error', async () => {
  const lin = await addPartner('Forge Target', {
    followers: 1000,
    engagementRate: 0.01,
    audienceMatch: 0.2,
    pastConversionRate: 0.01,
    price: 10,
  });
  const id = await approvedContract(lin.id);
  const { page, problems } = await browser.openPage();
  await page.goto(`${stack.baseUrl}/sign/${id}?token=${'x'.repeat(40)}`);
  await page.getByRole('heading', { level: 1, name: 'This signing link is not valid' }).waitFor();
  await page.goto(`${stack.baseUrl}/sign/${id}`);
  await page.getByRole('heading', { level: 1, name: 'This signing link is not valid' }).waitFor();
  expect(await page.getByRole('alert').count()).toBe(0);
  expect(problems).toEqual([]);
  expect((await stack.api('POST', `/contracts/${id}/terminate`, { token: manager.token, body: { reason: 'test done' } })).status).toBe(200);
});

test('the partner list pages and searches through the API, and a brief ranks partners with each factor’s contribution', async () => {
  // More partners than a page holds.
  for (let i = 0; i < 27; i++) {
    await addPartner(
      `Bulk ${run} ${String(i).padStart(2, '0')}`,
      { followers: 1000 * (i + 1), engagementRate: 0.01, audienceMatch: 0.3, pastConversionRate: 0.01, price: 100 + i },
      i % 2 ? 'content' : 'channel',
    );
  }
  const star = await addPartner(`Star ${run}`, {
    followers: 9_000_000,
    engagementRate: 0.09,
    audienceMatch: 0.95,
    pastConversionRate: 0.06,
    price: 500,
  });
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, lawyer.token, '/console/partners');
  await page.getByRole('heading', { level: 1, name: 'Partners' }).waitFor();
  await page.getByText(/^1–25 of \d+$/).waitFor();
  await expectAccessible(page);
  await page.getByLabel('Search by name').fill(`Bulk ${run}`);
  await page.getByText('1–25 of 27').waitFor();
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText('26–27 of 27').waitFor();
  await page.getByRole('link', { name: `Bulk ${run} 26` }).waitFor();

  // The ranking: the star first, its factors explained; the chart's figures come with it.
  await page.getByRole('link', { name: 'Ranking for a brief' }).click();
  await page.getByRole('heading', { level: 1, name: 'Rank partners for a brief' }).waitFor();
  await page.getByLabel('Budget per engagement').fill('1000');
  await page.getByLabel('Goal').selectOption('conversion');
  await page.getByRole('checkbox', { name: 'KOL' }).check();
  await page.getByRole('button', { name: 'Rank' }).click();
  const firstRow = page
    .getByRole('table')
    .filter({ has: page.getByRole('columnheader', { name: 'Audience match' }) })
    .locator('tbody tr')
    .first();
  await firstRow.getByRole('button', { name: `Star ${run}` }).waitFor();
  await page.getByRole('img', { name: /^Score of the top \d+$/ }).waitFor();
  await firstRow.getByRole('button', { name: `Star ${run}` }).click();
  await page.getByRole('heading', { name: `How Star ${run} scored` }).waitFor();
  await page.getByRole('img', { name: `Each factor’s contribution to the score of Star ${run}` }).waitFor();
  const api = (
    await stack.api('POST', '/partners/score', {
      token: lawyer.token,
      body: { brief: { budget: 1000, goal: 'conversion', types: ['kol'] } },
    })
  ).body;
  expect(api.ranking[0].partnerId).toBe(star.id);
  const audience = api.ranking[0].factors.find((f: { factor: string }) => f.factor === 'audienceMatch').contribution as number;
  await firstRow
    .getByRole('cell', { name: new Intl.NumberFormat('en', { maximumFractionDigits: 2 }).format(audience), exact: true })
    .first()
    .waitFor();
  await expectAccessible(page);
  expect(problems).toEqual([]);
});
