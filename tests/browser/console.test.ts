// The web console in a real Chromium (Debian's, through playwright-core) against the real stack: the API serving the
// built console, the Temporal dev server, PostgreSQL, the mail catcher. Needs `npm run build:console` (npm install
// runs it) and /usr/bin/chromium (.ci/run installs it; CHROMIUM_PATH to use another).
import express from 'express';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consoleFiles } from '../../api/console.ts';
import { expectAccessible, startStackAndBrowser, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let browser: TestBrowser;
let author: TestOperator;
let rita: TestOperator;
let rob: TestOperator;

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  author = await stack.operator(['ops_manager'], 'Mia');
  rita = await stack.operator(['reviewer'], 'Rita');
  rob = await stack.operator(['reviewer'], 'Rob');
  expect(
    (await stack.api('POST', '/channels', { body: { name: 'blog', url: stack.hooks.url('/blog'), secret: 'channel-secret-0123456789' } }))
      .status,
  ).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const openPage = () => browser.openPage();

async function submitContent(title: string): Promise<{ contentId: string; taskId: string }> {
  const res = await stack.api('POST', '/content', {
    token: author.token,
    body: { title, body: 'Everything is 20% off this weekend.', tier: 'A', channels: ['blog'] },
  });
  expect(res.status).toBe(202);
  const contentId = (res.body as { id: string }).id;
  const taskId = await eventually(async () => {
    const tasks = await stack.api('GET', `/tasks?entityId=${contentId}&status=open`, { token: rita.token });
    return (tasks.body.items as { id: string }[])[0]?.id;
  }, `the review task of ${title}`);
  return { contentId, taskId };
}

test('the API serves the console at /, /sign-in and /console/..., assets under /assets/, and its own routes as before', async () => {
  for (const page of ['/', '/sign-in?token=x', '/console/inbox', '/console/a/b']) {
    const res = await fetch(`${stack.baseUrl}${page}`);
    expect([page, res.status, res.headers.get('content-type')]).toEqual([page, 200, 'text/html; charset=utf-8']);
    expect(await res.text()).toContain('<div id="root"></div>');
    // Vite's build has no inline script, so helmet's CSP (script-src 'self') stays as it is.
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  }
  expect((await fetch(`${stack.baseUrl}/assets/none.js`)).status).toBe(404);
  expect((await fetch(`${stack.baseUrl}/console/inbox`, { method: 'POST' })).status).toBe(404);
  expect((await fetch(`${stack.baseUrl}/health`)).status).toBe(200);
  expect((await stack.api('GET', '/tasks')).status).toBe(200);
  expect((await stack.api('GET', '/tasks', { token: null })).status).toBe(401);
});

test('without a build the API still runs and / says how to build the console', async () => {
  const app = express().use(consoleFiles(mkdtempSync(path.join(tmpdir(), 'no-console-'))));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:console');
  } finally {
    server.close();
  }
});

test('the console loads at /, and the language chosen is remembered across a reload', async () => {
  const { page, problems } = await openPage();
  await page.goto(`${stack.baseUrl}/`);
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/sign-in');
  expect(await page.getAttribute('html', 'lang')).toBe('en');

  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByRole('heading', { name: '登录', level: 1 }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: '登录', level: 1 }).waitFor();
  expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
  await expectAccessible(page);
  expect(problems).toEqual([]);
});

