// The inbox in a real Chromium against the real stack: each task kind shows its facts (content with its check findings
// marked and the diff after a revision; a campaign's budget, audience, cost and message preview), a task decided with
// the keyboard alone, the task-open email's link opening the task, the opt-out setting, and axe with a task open.
import type { Page } from 'playwright-core';
import { expectAccessible, startStackAndBrowser, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let browser: TestBrowser;
let author: TestOperator;
let rita: TestOperator;
let rob: TestOperator;
let olga: TestOperator;
let ingest: TestOperator;

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  [author, rita, rob, olga, ingest] = await Promise.all([
    stack.operator(['ops_manager'], 'Mia'),
    stack.operator(['reviewer'], 'Rita'),
    stack.operator(['reviewer'], 'Rob'),
    stack.operator(['ops_manager'], 'Olga'),
    stack.operator(['ingest'], 'Ingest'),
  ]);
  expect(
    (await stack.api('POST', '/channels', { body: { name: 'blog', url: stack.hooks.url('/blog'), secret: 'channel-secret-0123456789' } }))
      .status,
  ).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const openTaskOf = (entityId: string, token = rita.token) =>
  eventually(async () => {
    const res = await stack.api('GET', `/tasks?entityId=${entityId}&status=active`, { token });
    return (res.body.items as { id: string; payload: { round?: number } }[])[0];
  }, `the open task of ${entityId}`);

/** Presses Tab (Shift+Tab when `back`) until the focused element is the one named; fails after 80 presses. */
async function tabTo(page: Page, name: string | RegExp, back = false): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const el = page.locator(':focus');
    if ((await el.count()) !== 1) continue;
    const id = await el.getAttribute('id');
    const label = id
      ? await page
          .locator(`label[for="${id}"]`)
          .textContent()
          .catch(() => null)
      : null;
    const focused = (label ?? (await el.getAttribute('aria-label')) ?? (await el.textContent()) ?? '').trim();
    if (typeof name === 'string' ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${String(name)}`);
}

test("content review: the flagged link is marked in the text, the revision's diff shows, and the task is decided with the keyboard alone", async () => {
  const first = 'Autumn deals are here. Read more at https://elsewhere.test/deal before Friday.';
  const submitted = await stack.api('POST', '/content', {
    token: author.token,
    body: { title: 'Autumn deals', body: first, tier: 'A', channels: ['blog'] },
  });
  expect(submitted.status).toBe(202);
  const contentId = submitted.body.id as string;
  // Round 1: Rob asks for changes; the author sends revision 2.
  const round1 = await openTaskOf(contentId);
  expect(
    (
      await stack.api('POST', `/tasks/${round1.id}/complete`, {
        token: rob.token,
        body: { decision: 'request_changes', comment: 'Say which days' },
      })
    ).status,
  ).toBe(200);
  const second = 'Autumn deals are here all weekend. Read more at https://elsewhere.test/deal before Sunday.';
  await eventually(
    async () =>
      (await stack.api('POST', `/content/${contentId}/revisions`, { token: author.token, body: { title: 'Autumn deals', body: second } }))
        .status === 200,
    'the revision',
  );
  const task = await eventually(async () => {
    const t = await openTaskOf(contentId);
    return t && t.id !== round1.id ? t : undefined;
  }, 'the round 2 task');

  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, rita.token);
  await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Autumn deals' }).waitFor();

  // From here on the keyboard alone: Tab to the task, Enter opens it (the focus moves to its heading).
  await tabTo(page, /Autumn deals.*revision 2/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Autumn deals.*revision 2/, level: 2 }).waitFor();
  await page.locator('h2#task-title:focus').waitFor();
  expect(new URL(page.url()).pathname).toBe(`/console/inbox/${task.id}`);

  // The finding is marked in the text, named in the list; the diff shows the words changed since revision 1.
  const mark = page.locator('.task-view mark');
  await mark.first().waitFor();
  expect(await mark.allTextContents()).toEqual(['https://elsewhere.test/deal']);
  expect(await mark.first().getAttribute('title')).toBe('links to elsewhere.test, which is not on the allow-list');
  await page.getByText('Flagged: links to elsewhere.test, which is not on the allow-list').waitFor();
  await page.getByRole('heading', { name: 'Changes since revision 1', level: 3 }).waitFor();
  const words = async (tag: string) => (await page.locator(`.revision-diff ${tag}`).allTextContents()).join('|');
  expect(await words('ins')).toMatch(/all weekend.*\|.*Sunday/);
  expect(await words('del')).toMatch(/^\s*Friday\s*$/);
  await page.getByText('3 words added · 1 word removed').waitFor();
  await expectAccessible(page);

  await tabTo(page, 'Comment');
  await page.keyboard.type('Days are clear now');
  await tabTo(page, 'Approve');
  await page.keyboard.press('Space');
  await page.getByRole('status').filter({ hasText: 'Decided: Approve' }).waitFor();
  const decided = await stack.api('GET', `/tasks/${task.id}`, { token: rita.token });
  expect(decided.body).toMatchObject({ status: 'completed', decision: 'approve', decidedBy: rita.id, comment: 'Days are clear now' });
  expect(problems).toEqual([]);
});

test("campaign approval opened from the task-open email's link: budget, audience, cost and the message for a sample customer", async () => {
  const tag = `inbox${Date.now()}`;
  const people = Array.from({ length: 3 }, (_, i) => ({
    externalId: `${tag}-${i}`,
    email: `${tag}-${i}@example.com`,
    name: `Wang${i} Fang`,
    tags: [tag],
    timezone: 'UTC',
    marketingConsent: true,
  }));
  expect((await stack.api('POST', '/customers', { token: ingest.token, body: { customers: people } })).status).toBe(200);
  const created = await stack.api('POST', '/campaigns', {
    token: author.token,
    body: {
      name: `Lantern festival ${tag}`,
      budget: { total: 100, currency: 'USD', costPerSend: 0.5 },
      audience: { filters: { tags: [tag] } },
      message: { subject: 'Hello {{firstName|friend}}', body: 'Lanterns for {{email}}.' },
      schedule: { startAt: new Date(Date.now() + 86_400_000).toISOString(), endAt: new Date(Date.now() + 2 * 86_400_000).toISOString() },
    },
  });
  expect(created.status).toBe(202);
  const task = await openTaskOf(created.body.id, olga.token);
  const mail = await stack.mail.waitFor((m) => m.to.includes(olga.email) && m.text.includes(task.id));
  const link = /http:\/\/opsflow\.test(\/console\/inbox\/[\w-]+)/.exec(mail.text)![1]!;
  expect(link).toBe(`/console/inbox/${task.id}`);

  const { page, problems } = await browser.openPage();
  // The link opened without a session signs in first and then lands on the task.
  await page.goto(`${stack.baseUrl}${link}`);
  await page.getByLabel('API token').fill(olga.token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByRole('heading', { name: /^Approve the budget of campaign "Lantern festival/, level: 2 }).waitFor();
  expect(new URL(page.url()).pathname).toBe(link);
  const fact = (label: string) =>
    page
      .locator('.task-view .facts div')
      .filter({ has: page.getByText(label, { exact: true }) })
      .locator('dd');
  await expect(fact('Budget').textContent()).resolves.toBe('$100.00');
  await expect(fact('Cost per send').textContent()).resolves.toBe('$0.50');
  await eventually(async () => (await fact('Audience now').textContent()) === '3 customers', 'the audience size');
  await expect(fact('Cost if all are sent').textContent()).resolves.toBe('$1.50');
  await page.getByText('For the sample customer Wang0 Fang').waitFor();
  await page.getByText('Subject: Hello Wang0').waitFor();
  await expectAccessible(page);

  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Decided: Approve' }).waitFor();
  expect((await stack.api('GET', `/tasks/${task.id}`, { token: olga.token })).body).toMatchObject({
    status: 'completed',
    decidedBy: olga.id,
  });
  expect(problems).toEqual([]);
});

test('the opt-out setting: unticked, the operator is not emailed when a task opens; others still are', async () => {
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, rob.token);
  const setting = page.getByLabel('Email me when a task opens for my roles or is assigned to me');
  await setting.waitFor();
  await expect(setting.isChecked()).resolves.toBe(true);
  await setting.uncheck();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  expect((await stack.api('GET', '/operators/me/preferences', { token: rob.token })).body).toEqual({ taskEmails: false });
  await page.reload();
  await setting.waitFor();
  await expect(setting.isChecked()).resolves.toBe(false);
  await expectAccessible(page);

  const submitted = await stack.api('POST', '/content', {
    token: author.token,
    body: { title: 'Quiet for Rob', body: 'Everything is 20% off this weekend.', tier: 'A', channels: ['blog'] },
  });
  const task = await openTaskOf(submitted.body.id);
  await stack.mail.waitFor((m) => m.to.includes(rita.email) && m.text.includes(task.id));
  await new Promise((r) => setTimeout(r, 500));
  expect(stack.mail.messages().filter((m) => m.to.includes(rob.email) && m.text.includes(task.id))).toEqual([]);
  expect(problems).toEqual([]);
});

test('a contract approval shows its terms, value and tier table; the postmortem task is its form, which closes the postmortem', async () => {
  const lee = await stack.operator(['legal', 'oncall'], 'Lee');
  const partner = await stack.api('POST', '/partners', {
    token: author.token,
    body: {
      name: 'Lin Studio',
      type: 'kol',
      contactEmail: `lin-${Date.now()}@partners.example.com`,
      figures: { followers: 120_000, engagementRate: 0.05, audienceMatch: 0.7, pastConversionRate: 0.02, price: 800 },
    },
  });
  expect(partner.status).toBe(201);
  const start = new Date(Date.now() + 86_400_000).toISOString();
  const contract = await stack.api('POST', '/contracts', {
    token: author.token,
    body: {
      partnerId: partner.body.id,
      terms: {
        scope: 'Four posts a month about the spring range',
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
        start,
        end: new Date(Date.parse(start) + 90 * 86_400_000).toISOString(),
        cadence: 'monthly',
      },
    },
  });
  expect(contract.status).toBe(202);
  const approval = await openTaskOf(contract.body.id, lee.token);

  const opened = await stack.api('POST', '/incidents', {
    token: lee.token,
    body: { title: 'Checkout errors', severity: 'P2', service: 'checkout', ackSla: null },
  });
  expect(opened.status).toBe(202);
  const incidentId = opened.body.id as string;
  await eventually(
    async () => (await stack.api('POST', `/incidents/${incidentId}/ack`, { token: lee.token, body: {} })).status === 200,
    'the ack',
  );
  expect(
    (await stack.api('POST', `/incidents/${incidentId}/resolve`, { token: lee.token, body: { resolution: 'rolled back the deploy' } }))
      .status,
  ).toBe(200);
  const postmortem = await eventually(
    async () =>
      (await stack.api('GET', `/tasks?entityId=${incidentId}&kind=postmortem&status=active`, { token: lee.token })).body.items[0] as
        { id: string } | undefined,
    'the postmortem task',
  );

  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, lee.token, `/console/inbox/${approval.id}`);
  await page.getByRole('heading', { name: /Approve the contract with Lin Studio/, level: 2 }).waitFor();
  const table = page.getByRole('table', { name: 'Revenue share tiers' });
  await table.waitFor();
  expect(await table.getByRole('row').allInnerTexts()).toEqual([
    expect.stringMatching(/GMV from\s+GMV up to\s+Rate/),
    expect.stringMatching(/CN¥0\.00\s+CN¥100,000\.00\s+5%/),
    expect.stringMatching(/CN¥100,000\.00\s+and above\s+8%/),
  ]);
  await page.getByText('Four posts a month about the spring range').waitFor();
  const value = (await stack.api('GET', `/contracts/${contract.body.id}`, { token: lee.token })).body.value as number;
  await page
    .locator('.facts div')
    .filter({ hasText: 'Value' })
    .getByText(`CN¥${value.toLocaleString('en-US', { minimumFractionDigits: 2 })}`)
    .waitFor();
  await page.getByText('each tier pays only on the part inside it').waitFor();
  await expectAccessible(page);

  // The postmortem: the incident's figures and its form; sent, the incident's postmortem is done and the task closed.
  await page.goto(`${stack.baseUrl}/console/inbox/${postmortem.id}`);
  await page.getByRole('heading', { name: 'Postmortem: Checkout errors', level: 2 }).waitFor();
  await page.getByText('rolled back the deploy').waitFor();
  await page.getByLabel('Summary').fill('A deploy broke checkout for 9 minutes');
  await page.getByLabel('Root cause').fill('A migration ran after the code that needed it');
  await page.getByLabel('Action items (one per line)').fill('gate deploys on migrations\nalert on checkout 5xx');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Submit the postmortem' }).click();
  await page.getByRole('status').filter({ hasText: 'The postmortem is submitted.' }).waitFor();
  const incident = (await stack.api('GET', `/incidents/${incidentId}`, { token: lee.token })).body;
  expect(incident.postmortem).toMatchObject({
    status: 'done',
    summary: 'A deploy broke checkout for 9 minutes',
    actionItems: ['gate deploys on migrations', 'alert on checkout 5xx'],
    completedBy: lee.id,
  });
  await eventually(
    async () => (await stack.api('GET', `/tasks/${postmortem.id}`, { token: lee.token })).body.status === 'completed',
    'the task closed',
  );
  expect(problems).toEqual([]);
});

test("a message template review shows the version's changes against the live one", async () => {
  const source = (tip: string) => ({
    senderName: 'Opsflow Shop',
    subject: 'Three tips for {{ customer.firstName }}',
    html: `<p>Hello {{ customer.firstName }}, ${tip}</p>`,
    note: 'friendlier tip',
  });
  const first = await stack.api('POST', '/templates/tips/en/versions', { token: author.token, body: source('save your cart for later.') });
  expect(first.status).toBe(201);
  const firstTask = await openTaskOf(first.body.id as string, rob.token);
  expect((await stack.api('POST', `/tasks/${firstTask.id}/complete`, { token: rob.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  await eventually(
    async () => (await stack.api('GET', `/template-versions/${first.body.id}`, { token: rob.token })).body.live === true,
    'the first version live',
  );
  const second = await stack.api('POST', '/templates/tips/en/versions', {
    token: author.token,
    body: source('keep your cart for tomorrow.'),
  });
  expect(second.status).toBe(201);
  const task = await openTaskOf(second.body.id as string);

  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, rita.token, `/console/inbox/${task.id}`);
  // The templates area's review view: the changes part by part against the live version, the note, the rendered mail.
  await page.getByRole('heading', { name: `Changes against the live version (version ${first.body.version})`, level: 3 }).waitFor();
  expect(await page.locator('.templates-diff ins').allTextContents()).toEqual([expect.stringContaining('keep your cart for tomorrow.')]);
  expect(await page.locator('.templates-diff del').allTextContents()).toEqual([expect.stringContaining('save your cart for later.')]);
  await page.getByText('friendlier tip').waitFor();
  await page.locator('.facts div').filter({ hasText: 'Written by' }).getByText('Mia').waitFor();
  await expect(page.frameLocator('iframe').locator('body').textContent()).resolves.toContain('keep your cart for tomorrow.');
  expect(problems).toEqual([]);
});

test('an admin assigns an open task to a reviewer from the task; the reviewer is emailed', async () => {
  const submitted = await stack.api('POST', '/content', {
    token: author.token,
    body: { title: 'Hand it to Rita', body: 'Everything is 20% off this weekend.', tier: 'A', channels: ['blog'] },
  });
  const task = await openTaskOf(submitted.body.id as string);
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, stack.admin.token, `/console/inbox/${task.id}`);
  await page.getByRole('heading', { name: /Hand it to Rita/, level: 2 }).waitFor();
  // Rita (Rob turned his task emails off above).
  await page.getByLabel('Assign to').selectOption({ label: 'Rita' });
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Assigned; they are emailed.' }).waitFor();
  expect((await stack.api('GET', `/tasks/${task.id}`, { token: rita.token })).body.assigneeId).toBe(rita.id);
  await stack.mail.waitFor(
    (m) => m.to.includes(rita.email) && m.subject.startsWith('[opsflow] Assigned to you') && m.text.includes(task.id),
  );
  await expectAccessible(page);
  expect(problems).toEqual([]);
});
