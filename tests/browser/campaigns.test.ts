// Flow 2 of the console in a real Chromium against the real stack: an ops manager creates a campaign in the form (a
// refusal first, its reason beside the field and the input kept), a second ops manager approves it in the inbox, the
// detail's live counts reach the audience while the SMTP sink receives the sends, pause and resume work from the
// buttons, and ending it shows the retrospective. Axe on the list, the form and the detail; the list in 简体中文.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { expectAccessible, startStackAndBrowser, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let browser: TestBrowser;
let mia: TestOperator;
let pete: TestOperator;
let analyst: TestOperator;
const tag = `flow-${randomUUID().slice(0, 8)}`;
const AUDIENCE = 8;
const emails = Array.from({ length: AUDIENCE }, (_, i) => `${tag}-${i}@example.com`);

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  mia = await stack.operator(['ops_manager'], 'Mia');
  pete = await stack.operator(['ops_manager'], 'Pete');
  analyst = await stack.operator(['analyst'], 'Ana');
  const ingest = await stack.operator(['ingest'], 'backend');
  // No quiet hours and no cap: the time of day of a run must not matter.
  const { version: _version, ...policy } = (await stack.api('GET', '/policies/messaging')).body;
  expect((await stack.api('PUT', '/policies/messaging', { body: { ...policy, frequencyCap: null, quietHours: null } })).status).toBe(200);
  const customers = emails.map((email, i) => ({
    externalId: `${tag}-${i}`,
    email,
    name: `Name${i} Last`,
    tags: [tag],
    timezone: 'UTC',
    marketingConsent: true,
  }));
  expect((await stack.api('POST', '/customers', { token: ingest.token, body: { customers } })).status).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A datetime-local value in Asia/Shanghai (the test browser's timezone, UTC+8 all year). */
const shanghai = (offsetMs: number) => new Date(Date.now() + offsetMs + 8 * 3_600_000).toISOString().slice(0, 16);
const received = () => stack.mail.messages().filter((m) => m.to.some((to) => emails.includes(to)));
const sentFigure = (page: Page) => page.locator('[data-figure="sent"] .figure-value');

test('flow 2: create in the form, approve in the inbox, counts reach the audience, pause and resume, the retrospective', async () => {
  const name = `Spring sale ${tag}`;
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, mia.token, '/console/campaigns');
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  await page.getByText('No campaigns yet.').waitFor();
  await expectAccessible(page);

  await page.getByRole('link', { name: 'New campaign' }).click();
  await page.getByRole('heading', { name: 'New campaign', level: 1 }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Tags', { exact: true }).fill(tag);
  // The live audience count, from the API.
  await page
    .getByRole('status')
    .filter({ hasText: `Customers matching now: ${AUDIENCE}` })
    .waitFor();
  await page.getByLabel('Currency').selectOption('USD');
  await page.getByLabel('Cost per email').fill('0.5');
  await page.getByLabel('Send rate').fill('1');
  await page.getByLabel('Starts').fill(shanghai(-60_000));
  await page.getByLabel('Subject').fill('Hello {{firstName|friend}}');
  await page.getByLabel('Body').fill('Spring sale for {{email}}.\n\nSee you soon.');
  // The preview: the sender's own rendering for the audience's first customer.
  const preview = page.getByRole('region', { name: 'Preview for a sample customer' });
  await preview.getByText('As Name0 Last').waitFor();
  await preview.getByText('Hello Name0').waitFor();
  await preview.getByText(`Spring sale for ${emails[0]}.`).waitFor();
  await page.getByRole('button', { name: 'Add a goal' }).click();
  await page.getByLabel('Target (USD)').fill('100');
  await expectAccessible(page);

  // The total budget is left empty: the API's reason shows beside it, and everything typed stays.
  await page.getByRole('button', { name: 'Create and submit for approval' }).click();
  await page.getByRole('alert').waitFor();
  const total = page.getByLabel('Total budget');
  await expect(total.getAttribute('aria-invalid')).resolves.toBe('true');
  const totalError = await total.getAttribute('aria-describedby');
  await expect(page.locator(`[id="${totalError!.split(' ').at(-1)}"]`).textContent()).resolves.toMatch(/number/);
  await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe(name);
  await expect(page.getByLabel('Body').inputValue()).resolves.toBe('Spring sale for {{email}}.\n\nSee you soon.');
  expect((await stack.api('GET', `/campaigns?q=${tag}`, { token: analyst.token })).body.total).toBe(0);

  await total.fill('100');
  await page.getByRole('button', { name: 'Create and submit for approval' }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  await page.getByText('Awaiting approval', { exact: true }).waitFor();
  // The list row comes first, the workflow's answer (its required roles) a moment later.
  const created = await eventually(async () => {
    const body = (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body;
    return body.requiredRoles?.length > 0 && body;
  }, 'the required roles');
  expect(created).toMatchObject({ stage: 'pending_approval', ownerId: mia.id, requiredRoles: ['ops_manager'] });
  expect(created.spec).toMatchObject({
    name,
    audience: { filters: { tags: [tag] } },
    budget: { total: 100, currency: 'USD', costPerSend: 0.5 },
    sendRate: 1,
    message: { subject: 'Hello {{firstName|friend}}', body: 'Spring sale for {{email}}.\n\nSee you soon.' },
    goals: [{ metric: 'gmv', target: 100 }],
    guards: [{ metric: 'unsubscribe_rate', above: 0.02, minSends: 200 }],
  });
  // Before launch the creator may cancel, not pause.
  await expect(page.getByRole('button', { name: 'Pause' }).count()).resolves.toBe(0);
  await page.getByRole('button', { name: 'Cancel campaign' }).waitFor();

  // Pete, the other ops manager, approves the budget in his inbox.
  const approver = await browser.openPage();
  await signInWithToken(approver.page, stack.baseUrl, pete.token, '/console/inbox');
  await approver.page.getByRole('link', { name: new RegExp(`Approve the budget of campaign "${name}"`) }).click();
  await approver.page.getByRole('button', { name: 'Approve', exact: true }).click();
  await approver.page.getByRole('status').filter({ hasText: 'Decided: approve' }).waitFor();
  expect(approver.problems).toEqual([]);

  // It launches at once (its start is past) and sends one a second; Mia's detail follows live. She pauses mid-way.
  await page.getByText('Sending', { exact: true }).waitFor({ timeout: 15_000 });
  await eventually(async () => Number(await sentFigure(page).textContent()) >= 2, 'the first sends on the detail');
  await page.getByLabel('Reason (optional, kept in the history)').fill('checking the subject');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByText('Paused (paused by hand)', { exact: false }).waitFor();
  const paused = (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body;
  expect(paused).toMatchObject({ stage: 'paused', pause: { reason: 'manual', detail: 'checking the subject' } });
  const atPause = received().length;
  expect(atPause).toBeLessThan(AUDIENCE);
  await new Promise((r) => setTimeout(r, 1200));
  expect(received().length).toBe(atPause);
  // People by name: the approval and the history say who.
  await page.getByText(/Ops manager: approved by Pete at/).waitFor();
  await page.getByRole('list', { name: 'History' }).getByText('by me · checking the subject').waitFor();
  await expectAccessible(page);

  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByText('Sending', { exact: true }).waitFor();
  // The live counts reach the audience: every customer once, in the SMTP sink too.
  await page.getByText(`Handled ${AUDIENCE} of ${AUDIENCE}`).waitFor({ timeout: 20_000 });
  await expect(sentFigure(page).textContent()).resolves.toBe(String(AUDIENCE));
  await page.getByText('Spend $4.00 of $100.00 (4%)').waitFor();
  await eventually(async () => received().length === AUDIENCE, 'every email in the SMTP sink');
  expect(new Set(received().map((m) => m.to[0])).size).toBe(AUDIENCE);
  expect((await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body.counts).toMatchObject({
    audience: AUDIENCE,
    sent: AUDIENCE,
    failed: 0,
    spend: 4,
  });
  // The send-progress chart carries its figures: the last cumulative point is the whole audience.
  const chart = page.getByRole('figure', { name: 'Emails sent since launch' });
  await chart.getByText('Show the figures').click();
  await eventually(
    async () => (await chart.locator('tbody tr').last().locator('td').first().textContent()) === String(AUDIENCE),
    'the chart at the audience',
  );

  // End it: a confirmation, then the retrospective with the goal against its actual.
  await page.getByRole('button', { name: 'End now' }).click();
  await page.getByRole('button', { name: 'Yes, end it' }).click();
  const retro = page.getByRole('region', { name: 'Retrospective' });
  await retro.getByRole('heading', { name: 'Goals against actuals' }).waitFor({ timeout: 20_000 });
  await retro.getByRole('row', { name: /GMV.*Missed/ }).waitFor();
  await retro.getByRole('figure', { name: 'Goals: actual as a share of the target' }).waitFor();
  expect((await stack.api('GET', `/campaigns/${id}/report`, { token: analyst.token })).body.money).toMatchObject({
    spend: 4,
    budget: 100,
    gmv: 0,
  });
  await expectAccessible(page);

  // The list in 简体中文, with the campaign and its stage.
  await eventually(
    async () => (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body.stage === 'reported',
    'reported',
  );
  await page.getByRole('link', { name: 'All campaigns' }).click();
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByRole('heading', { name: '营销活动', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ hasText: name });
  await row.getByText('已复盘').waitFor();
  await page.getByRole('link', { name: '新建活动' }).waitFor();
  await expectAccessible(page);
  expect(problems).toEqual([]);
});

test('the list pages through the API and filters by stage and name', async () => {
  // 30 drafts: more than one page of 25.
  const statuses = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const res = await stack.api('POST', '/campaigns', {
        token: mia.token,
        body: {
          name: `Draft ${tag} ${String(i).padStart(2, '0')}`,
          draft: true,
          budget: { total: 10, currency: 'CNY', costPerSend: 0.1 },
          audience: { filters: { tags: [tag] } },
          message: { subject: 'Hi', body: 'Hello.' },
          schedule: {
            startAt: new Date(Date.now() + 86_400_000).toISOString(),
            endAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
          },
        },
      });
      return res.status;
    }),
  );
  expect(new Set(statuses)).toEqual(new Set([202]));
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, analyst.token, `/console/campaigns?stage=draft&q=${encodeURIComponent(`Draft ${tag}`)}`);
  await page.getByText('1–25 of 30').waitFor();
  // An analyst reads; creating is not offered.
  await expect(page.getByRole('link', { name: 'New campaign' }).count()).resolves.toBe(0);
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText('26–30 of 30').waitFor();
  expect(new URL(page.url()).searchParams.get('offset')).toBe('25');
  await page.getByLabel('Stage').selectOption('reported');
  await page.getByText('No campaign matches these filters.').waitFor();
  expect(problems).toEqual([]);
});

test('edit: a draft becomes an A/B test (a refusal first, its reason shown and the input kept), then is submitted from its page', async () => {
  const res = await stack.api('POST', '/campaigns', {
    token: mia.token,
    body: {
      name: `Edit ${tag}`,
      draft: true,
      budget: { total: 50, currency: 'CNY', costPerSend: 0.1 },
      audience: { filters: { tags: [tag] } },
      message: { subject: 'Hi', body: 'Hello.' },
      schedule: { startAt: new Date(Date.now() + 86_400_000).toISOString(), endAt: new Date(Date.now() + 2 * 86_400_000).toISOString() },
    },
  });
  const id = res.body.id as string;
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, mia.token, `/console/campaigns/${id}/edit`);
  await page.getByRole('heading', { name: 'Edit campaign', level: 1 }).waitFor();
  await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe(`Edit ${tag}`);
  await page
    .getByRole('status')
    .filter({ hasText: `Customers matching now: ${AUDIENCE}` })
    .waitFor();

  await page.getByRole('radio', { name: 'A/B test' }).check();
  for (const v of ['A', 'B']) {
    const group = page.getByRole('group', { name: `Variant ${v}` });
    await group.getByLabel('Subject').fill(`Subject ${v} for {{firstName}}`);
    await group.getByLabel('Body').fill(`Body ${v}.`);
  }
  await page.getByLabel('Winner decided by').selectOption('clicks');
  // The preview follows the variant chosen.
  await page.getByLabel('Variant', { exact: true }).selectOption({ label: 'B' });
  await page.getByRole('region', { name: 'Preview for a sample customer' }).getByText('Subject B for Name0').waitFor();
  await page.getByRole('group', { name: 'Variant B' }).getByLabel('Variant name').fill('A');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toContain('variant names must be unique');
  await page.getByText('variant names must be unique', { exact: true }).waitFor();
  await expect(page.getByRole('group', { name: 'Variant A' }).last().getByLabel('Body').inputValue()).resolves.toBe('Body B.');

  await page.getByRole('group', { name: 'Variant A' }).last().getByLabel('Variant name').fill('B');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: `Edit ${tag}`, level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Variant B · 50%' }).waitFor();
  // Each variant as the audience's first customer would receive it.
  const variantB = page.locator('.message').filter({ has: page.getByRole('heading', { name: 'Variant B · 50%' }) });
  await variantB.getByText('Preview for a sample customer').click();
  await variantB.getByText('Subject B for Name0').waitFor();
  const edited = (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body;
  expect(edited).toMatchObject({ stage: 'draft', revision: 2, spec: { message: null, budget: { total: 50, currency: 'CNY' } } });
  expect(edited.spec.abTest).toMatchObject({
    winningMetric: 'clicks',
    testShare: 0.2,
    testDuration: '24h',
    variants: [
      { name: 'A', subject: 'Subject A for {{firstName}}', split: 50 },
      { name: 'B', body: 'Body B.', split: 50 },
    ],
  });

  // Someone changes it while the form is open: saving is refused with the reason, not written over theirs.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByRole('heading', { name: 'Edit campaign', level: 1 }).waitFor();
  expect((await stack.api('PATCH', `/campaigns/${id}`, { token: mia.token, body: { sendRate: 20 } })).status).toBe(200);
  await page.getByLabel('Name', { exact: true }).fill(`Edited ${tag}`);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toContain('changed since revision 2');
  await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe(`Edited ${tag}`);
  await page.getByRole('link', { name: 'Back to the campaign' }).click();

  await page.getByRole('button', { name: 'Submit for approval' }).click();
  await page.getByText('Awaiting approval', { exact: true }).waitFor();
  expect((await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body.stage).toBe('pending_approval');
  expect((await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body.spec).toMatchObject({
    name: `Edit ${tag}`,
    sendRate: 20,
  });
  expect(problems).toEqual([]);
});

test('the retrospective of an A/B test compares its variants in charts; an analyst sees no buttons', async () => {
  const created = await stack.api('POST', '/campaigns', {
    token: mia.token,
    body: {
      name: `AB ${tag}`,
      budget: { total: 20, currency: 'EUR', costPerSend: 0.2 },
      audience: { filters: { tags: [tag] } },
      sendRate: 200,
      abTest: {
        variants: [
          { name: 'calm', subject: 'Hello', body: 'A calm note.' },
          { name: 'bold', subject: 'HELLO', body: 'A bold note!' },
        ],
        testShare: 0.5,
        testDuration: '1h',
        winningMetric: 'clicks',
      },
      goals: [{ metric: 'uv', target: 2, deadline: new Date(Date.now() + 3_600_000).toISOString() }],
      schedule: { startAt: new Date(Date.now() - 60_000).toISOString(), endAt: new Date(Date.now() + 86_400_000).toISOString() },
    },
  });
  const id = created.body.id as string;
  const task = await eventually(
    async () => (await stack.api('GET', `/tasks?entityId=${id}&status=open`, { token: pete.token })).body.items[0],
    'the approval task',
  );
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: pete.token, body: { decision: 'approve' } })).status).toBe(200);
  // The test group (half of the audience) is sent; one of the bold variant's recipients clicks.
  const sentTo = await eventually(
    async () => {
      const res = await stack.api('GET', `/campaigns/${id}/recipients?status=sent`, { token: analyst.token });
      return res.body.total === AUDIENCE / 2 ? (res.body.items as { customerId: string; variant: string }[]) : undefined;
    },
    'the test group sent',
    20_000,
  );
  const clicker = sentTo.find((r) => r.variant === 'bold')!;
  expect(
    (
      await stack.api('POST', '/events', {
        body: {
          events: [
            { customerId: clicker.customerId, type: 'click', at: new Date().toISOString(), idempotencyKey: `${tag}-click`, campaignId: id },
          ],
        },
      })
    ).status,
  ).toBe(202);
  expect((await stack.api('POST', `/campaigns/${id}/end`, { token: mia.token, body: {} })).status).toBe(200);
  await eventually(
    async () => (await stack.api('GET', `/campaigns/${id}`, { token: analyst.token })).body.stage === 'reported',
    'reported',
  );

  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, analyst.token, `/console/campaigns/${id}`);
  await page.getByRole('heading', { name: `AB ${tag}`, level: 1 }).waitFor();
  const retro = page.getByRole('region', { name: 'Retrospective' });
  await retro.getByRole('heading', { name: 'A/B variants compared' }).waitFor();
  const rates = retro.getByRole('figure', { name: 'Variants by the winning rate' });
  await rates.getByText('Show the figures').click();
  // Half of 8 in the test group, 2 per variant: bold's one click of 2 sends is 50%, calm's none 0%.
  await expect(rates.getByRole('row', { name: /^calm/ }).textContent()).resolves.toBe('calm0%');
  await expect(rates.getByRole('row', { name: /^bold/ }).textContent()).resolves.toBe('bold50%');
  await retro.getByRole('figure', { name: 'Variants: emails, conversions and clicks' }).waitFor();
  await retro.getByRole('row', { name: /Unique visitors \(UV\).*Missed/ }).waitFor();
  await expect(page.getByRole('group', { name: 'Actions' }).count()).resolves.toBe(0);
  await expectAccessible(page);
  expect(problems).toEqual([]);
});