test('sign-in: a refused token shows the reason; the emailed link signs in once its button is pressed', async () => {
  const { page, problems } = await openPage();
  await page.goto(`${stack.baseUrl}/sign-in`);
  await page.getByLabel('API token').fill('opf_not_a_token');
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toContain('the API token is not valid');
  await expectAccessible(page);

  await page.getByLabel('Email').fill(rita.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('status').filter({ hasText: rita.email }).waitFor();
  const mail = await stack.mail.waitFor((m) => m.to.includes(rita.email) && m.subject.includes('Sign in'));
  const token = /\/sign-in\?token=([\w-]+)/.exec(mail.text)![1]!;

  await page.goto(`${stack.baseUrl}/sign-in?token=${token}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
  await page.getByText('Signed in as Rita (Reviewer)').waitFor();

  // The link worked once: a second use is refused with the API's reason.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await page.goto(`${stack.baseUrl}/sign-in?token=${token}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toContain('already used');
  expect(problems).toEqual([]);
});

test('inbox: signed in with a pasted token, a reviewer sees the open task, keeps the comment through a refusal, and decides', async () => {
  const taken = await submitContent('Taken by Rob');
  const mine = await submitContent('Spring launch');

  const { page, problems } = await openPage();
  await page.goto(`${stack.baseUrl}/`);
  await page.getByLabel('API token').fill(rita.token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/console/inbox');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).waitFor();
  const row = page.getByRole('row').filter({ hasText: 'Spring launch' });
  await row.waitFor();
  // Due time in the operator's timezone (Asia/Shanghai here), with the countdown.
  await expect(row.locator('time').getAttribute('datetime')).resolves.toBeTruthy();

  // Rob decides the first task while Rita has it open: her decision is refused with the reason, her comment stays.
  await page.getByRole('link', { name: 'Taken by Rob' }).click();
  await page.getByRole('heading', { name: 'Taken by Rob', level: 2 }).waitFor();
  expect((await stack.api('POST', `/tasks/${taken.taskId}/complete`, { token: rob.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  await page.getByLabel('Comment').fill('Checked the prices twice');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toContain('already completed');
  expect(await page.getByLabel('Comment').inputValue()).toBe('Checked the prices twice');

  await page.getByRole('link', { name: 'Spring launch' }).click();
  await page.getByRole('heading', { name: 'Spring launch', level: 2 }).waitFor();
  await expectAccessible(page);
  await page.getByLabel('Comment').fill('Good to go');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Decided: Approve' }).waitFor();

  const decided = await stack.api('GET', `/tasks/${mine.taskId}`, { token: rita.token });
  expect(decided.body).toMatchObject({ status: 'completed', decision: 'approve', decidedBy: rita.id, comment: 'Good to go' });
  // The open list no longer shows it.
  await page.getByRole('row').filter({ hasText: 'Spring launch' }).waitFor({ state: 'detached' });
  expect(problems).toEqual([]);
});

test('a console link opened without a session signs in first and then opens the page it named', async () => {
  const { page, problems } = await openPage();
  await page.goto(`${stack.baseUrl}/console/content?tier=S`);
  await page.waitForURL((url) => url.pathname === '/sign-in');
  expect(new URL(page.url()).searchParams.get('next')).toBe('/console/content?tier=S');
  await page.getByLabel('API token').fill(author.token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.waitForURL((url) => url.pathname === '/console/content' && url.search === '?tier=S');
  // A reviewer's navigation offers what their roles may read; an ops manager's offers content and campaigns.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Content' }).waitFor();
  await expect(nav.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
  expect(problems).toEqual([]);
});

test('signing in by an emailed link from a page that asked for a session returns to that page', async () => {
  const { page, problems } = await openPage();
  await page.goto(`${stack.baseUrl}/console/content?tier=A`);
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await page.getByLabel('Email').fill(author.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('status').filter({ hasText: author.email }).waitFor();
  const mail = await stack.mail.waitFor((m) => m.to.includes(author.email) && m.subject.includes('Sign in'));
  const link = /(http:\/\/\S+\/sign-in\?token=[\w-]+&next=\S+)/.exec(mail.text)![1]!;
  expect(new URL(link).searchParams.get('next')).toBe('/console/content?tier=A');
  await page.goto(link.replace('http://opsflow.test', stack.baseUrl));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => url.pathname === '/console/content' && url.search === '?tier=A');
  // A next that is not a console page is refused, not followed.
  expect(
    (await stack.api('POST', '/auth/email-link', { token: null, body: { email: author.email, next: 'https://evil.example/' } })).status,
  ).toBe(400);
  expect(problems).toEqual([]);
});

test('a console address that names no page says so, with the way back to the inbox', async () => {
  const { page, problems } = await openPage();
  await signInWithToken(page, stack.baseUrl, rita.token, '/console/no-such-page');
  await page.getByRole('heading', { name: 'No such page', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/console/no-such-page');
  await page.getByRole('link', { name: 'Go to the inbox' }).click();
  await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
  expect(problems).toEqual([]);
});
