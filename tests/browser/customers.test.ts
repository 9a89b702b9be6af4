// The console's Customers area in a real Chromium against the real stack: customers and events seeded through the
// API, then the search (paged), one customer's lifecycle timeline, the RFM segments scored from the page, and the KPI
// dashboard in 简体中文, each figure checked against the API and each page scanned by axe.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { expectAccessible, startStackAndBrowser, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

const DAY = 86_400_000;
const TZ = 'Asia/Shanghai'; // the browser's zone (tests/support/browser.ts), so the dashboard's days
const run = randomUUID().slice(0, 8);

let stack: Stack;
let browser: TestBrowser;
let manager: TestOperator;
let analyst: TestOperator;
let lin: string;

/** 59 customers plus Lin Mei: more than one page of the search (50). */
const CUSTOMERS = 60;
/** Purchases today by three of the first customers; Lin buys later, from the page's point of view before it loads. */
const TODAY_PURCHASES = [19.9, 30, 50.55];
const LIN_PURCHASE = 128.5;

const ext = (i: number) => `c${String(i).padStart(2, '0')}-${run}`;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

async function postEvents(events: Record<string, unknown>[]) {
  const res = await stack.api('POST', '/events', { token: manager.token, body: { events } });
  expect(res.status).toBe(202);
}

