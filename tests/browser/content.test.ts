// The console's Content area in a real Chromium against the real stack: flow 1 of the console issue (a reviewer signs
// in with the emailed link and approves S-tier content in the inbox, a second reviewer approves, the detail shows it
// published and delivered), the submit form with a refusal, schedule and withdraw, and the list at 1,200 items.
import type { Page } from 'playwright-core';
import { expectAccessible, startStackAndBrowser, signInByApi, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let browser: TestBrowser;
let mia: TestOperator;
let rita: TestOperator;
let rob: TestOperator;
const ARCHIVED = 1200;

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  mia = await stack.operator(['ops_manager'], 'Mia');
  rita = await stack.operator(['reviewer'], 'Rita');
  rob = await stack.operator(['reviewer'], 'Rob');
  expect(
    (await stack.api('POST', '/channels', { body: { name: 'blog', url: stack.hooks.url('/blog'), secret: 'channel-secret-0123456789' } }))
      .status,
  ).toBe(201);
  // An old archive in the read model, older than anything the tests submit: the list pages through it.
  await stack.db.orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into content (id, workflow_id, author_id, title, tier, channels, stage, revision, check_outcome, published_at, created_at, updated_at, version)
     select gen_random_uuid(), 'content-review:' || gen_random_uuid(), gen_random_uuid(), 'Archive item ' || n,
            case when n % 2 = 0 then 'A' else 'B' end, '{blog}', 'published', 1, 'pass',
            now() - n * interval '1 hour', now() - n * interval '1 hour', now() - n * interval '1 hour', 1
     from generate_series(1, ${ARCHIVED}) n`,
    );
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const contentOf = (id: string) => stack.api('GET', `/content/${id}`, { token: mia.token }).then((r) => r.body);

/** Approves the task whose title matches in the inbox, as it is on screen. */
async function approveInInbox(page: Page, task: RegExp, comment: string) {
  await page.getByRole('link', { name: task }).click();
  await approveShown(page, task, comment);
}

/** Approves the task the page shows, once its heading matches. */
async function approveShown(page: Page, task: RegExp, comment: string) {
  await page.getByRole('heading', { name: task, level: 2 }).waitFor();
  await page.getByLabel('Comment').fill(comment);
  await page.getByRole('button', { name: /^approve$/i }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /Decided: approve/i })
    .waitFor();
}

test('flow 1: a reviewer signs in with the emailed link and approves S-tier content, a second approves, the detail shows it published', async () => {
  const submitted = await stack.api('POST', '/content', {
    token: mia.token,
    body: { title: 'Spring launch', body: 'Our spring range is here. Details at https://shop.test/spring', tier: 'S', channels: ['blog'] },
  });
  expect(submitted.status).toBe(202);
  const id = (submitted.body as { id: string }).id;

  // The author watches the detail while the reviewers decide: it moves on without a reload.
  const author = await browser.openPage();
  await signInWithToken(author.page, stack.baseUrl, mia.token, `/console/content/${id}`);
  const detail = author.page;
  await detail.getByRole('heading', { name: 'Spring launch', level: 1 }).waitFor();
  await detail.getByText('Waiting for 2 reviewers:').waitFor();
  await expect(detail.getByRole('link', { name: /approval 1 of 2/ }).getAttribute('href')).resolves.toMatch(
    /^\/console\/inbox\/[0-9a-f-]{36}$/,
  );
  // The link to a host off the allow-list is a check finding.
  await detail.getByRole('row').filter({ hasText: 'links to shop.test, which is not on the allow-list' }).waitFor();
  await expect(detail.locator('.content-body mark').textContent()).resolves.toBe('https://shop.test/spring');

  // Rita: the emailed one-time link, through the sign-in page and the mail catcher.
  const first = await browser.openPage();
  await first.page.goto(`${stack.baseUrl}/sign-in`);
  await first.page.getByLabel('Email').fill(rita.email);
  await first.page.getByRole('button', { name: 'Send the link' }).click();
  const mail = await stack.mail.waitFor((m) => m.to.includes(rita.email) && m.subject.includes('Sign in'));
  const token = /\/sign-in\?token=([\w-]+)/.exec(mail.text)![1]!;
  await first.page.goto(`${stack.baseUrl}/sign-in?token=${token}`);
  await first.page.getByRole('button', { name: 'Continue' }).click();
  await first.page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
  await approveInInbox(first.page, /Spring launch.*approval 1 of 2/, 'Prices checked');
  await detail.getByText('Waiting for 1 reviewer:').waitFor();
  expect((await contentOf(id)).stage).toBe('in_review');

  // Rob gives the second approval; Rita could not (the workflow keeps the four eyes). He was emailed once for the
  // round, and the approval Rita took leads him on to the one still open.
  const told = await stack.mail.waitFor((m) => m.to.includes(rob.email) && m.subject.includes('Spring launch'));
  expect(told.subject).toBe('[opsflow] New task / 新任务: Review S-tier content "Spring launch" (revision 1, 2 approvals)');
  const roundTasks = (await stack.api('GET', `/tasks?entityId=${id}`)).body.items as { id: string; title: string }[];
  const taken = roundTasks.find((t) => t.title.endsWith('approval 1 of 2)'))!;
  const second = await browser.openPage();
  await signInWithToken(second.page, stack.baseUrl, rob.token, `/console/inbox/${taken.id}`);
  await second.page.getByRole('heading', { name: /approval 1 of 2/, level: 2 }).waitFor();
  const others = second.page.getByRole('region', { name: 'Also waiting for a decision on this content' });
  await others.getByRole('link', { name: /Spring launch.*approval 2 of 2/ }).click();
  await approveShown(second.page, /Spring launch.*approval 2 of 2/, 'Good to go');
  expect(stack.mail.messages().filter((m) => m.to.includes(rob.email) && m.subject.includes('Spring launch'))).toHaveLength(1);
  // From the task to the content it was about: published, with Rob's own approval.
  await second.page.getByRole('link', { name: 'Open the content' }).click();
  await second.page.getByRole('heading', { name: 'Spring launch', level: 1 }).waitFor();
  await second.page.locator('.content-badges').getByText('Published').waitFor();
  await second.page.getByRole('row', { name: /^Rob \(you\) Approved 1/ }).waitFor();

  const deliveries = detail.getByRole('table').filter({ has: detail.getByRole('columnheader', { name: 'Channel' }) });
  await deliveries.getByRole('row', { name: /blog Delivered/ }).waitFor({ timeout: 20_000 });
  await detail.locator('.content-badges').getByText('Published').waitFor();
  const approvals = detail.getByRole('table').filter({ has: detail.getByRole('columnheader', { name: 'Reviewer' }) });
  await expect(approvals.getByRole('row').count()).resolves.toBe(3);
  await approvals.getByRole('row', { name: /^Rita Approved 1/ }).waitFor();
  await approvals.getByRole('row', { name: /^Rob Approved 1/ }).waitFor();
  const history = detail.getByRole('list', { name: 'Timeline' });
  await history.getByText('Published').waitFor();
  await expect(history.getByText('Approved revision 1').count()).resolves.toBe(2);
  // Published content is past changing: no schedule or withdraw offered.
  await expect(detail.getByRole('button', { name: 'Withdraw the content' }).count()).resolves.toBe(0);
  await expectAccessible(detail);

  const state = await contentOf(id);
  expect(state).toMatchObject({ stage: 'published', deliveries: [{ channel: 'blog', status: 'delivered' }] });
  expect(state.approvals.map((a: { reviewerId: string }) => a.reviewerId)).toEqual([rita.id, rob.id]);
  for (const { problems } of [author, first, second]) expect(problems).toEqual([]);
});

test('the submit form: a refusal shows the field reason and keeps the input; then the author moves the schedule and withdraws', async () => {
  const mine = async () => (await stack.api('GET', '/content?author=me', { token: mia.token })).body.total as number;
  const before = await mine();
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, mia.token, '/console/content');
  await page.getByRole('link', { name: 'Submit content' }).click();
  await page.getByRole('heading', { name: 'Submit content', level: 1 }).waitFor();
  await page.getByLabel('Title').fill('Summer teaser');
  await page.getByLabel('Text').fill('Summer is coming: new colours in June.');
  await page.getByRole('radio', { name: /B: goes out on clean checks/ }).check();
  await page.getByRole('checkbox', { name: 'blog' }).check();
  await page.getByLabel('Publish at (optional)').fill('2020-06-01T09:00');
  await page.getByRole('button', { name: 'Submit for review' }).click();

  const alert = page.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toContain('publishAt is in the past');
  const publishAt = page.getByLabel('Publish at (optional)');
  await expect(publishAt.getAttribute('aria-invalid')).resolves.toBe('true');
  await expect(
    page.locator(`#${await publishAt.getAttribute('aria-describedby').then((ids) => ids!.split(' ').at(-1))}`).textContent(),
  ).resolves.toBe('must be in the future');
  expect(await page.getByLabel('Title').inputValue()).toBe('Summer teaser');
  expect(await page.getByLabel('Text').inputValue()).toBe('Summer is coming: new colours in June.');
  expect(await page.getByRole('checkbox', { name: 'blog' }).isChecked()).toBe(true);
  await expectAccessible(page);
  // Nothing was started.
  expect(await mine()).toBe(before);

  // In 简体中文 the field's reason is said in Chinese (the API adds its code to its English words).
  const zh = await browser.openPage({ locale: 'zh-CN' });
  await signInByApi(zh.page, stack.baseUrl, mia.token, '/console/content/new');
  await zh.page.getByRole('heading', { name: '提交内容', level: 1 }).waitFor();
  await zh.page.getByLabel('标题').fill('夏季预告');
  await zh.page.getByLabel('正文').fill('夏天就要来了：六月上新颜色，敬请期待。');
  await zh.page.getByRole('radio', { name: /B 级：/ }).check();
  await zh.page.getByRole('checkbox', { name: 'blog' }).check();
  await zh.page.getByLabel('发布时间（可选）').fill('2020-06-01T09:00');
  await zh.page.getByRole('button', { name: '提交审核' }).click();
  const zhAlert = zh.page.getByRole('alert').filter({ hasText: '发布时间（可选）：必须是将来的时间' });
  await zhAlert.waitFor();
  await expect(zhAlert.textContent()).resolves.toMatch(/^内容未能提交：\s*请按下列各项修改。/); // not 'publishAt is in the past'
  expect(zh.problems).toEqual([]);
  expect(await mine()).toBe(before);

  // A time next year: B-tier content with clean checks is approved at once and waits for it.
  const year = new Date().getFullYear() + 1;
  await publishAt.fill(`${year}-06-01T09:00`);
  await page.getByRole('button', { name: 'Submit for review' }).click();
  await page.getByRole('heading', { name: 'Summer teaser', level: 1 }).waitFor();
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  await page.locator('.content-badges').getByText('Scheduled').waitFor();
  expect(await contentOf(id)).toMatchObject({ stage: 'scheduled', publishAt: new Date(`${year}-06-01T09:00:00+08:00`).toISOString() });
  await expectAccessible(page);

  // Move the publish time (Asia/Shanghai is the browser's zone here): a past time is refused with the reason and
  // stays in the field; a future one is saved. Then withdraw with a reason.
  const schedule = page.getByLabel('Publish at', { exact: true });
  await schedule.fill('2021-03-01T08:00');
  await page.getByRole('button', { name: 'Move the publish time' }).click();
  await page.getByRole('alert').filter({ hasText: 'publishAt must be in the future' }).waitFor();
  expect(await schedule.inputValue()).toBe('2021-03-01T08:00');
  await schedule.fill(`${year}-07-15T18:30`);
  await page.getByRole('button', { name: 'Move the publish time' }).click();
  await page.getByRole('status').filter({ hasText: 'Publish time saved.' }).waitFor();
  expect((await contentOf(id)).publishAt).toBe(new Date(`${year}-07-15T18:30:00+08:00`).toISOString());
  await page.getByRole('list', { name: 'Timeline' }).getByText('Publish time moved').waitFor();

  await page.getByLabel('Reason (optional)').fill('Campaign postponed');
  await page.getByRole('button', { name: 'Withdraw the content' }).click();
  await page.locator('.content-badges').getByText('Withdrawn').waitFor();
  await page.getByText('Campaign postponed').first().waitFor();
  expect(await contentOf(id)).toMatchObject({ stage: 'withdrawn', rejectionReason: 'Campaign postponed' });
  expect(problems).toEqual([]);
});

