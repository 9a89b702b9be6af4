// Every main page of the console, as an admin (who may read them all), in 简体中文 and in English: each renders its
// heading with no script error, no untranslated message key and no serious or critical axe violation. With
// SCREENSHOTS_DIR set it also saves each page as a PNG there (the README's screenshots: `npm run screenshots`).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expectAccessible, startStackAndBrowser, signInByApi, type TestBrowser } from '../support/browser.ts';
import type { Stack } from '../support/stack.ts';

let stack: Stack;
let browser: TestBrowser;
const SHOTS = process.env.SCREENSHOTS_DIR;

/** The pages a new operator is shown first in each area: [path, file name]. */
const PAGES: [string, string][] = [
  ['/console/inbox', 'inbox'],
  ['/console/content', 'content'],
  ['/console/campaigns', 'campaigns'],
  ['/console/customers', 'customers'],
  ['/console/metrics', 'metrics'],
  ['/console/incidents', 'incidents'],
  ['/console/partners', 'partners'],
  ['/console/templates', 'templates'],
  ['/console/admin', 'admin'],
];

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  await seed();
});

/** A little of everything, so each page shows what it is for: content in review, customers with a week of events, a
 * campaign waiting for approval, a metric with a rule, partners. */
async function seed(): Promise<void> {
  const call = async (method: string, path: string, token: string, body: unknown, status: number) => {
    const res = await stack.api(method, path, { token, body });
    expect([path, res.status]).toEqual([path, status]);
    return res.body;
  };
  const [mia, ingest] = await Promise.all([
    stack.operator(['ops_manager', 'reviewer'], 'Mia Chen'),
    stack.operator(['ingest'], 'collector'),
  ]);
  const admin = stack.admin.token;
  await call('POST', '/channels', admin, { name: 'blog', url: stack.hooks.url('/blog'), secret: 'channel-secret-0123456789' }, 201);
  for (const [title, tier] of [
    ['春季上新：全场八折', 'A'],
    ['Spring launch: 20% off everything', 'A'],
    ['双十一预热活动规则', 'S'],
  ] as const) {
    await call(
      'POST',
      '/content',
      mia.token,
      { title, body: `${title}. Everything is 20% off this weekend.`, tier, channels: ['blog'] },
      202,
    );
  }
  const names = ['王芳', '李雷', '韩梅梅', 'Ada Lovelace', 'Grace Hopper', '张伟', 'Alan Turing', '刘洋', 'Linus Torvalds', '陈静'];
  const customers = names.map((name, i) => ({
    externalId: `tour-${i}`,
    email: `tour-${i}@example.com`,
    name,
    tags: ['tour'],
    marketingConsent: true,
    locale: /[a-z]/i.test(name) ? 'en' : 'zh-CN',
    timezone: /[a-z]/i.test(name) ? 'UTC' : 'Asia/Shanghai',
  }));
  await call('POST', '/customers', ingest.token, { customers }, 200);
  const day = 86_400_000;
  const events = customers.flatMap((c, i) => [
    {
      externalId: c.externalId,
      type: 'signup',
      at: new Date(Date.now() - (7 - (i % 7)) * day).toISOString(),
      idempotencyKey: `${c.externalId}-signup`,
    },
    {
      externalId: c.externalId,
      type: 'login',
      at: new Date(Date.now() - (i % 3) * day).toISOString(),
      idempotencyKey: `${c.externalId}-login`,
    },
    ...(i % 2
      ? [
          {
            externalId: c.externalId,
            type: 'purchase',
            amount: 99 + i * 20,
            at: new Date(Date.now() - (i % 4) * day).toISOString(),
            idempotencyKey: `${c.externalId}-buy`,
          },
        ]
      : []),
  ]);
  await call('POST', '/events', ingest.token, { events }, 202);
  await call(
    'POST',
    '/campaigns',
    mia.token,
    {
      name: "双十一预热 Singles' Day preview",
      budget: { total: 500, currency: 'CNY', costPerSend: 0.05 },
      audience: { filters: { tags: ['tour'] } },
      message: { subject: '{{firstName}}，双十一预热开始了', body: '预热期间下单，全场满300减50。\n\n名额有限，先到先得。' },
      sendRate: 50,
      schedule: { startAt: new Date(Date.now() + day).toISOString(), endAt: new Date(Date.now() + 10 * day).toISOString() },
    },
    202,
  );
  const points = Array.from({ length: 60 }, (_, k) => ({
    name: 'checkout.latency_ms',
    at: new Date(Date.now() - k * 60_000 - 1000).toISOString(),
    value: k < 3 ? 900 : 180 + (k % 7) * 10,
  }));
  await call('POST', '/metrics', ingest.token, { points }, 200);
  await call(
    'POST',
    '/rules',
    mia.token,
    {
      name: 'Checkout latency',
      metric: 'checkout.latency_ms',
      aggregation: 'max',
      window: '5m',
      comparison: 'above',
      threshold: 600,
      severity: 'P2',
      every: '1m',
      action: { type: 'open_incident', service: 'checkout' },
    },
    201,
  );
  for (const [name, followers] of [
    ['林小厨 Lin Cooks', 120_000],
    ['Daily Tech Picks', 45_000],
    ['旅行的阿杰', 300_000],
  ] as const) {
    await call(
      'POST',
      '/partners',
      mia.token,
      {
        name,
        type: 'kol',
        contactEmail: `${followers}@partners.example.com`,
        figures: { followers, engagementRate: 0.04, audienceMatch: 0.6, pastConversionRate: 0.02, price: followers / 100 },
      },
      201,
    );
  }
}

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Visible text that looks like a message key (`area.some.key`) rather than words: a translation left out. */
async function untranslated(page: Page): Promise<string[]> {
  const text = await page.locator('main').innerText();
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[a-z]+(\.[a-zA-Z]+)+$/.test(line));
}

for (const [language, locale] of [
  ['zh-CN', 'zh-CN'],
  ['en', 'en-US'],
] as const) {
  test(`every main page in ${language}: a heading, no script error, no untranslated key, no serious axe violation`, async () => {
    const { page, problems } = await browser.openPage({ locale });
    await page.setViewportSize({ width: 1280, height: 860 });
    await signInByApi(page, stack.baseUrl, stack.admin.token);
    for (const [pathname, name] of PAGES) {
      await page.goto(`${stack.baseUrl}${pathname}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.getAttribute('html', 'lang')).toBe(language);
      expect([pathname, await untranslated(page)]).toEqual([pathname, []]);
      await expectAccessible(page);
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.${language}.jpg`), type: 'jpeg', quality: 80, fullPage: false });
    }
    expect(problems).toEqual([]);
  }, 120_000);
}