async function lifecycle(id: string) {
  const res = await stack.api('GET', `/customers/${id}/lifecycle`, { token: analyst.token });
  return res.status === 200 ? res.body : undefined;
}

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  manager = await stack.operator(['ops_manager'], 'Mia');
  analyst = await stack.operator(['analyst'], 'Ana');

  // A marketing step at once, and quiet hours around now in Lin's zone: Lin's tips are deferred, not sent.
  const shanghai = (msFromNow: number) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
      new Date(Date.now() + msFromNow),
    );
  expect(
    (
      await stack.api('PUT', '/policies/lifecycle', {
        token: manager.token,
        body: {
          activationWindow: '7d',
          retentionPeriod: '30d',
          inactivity: '14d',
          winBackWait: '7d',
          couponValidity: '30d',
          nurture: {
            goal: null,
            staleAfter: '1d',
            steps: [
              { name: 'welcome', after: '0s', template: 'welcome', category: 'transactional' },
              { name: 'tips', after: '1s', template: 'tips', category: 'marketing' },
            ],
          },
        },
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await stack.api('PUT', '/policies/messaging', {
        token: manager.token,
        body: {
          frequencyCap: null,
          quietHours: { start: shanghai(-3_600_000), end: shanghai(3 * 3_600_000) },
        },
      })
    ).status,
  ).toBe(200);

  const customers = [
    { externalId: `lin-${run}`, email: `lin-${run}@example.com`, name: 'Lin Mei', tags: ['vip'], marketingConsent: true, timezone: TZ },
    ...Array.from({ length: CUSTOMERS - 1 }, (_, i) => ({ externalId: ext(i), email: `c${i}-${run}@example.com`, name: `Customer ${i}` })),
  ];
  const created = await stack.api('POST', '/customers', { token: manager.token, body: { customers } });
  expect(created.status).toBe(200);
  expect(created.body.created).toBe(CUSTOMERS);
  lin = created.body.items[0].id;

  // Twelve active customers over the last days: signups, logins, and purchases (three of them today).
  const events: Record<string, unknown>[] = [{ externalId: `lin-${run}`, type: 'signup', at: at(0), idempotencyKey: `${run}-lin-signup` }];
  for (let i = 0; i < 11; i++) {
    events.push({ externalId: ext(i), type: 'signup', at: at((i % 5) * DAY + 60_000), idempotencyKey: `${run}-${i}-signup` });
    for (let n = 0; n < i % 4; n++)
      events.push({ externalId: ext(i), type: 'login', at: at(n * 3_600_000 + 30_000), idempotencyKey: `${run}-${i}-login-${n}` });
  }
  TODAY_PURCHASES.forEach((amount, i) =>
    events.push({ externalId: ext(i), type: 'purchase', amount, at: at(20_000), idempotencyKey: `${run}-${i}-buy` }),
  );
  await postEvents(events);

  // Lin's lifecycle: the welcome (transactional, at once) is sent, then a purchase makes Lin monetized.
  await eventually(async () => {
    const messages: { template: string; status: string }[] = (await lifecycle(lin))?.messages ?? [];
    return (
      messages.some((m) => m.template === 'welcome' && m.status === 'sent') &&
      messages.some((m) => m.template === 'tips' && m.status === 'deferred')
    );
  }, "Lin's welcome sent and tips deferred");
  await postEvents([{ customerId: lin, type: 'purchase', amount: LIN_PURCHASE, at: at(0), idempotencyKey: `${run}-lin-buy` }]);
  await eventually(async () => (await lifecycle(lin))?.stage === 'monetized', 'Lin monetized');
  await eventually(
    async () => (await stack.api('GET', `/customers/${lin}`, { token: analyst.token })).body.stage === 'monetized',
    'the read model',
  );
  // A win-back coupon as the lifecycle's activity issues one (14 days of silence are not waited for here).
  await stack.db.orm.em
    .getConnection()
    .execute(
      `insert into coupons (code, idempotency_key, customer_id, purpose, created_at, expires_at) values (?, ?, ?, 'win_back', now(), now() + interval '30 days')`,
      [`WB${run.toUpperCase()}`, `${run}-coupon`, lin],
    );
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function signedIn(operator: TestOperator, path: string): Promise<{ page: Page; problems: string[] }> {
  const opened = await browser.openPage();
  await signInWithToken(opened.page, stack.baseUrl, operator.token, path);
  return opened;
}

test('search: every customer through the pager, and one found by part of its name opens on its lifecycle timeline', async () => {
  const { page, problems } = await signedIn(analyst, '/console/customers');
  await page.getByRole('heading', { name: 'Find customers', level: 1 }).waitFor();
  await page.getByText(`1–50 of ${CUSTOMERS}`).waitFor();
  await expect(page.locator('table.customers tbody tr').count()).resolves.toBe(50);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText(`51–${CUSTOMERS} of ${CUSTOMERS}`).waitFor();
  expect(new URL(page.url()).searchParams.get('offset')).toBe('50');

  // Part of the name, any case, with a stage filter: the page asks the API for exactly that.
  await page.getByLabel('Name, email or external id').fill('lin m');
  await page.getByLabel('Stage').selectOption('monetized');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText(`1–1 of 1`).waitFor();
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ q: 'lin m', stage: 'monetized' });
  await page.getByLabel('Stage').selectOption('churned');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('No customer matches these filters.').waitFor();
  await page.goBack();
  await page.getByText(`1–1 of 1`).waitFor();
  await expect(page.getByLabel('Stage').inputValue()).resolves.toBe('monetized');
  const row = page.getByRole('row').filter({ hasText: 'Lin Mei' });
  await expect(row.textContent()).resolves.toContain('Monetized');
  await row.getByRole('link', { name: 'Lin Mei' }).click();

  await page.getByRole('heading', { name: 'Lin Mei', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe(`/console/customers/${lin}`);
  const timeline = page.getByRole('list', { name: 'Lifecycle timeline' });
  await timeline.getByText('Stage: Monetized').waitFor();
  const entries = await timeline.locator('li').allTextContents();
  expect(entries.some((e) => e.includes('Stage: Acquired') && e.includes('a signup event'))).toBe(true);
  expect(entries.some((e) => e.includes('Stage: Monetized') && e.includes('from Acquired · a purchase event'))).toBe(true);
  expect(entries.some((e) => e.includes('Message sent: Welcome'))).toBe(true);
  expect(entries.some((e) => e.includes('Message deferred: Tips') && e.includes("the customer's quiet hours") && e.includes('until'))).toBe(
    true,
  );
  // Still owed: the tips wait for the quiet hours to end.
  await expect(page.getByRole('region', { name: 'Messages waiting' }).textContent()).resolves.toContain('Tips (nurture)');
  // An analyst sees that a coupon exists, not its code.
  expect(entries.some((e) => e.includes(`Coupon issued: ${`WB${run.toUpperCase()}`.slice(0, 3)}…`) && e.includes('expires'))).toBe(true);
  expect(entries.join(' ')).not.toContain(`WB${run.toUpperCase()}`);
  // Oldest first: the signup's stage comes before the purchase's.
  expect(entries.findIndex((e) => e.includes('Stage: Acquired'))).toBeLessThan(entries.findIndex((e) => e.includes('Stage: Monetized')));

  // The same as the API says.
  const view = await lifecycle(lin);
  expect(view).toMatchObject({ stage: 'monetized', counters: { purchases: 1, gmv: LIN_PURCHASE, sent: expect.any(Number) } });
  const facts = page.locator('dl.facts').first();
  await expect(facts.textContent()).resolves.toContain('Monetized');
  await expectAccessible(page);
  expect(problems).toEqual([]);
});

test('segments: an ops manager scores from the page; the counts and the R×F grid are the API’s', async () => {
  const { page, problems } = await signedIn(manager, '/console/customers/segments');
  await page.getByRole('heading', { name: 'RFM segments', level: 1 }).waitFor();
  await page.getByText('No RFM scoring has finished yet.').waitFor();
  // The page shows "Scoring" from the start's answer until its poll of the run says finished. A run of twelve can
  // finish before the first poll, so the polls wait here until the status and the disabled button have been seen.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/segments/rfm-runs/*', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole('button', { name: 'Score now' }).click();
  await page.getByRole('status').filter({ hasText: 'Scoring' }).waitFor();
  await expect(page.getByRole('button', { name: 'Score now' }).isDisabled()).resolves.toBe(true);
  release();
  // Lin and the eleven others with events are scored; the 48 without events are not.
  await page.getByText(/Scored 12 customers as of/).waitFor({ timeout: 20_000 });

  const report = (await stack.api('GET', '/segments', { token: analyst.token })).body as {
    segments: { name: string; count: number }[];
    grid: { recency: number; frequency: number; count: number }[];
  };
  expect(report.segments.reduce((n, s) => n + s.count, 0)).toBe(12);
  expect(report.grid.reduce((n, c) => n + c.count, 0)).toBe(12);
  const counts = page.getByRole('region', { name: 'Customers per segment' }).locator('table.customers tbody tr');
  await expect(counts.count()).resolves.toBe(7);
  for (const [i, segment] of report.segments.entries()) {
    await expect(counts.nth(i).locator('td').first().textContent()).resolves.toBe(String(segment.count));
  }
  await page.getByRole('figure', { name: 'Customers per RFM segment' }).locator('canvas').first().waitFor();
  for (let r = 1; r <= 5; r++) {
    for (let f = 1; f <= 5; f++) {
      const expected = report.grid.find((c) => c.recency === r && c.frequency === f)?.count ?? 0;
      await expect(page.locator(`table.rf-grid td[data-r="${r}"][data-f="${f}"]`).textContent()).resolves.toBe(String(expected));
    }
  }
  await expect(page.locator('table.rf-grid tfoot td').last().textContent()).resolves.toBe('12');
  await expectAccessible(page);

  // A segment's name opens the search filtered to it.
  const top = report.segments.find((s) => s.count > 0)!;
  await counts.locator('th a').nth(report.segments.indexOf(top)).click();
  await page.getByRole('heading', { name: 'Find customers', level: 1 }).waitFor();
  expect(new URL(page.url()).searchParams.get('segment')).toBe(top.name);
  await page.getByText(`1–${top.count} of ${top.count}`).waitFor();
  expect(problems).toEqual([]);
});

test('KPI dashboard in 简体中文: DAU/WAU/MAU, signups, GMV and ARPU charts and the cohorts, with the API’s figures', async () => {
  const { page, problems } = await signedIn(analyst, '/console/customers/kpis');
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByRole('heading', { name: 'KPI 看板', level: 1 }).waitFor();
  await page.getByRole('navigation', { name: '客户' }).getByRole('link', { name: 'KPI 看板' }).waitFor();
  const gmvChart = page.getByRole('figure', { name: '每日 GMV' });
  await gmvChart.waitFor();
  await expect(gmvChart.locator('details tbody tr').count()).resolves.toBe(30);

  await page.getByLabel('时间范围').selectOption('7');
  await gmvChart.locator('details tbody tr').nth(7).waitFor({ state: 'detached' });
  await expect(gmvChart.locator('details tbody tr').count()).resolves.toBe(7);
  expect(new URL(page.url()).searchParams.get('days')).toBe('7');

  const today = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date());
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - 6 * DAY).toISOString().slice(0, 10);
  const kpis = (await stack.api('GET', `/kpis?from=${from}&to=${today}&tz=${encodeURIComponent(TZ)}`, { token: analyst.token })).body;
  const day = kpis.days.at(-1);
  expect(day.date).toBe(today);
  // The seed's purchases today: three customers and Lin.
  expect(day.gmv).toBeCloseTo(
    [...TODAY_PURCHASES, LIN_PURCHASE].reduce((a, b) => a + b, 0),
    2,
  );
  const money = (v: number) => new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);

  await gmvChart.getByText('查看数据').click();
  await expect(gmvChart.locator('details tbody tr').last().locator('td').textContent()).resolves.toBe(money(day.gmv));
  const active = page.getByRole('figure', { name: '活跃客户：日活、周活、月活' });
  await active.getByText('查看数据').click();
  await expect(active.locator('details tbody tr').last().locator('td').allTextContents()).resolves.toEqual([
    String(day.dau),
    String(day.wau),
    String(day.mau),
  ]);
  const arpu = page.getByRole('figure', { name: '每日 ARPU（GMV / 日活）' });
  await expect(arpu.locator('details tbody tr').last().locator('td').textContent()).resolves.toBe(money(day.arpu));
  const signups = page.getByRole('figure', { name: '每日注册数' });
  await expect(signups.locator('details tbody tr').last().locator('td').textContent()).resolves.toBe(String(day.signups));
  await expect(page.locator('.dashboard-totals').textContent()).resolves.toContain(money(kpis.totals.gmv));
  expect(await page.locator('figure canvas').count()).toBeGreaterThanOrEqual(4);

  // The cohort table: one row per signup day in the range, today's with its size.
  const cohorts = page.getByRole('region', { name: '注册同期群留存' }).locator('tbody tr');
  await expect(cohorts.count()).resolves.toBe(kpis.days.filter((d: { signups: number }) => d.signups > 0).length);
  await expect(cohorts.first().locator('td').first().textContent()).resolves.toBe(String(day.signups));
  await expectAccessible(page);
  expect(problems).toEqual([]);
});