test('changes requested: the author sees the reason and the findings marked in the text, revises, and the detail shows the diff', async () => {
  const submitted = await stack.api('POST', '/content', {
    token: mia.token,
    body: { title: 'Hotline launch', body: 'Questions? Call Lily on 13812345678 any day.', tier: 'A', channels: ['blog'] },
  });
  expect(submitted.status).toBe(202);
  const id = (submitted.body as { id: string }).id;
  const taskId = await eventually(async () => {
    const tasks = await stack.api('GET', `/tasks?entityId=${id}&status=open`, { token: rita.token });
    return (tasks.body.items as { id: string }[])[0]?.id;
  }, 'the review task');
  const decided = await stack.api('POST', `/tasks/${taskId}/complete`, {
    token: rita.token,
    body: { decision: 'request_changes', comment: 'No personal numbers, please' },
  });
  expect(decided.status).toBe(200);

  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, mia.token, `/console/content/${id}`);
  await page.locator('.content-badges').getByText('Changes requested').waitFor();
  await page.getByText('No personal numbers, please').first().waitFor();
  await expect(page.locator('.content-body mark').textContent()).resolves.toBe('13812345678');
  await page.getByRole('heading', { name: 'Submit a revision', level: 3 }).waitFor();
  await page.getByRole('list', { name: 'Timeline' }).getByText('round 1, 1 approval needed').waitFor();
  await expectAccessible(page);

  await page.getByLabel('Text', { exact: true }).fill('Questions? Write to us through the shop any day.');
  await page.getByRole('button', { name: 'Submit the revision' }).click();
  await page.getByRole('heading', { name: 'Changes since revision 1', level: 3 }).waitFor();
  await expect(page.locator('.revision-diff del').allTextContents()).resolves.toEqual(
    expect.arrayContaining([expect.stringContaining('13812345678')]),
  );
  await page.getByText('Revision 2 submitted by Mia (you)').waitFor();
  await page.locator('.content-badges').getByText('In review').waitFor();
  const state = await contentOf(id);
  expect(state).toMatchObject({
    stage: 'in_review',
    revision: 2,
    previous: { revision: 1, body: 'Questions? Call Lily on 13812345678 any day.' },
  });
  expect(problems).toEqual([]);
});

