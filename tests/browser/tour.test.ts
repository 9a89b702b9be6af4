// Every main page of the console, as an admin (who may read them all), in 简体中文 and in English: each renders its
// heading with no script error, no untranslated message key and no serious or critical axe violation. With
// SCREENSHOTS_DIR set it also saves each page as a PNG there (the README's screenshots: `npm run screenshots`).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expectAccessible, launchBrowser, signInByApi, type TestBrowser } from '../support/browser.ts';
import { startStack, type Stack } from '../support/stack.ts';

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
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Visible text that looks like a message key (`area.some.key`) rather than words: a translation left out. */
async function untranslated(page: Page): Promise<string[]> {
  const text = await page.locator('main').innerText();
  return text.split('\n').map((line) => line.trim()).filter((line) => /^[a-z]+(\.[a-zA-Z]+)+$/.test(line));
}

for (const [language, locale] of [['zh-CN', 'zh-CN'], ['en', 'en-US']] as const) {
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
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.${language}.png`), fullPage: false });
    }
    expect(problems).toEqual([]);
  }, 120_000);
}
