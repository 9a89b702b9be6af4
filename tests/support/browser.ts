// The console in a real Chromium (Debian's, through playwright-core): launch, a fresh profile per page that records
// script errors, an axe-core scan, and signing in with an API token. Needs the console's build (npm run
// build:console; OPSFLOW_CONSOLE_DIR for another build) and /usr/bin/chromium (.ci/run installs it; CHROMIUM_PATH).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_DIR } from '../../api/console.ts';
import { startStack, type Stack } from './stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface TestBrowser {
  /** A fresh profile (its own cookies and localStorage); `problems` collects script errors and CSP reports. */
  openPage(opts?: { locale?: string; timezoneId?: string }): Promise<{ page: Page; problems: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) throw new Error(`${CONSOLE_DIR} has no build: run npm run build:console`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const contexts: BrowserContext[] = [];
  return {
    async openPage({ locale = 'en-US', timezoneId = 'Asia/Shanghai' } = {}) {
      const context = await browser.newContext({ locale, timezoneId });
      contexts.push(context);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        // The API's refusals (400/401/403/409/422) are answers the page shows, not script errors.
        if (msg.type() === 'error' && !/status of 4(00|01|03|09|22)/.test(msg.text())) problems.push(`console: ${msg.text()}`);
      });
      return { page, problems };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** A browser test file's stack and browser, started together; when one fails, the other is stopped before the refusal. */
export async function startStackAndBrowser(): Promise<[Stack, TestBrowser]> {
  const [stack, browser] = await Promise.allSettled([startStack(), launchBrowser()]);
  if (stack.status === 'fulfilled' && browser.status === 'fulfilled') return [stack.value, browser.value];
  if (stack.status === 'fulfilled') await stack.value.close().catch(() => undefined);
  if (browser.status === 'fulfilled') await browser.value.close().catch(() => undefined);
  throw stack.status === 'rejected' ? stack.reason : (browser as PromiseRejectedResult).reason;
}

/** axe-core over the page as it is: no serious or critical violations. */
export async function expectAccessible(page: Page): Promise<void> {
  // Through the DevTools protocol, which the page's CSP (rightly) does not let a <script> tag do.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact?: string | null; nodes: { target: unknown }[] }[] }> };
      }
    ).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact ?? null, targets: v.nodes.map((n) => n.target) }));
  });
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
}

/** Signs in on /sign-in with a pasted API token and waits for the inbox (or for `next`, when given). */
export async function signInWithToken(page: Page, baseUrl: string, token: string, next?: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/console/'));
}

/** Opens a session for the page's profile through the API (whatever the page's language), then opens `next`. */
export async function signInByApi(page: Page, baseUrl: string, token: string, next = '/console/inbox'): Promise<void> {
  const res = await page.request.post(`${baseUrl}/auth/sessions`, { data: { apiToken: token } });
  if (!res.ok()) throw new Error(`sign-in refused: ${res.status()} ${await res.text()}`);
  await page.goto(`${baseUrl}${next}`);
}