// After the tests above: their three items are the newest.
test('the list pages through 1,200 items and filters by stage, tier, author and title; and reads in 简体中文', async () => {
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, mia.token, '/console/content');
  await page.getByRole('heading', { name: 'Content', level: 1 }).waitFor();
  const total = (await stack.api('GET', '/content?limit=1', { token: mia.token })).body.total as number;
  expect(total).toBe(ARCHIVED + 3);
  const rows = page.getByRole('table').getByRole('row');
  await page.getByText(`1–25 of ${total}`).waitFor();
  await expect(rows.count()).resolves.toBe(26);
  // Newest first: this file's own content before the archive.
  await rows.nth(1).filter({ hasText: 'Hotline launch' }).waitFor(); // the page's rows follow its count
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText(`26–50 of ${total}`).waitFor();
  await rows.nth(1).filter({ hasText: 'Archive item 23' }).waitFor(); // the page's rows follow its count
  await expectAccessible(page);

  await page.getByLabel('Tier').selectOption('S');
  await page.getByText('1–1 of 1').waitFor();
  await rows.nth(1).filter({ hasText: 'Spring launch' }).waitFor(); // the page's rows follow its count
  expect(new URL(page.url()).searchParams.get('tier')).toBe('S');

  await page.getByLabel('Tier').selectOption('');
  await page.getByLabel('Stage').selectOption('withdrawn');
  await page.getByText('1–1 of 1').waitFor();
  await rows.nth(1).filter({ hasText: 'Summer teaser' }).waitFor(); // the page's rows follow its count

  await page.getByLabel('Stage').selectOption('');
  await page.getByLabel('Only mine').check();
  await page.getByText('1–3 of 3').waitFor();

  await page.getByLabel('Only mine').uncheck();
  await page.getByLabel('Title contains').fill('archive ITEM 1199');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('1–1 of 1').waitFor();
  await page.getByRole('link', { name: 'Archive item 1199' }).click();
  // Gone from Temporal (only in the read model): the stored summary, said so.
  await page.getByRole('heading', { name: 'Archive item 1199', level: 1 }).waitFor();
  await page.getByText('The review history of this item has expired').waitFor();
  await page.goBack();
  await page.getByText('1–1 of 1').waitFor();
  expect(await page.getByLabel('Title contains').inputValue()).toBe('archive ITEM 1199');
  await page.getByRole('button', { name: 'Clear the filters' }).click();
  await page.getByText(`1–25 of ${total}`).waitFor();
  expect(problems).toEqual([]);

  // The same list for a Chinese team: its words, the pager, the stages.
  const zh = await browser.openPage({ locale: 'zh-CN' });
  await zh.page.goto(`${stack.baseUrl}/sign-in?next=${encodeURIComponent('/console/content?stage=published')}`);
  await zh.page.getByLabel('API 令牌').fill(mia.token);
  await zh.page.getByRole('button', { name: '用令牌登录' }).click();
  await zh.page.getByRole('heading', { name: '内容', level: 1 }).waitFor();
  await zh.page.getByRole('columnheader', { name: '标题' }).waitFor();
  await zh.page.getByLabel('状态').locator('option:checked').filter({ hasText: '已发布' }).waitFor({ state: 'attached' });
  await zh.page.getByRole('link', { name: '提交内容' }).waitFor();
  await expect(zh.page.getByRole('cell', { name: '已发布', exact: true }).count()).resolves.toBe(25);
  await expectAccessible(zh.page);
  expect(zh.problems).toEqual([]);
});
