// The console's incidents area in a real Chromium against the real stack (issue 13, flow 3): a breaching metric opens
// an incident through a rule, the on-call opens the page email's link, signs in, lands on the incident and acknowledges
// it with one button; paging stops (no further page within the escalation interval, the API agrees). A refusal shows
// its reason and keeps the note; command handed over by name, after which the on-call's resolution is refused with its
// reason; the list by severity with its filters and the MTTA/MTTR charts; axe on the list and the detail; the detail in
// 简体中文, where the new commander resolves it and writes the postmortem.
import { randomUUID } from 'node:crypto';
import { expectAccessible, startStackAndBrowser, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let browser: TestBrowser;
let ingest: TestOperator;
let manager: TestOperator;
let ona: TestOperator;

// A P1 is paged again after this long without an acknowledgement: short, so the test sees paging stop.
const ACK_SLA_MS = 15_000;

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  ingest = await stack.operator(['ingest'], 'collector');
  manager = await stack.operator(['ops_manager'], 'Mia');
  ona = await stack.operator(['oncall'], 'Ona');
  const policy = await stack.api('PUT', '/policies/incidents', {
    body: {
      ackSla: { P1: `${ACK_SLA_MS / 1000}s`, P2: '15m', P3: '30m', P4: null },
      postmortemFor: ['P1', 'P2'],
      postmortemDue: '5d',
    },
  });
  expect(policy.status).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();

test('flow 3: a breach opens an incident; the on-call follows the emailed link, signs in and acknowledges it; paging stops', async () => {
  const suffix = randomUUID().slice(0, 8);
  const service = `checkout-${suffix}`;
  const metric = `errors_${suffix}`;
  // Ona alone is paged, and paged again every ACK_SLA_MS until someone acknowledges (three more rounds).
  expect(
    (
      await stack.api('POST', '/escalation-policies', {
        token: manager.token,
        body: {
          name: `checkout ${suffix}`,
          service,
          levels: [{ targets: [{ operatorId: ona.id }] }],
          repeat: 3,
        },
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await stack.api('POST', '/metrics', {
        token: ingest.token,
        body: {
          points: [
            { name: metric, value: 30, at: ago(20) },
            { name: metric, value: 50, at: ago(10) },
          ],
        },
      })
    ).status,
  ).toBe(200);
  const rule = await stack.api('POST', '/rules', {
    token: manager.token,
    body: {
      name: 'Checkout errors',
      metric,
      aggregation: 'max',
      window: '5m',
      comparison: 'above',
      threshold: 20,
      severity: 'P1',
      every: '10s',
      action: { type: 'open_incident', service },
    },
  });
  expect(rule.status).toBe(201);
  const isPage = (m: { subject: string; to: string[] }) =>
    m.subject.startsWith('[opsflow] P1 incident: Checkout errors') && m.to.includes(ona.email);

  // The page email links to the incident in the console.
  const mail = await stack.mail.waitFor(isPage, 20_000);
  const link = /Open it and acknowledge: (\S+)/.exec(mail.text)?.[1];
  expect(link).toMatch(/^http:\/\/opsflow\.test\/console\/incidents\/[0-9a-f-]{36}$/);
  const id = link!.split('/').pop()!;
  const before = (await stack.api('GET', `/incidents/${id}`, { token: ona.token })).body;
  expect(before).toMatchObject({ status: 'triggered', severity: 'P1', escalation: { level: 1, pages: 1 } });
  // Unacknowledged, Ona is paged again ACK_SLA_MS after each page.
  expect(Date.parse(before.escalation.nextPageAt) - Date.parse(before.triggeredAt)).toBeGreaterThanOrEqual(ACK_SLA_MS - 1000);

  // Opened without a session: sign in first, then back on the incident.
  const { page, problems } = await browser.openPage();
  await page.goto(link!.replace('http://opsflow.test', stack.baseUrl));
  await page.waitForURL((url) => url.pathname === '/sign-in');
  expect(new URL(page.url()).searchParams.get('next')).toBe(`/console/incidents/${id}`);
  await page.getByLabel('API token').fill(ona.token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.waitForURL((url) => url.pathname === `/console/incidents/${id}`);
  await page.getByRole('heading', { level: 1, name: before.title }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Nobody has acknowledged this yet' }).waitFor();
  expect(await page.getByRole('link', { name: 'Checkout errors', exact: true }).getAttribute('href')).toBe(
    `/console/metrics/rules/${rule.body.id}`,
  );
  await expectAccessible(page);

  // A status update before the acknowledgement: the workflow refuses it, the page says why and keeps the note.
  await page.getByLabel('Note', { exact: true }).fill('Looking at the 14:02 deploy');
  await page.getByLabel('Status update').selectOption('investigating');
  await page.getByRole('button', { name: 'Post the note' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toContain('acknowledge the incident before posting a status update');
  expect(await page.getByLabel('Note', { exact: true }).inputValue()).toBe('Looking at the 14:02 deploy');

  // One button.
  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'You acknowledged the incident: paging has stopped.' }).waitFor();
  const acked = (await stack.api('GET', `/incidents/${id}`, { token: manager.token })).body;
  expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: ona.id, commanderId: ona.id, escalation: { nextPageAt: null } });
  // The page that would have come next without the acknowledgement (on a slow machine a repeat may precede it).
  const pages = acked.escalation.pages as number;
  const lastPage = Math.max(
    ...(acked.timeline as { type: string; at: string }[]).filter((e) => e.type === 'paged').map((e) => Date.parse(e.at)),
  );
  const wouldPageAt = lastPage + ACK_SLA_MS;
  const timeline = page.getByRole('list', { name: 'Timeline' });
  await timeline.getByText('Acknowledged', { exact: true }).waitFor();

  // Now the same note goes through, with its status.
  await page.getByRole('button', { name: 'Post the note' }).click();
  await timeline.getByText('Status: Investigating', { exact: true }).waitFor();
  await timeline.getByText('Looking at the 14:02 deploy').waitFor();
  expect(await page.getByLabel('Note', { exact: true }).inputValue()).toBe('');
  expect((await stack.api('GET', `/incidents/${id}`, { token: manager.token })).body.status).toBe('investigating');

  // Command goes to Mia, picked by name; then Ona's resolution is refused with the reason, and her words stay.
  await page.getByLabel('Find a responder by name').fill('mi');
  await page.getByLabel('Hand over to').selectOption({ label: 'Mia · ops_manager' });
  await page.getByRole('button', { name: 'Hand over', exact: true }).click();
  await timeline.getByText('Mia is the incident commander').waitFor();
  await page.getByText('Commander: Mia').waitFor();
  // The page says who may resolve now, and no longer offers Ona to take command; the API still decides.
  await expect(page.getByText('Mia is in command: only they or an ops manager can resolve it').count()).resolves.toBe(2);
  await expect(page.getByRole('button', { name: 'Take command' }).count()).resolves.toBe(0);
  await page.getByLabel('Resolution').fill('Rolled the deploy back');
  await page.getByRole('button', { name: 'Resolve the incident' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toContain('only the incident commander or an ops manager may resolve it');
  expect(await page.getByLabel('Resolution').inputValue()).toBe('Rolled the deploy back');
  expect((await stack.api('GET', `/incidents/${id}`, { token: manager.token })).body).toMatchObject({
    status: 'investigating',
    commanderId: manager.id,
  });

  // The list, open ones by severity: a P2 opened by hand sorts below the P1; the severity filter; the charts.
  const p2 = await stack.api('POST', '/incidents', {
    token: manager.token,
    body: { title: `Refunds failing ${suffix}`, severity: 'P2', service, ackSla: null },
  });
  expect(p2.status).toBe(202);
  await page.getByRole('link', { name: 'All incidents' }).click();
  await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
  await page.getByLabel('Service').fill(service);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await page.waitForURL((url) => url.searchParams.get('service') === service);
  const rows = page.locator('table.incidents-table tbody tr');
  await eventually(async () => (await rows.count()) === 2, 'both incidents of the service listed');
  expect(await rows.nth(0).textContent()).toContain(before.title);
  expect(await rows.nth(0).getByRole('cell').nth(5).textContent()).toBe('Mia');
  expect(await rows.nth(1).textContent()).toContain(`Refunds failing ${suffix}`);
  await page.getByLabel('Severity', { exact: true }).selectOption('P2');
  await page.waitForURL((url) => url.searchParams.get('severity') === 'P2');
  await eventually(async () => (await rows.count()) === 1 && (await rows.nth(0).textContent())?.includes('Refunds failing'), 'the P2 only');
  await page.getByRole('button', { name: /P1 · critical/ }).waitFor();
  await page.getByRole('figure', { name: 'Time to acknowledge by severity' }).waitFor();
  // The chart's figures: the P1's mean time to acknowledge as the API computes it (seconds, under two minutes).
  const stats = (await stack.api('GET', '/incidents/stats', { token: manager.token })).body;
  const mean = Math.round(stats.bySeverity.P1.timeToAcknowledge.mean * 10) / 10;
  const figures = page.getByRole('figure', { name: 'Time to acknowledge by severity' });
  await figures.getByText('Show the figures').click();
  const seconds = new Intl.NumberFormat('en-US', { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 1 }).format(
    mean,
  );
  expect(await figures.getByRole('row', { name: /^P1/ }).textContent()).toContain(seconds);
  expect(await figures.getByRole('row', { name: /^P2/ }).textContent()).toBe('P2——');
  await expectAccessible(page);

  // Paging stopped: past the moment the next page was due, no page more.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, wouldPageAt + 3000 - Date.now())));
  expect(stack.mail.messages().filter(isPage)).toHaveLength(pages);
  expect((await stack.api('GET', `/incidents/${id}`, { token: manager.token })).body).toMatchObject({
    status: 'investigating',
    escalation: { pages },
  });

  // The incident page in 简体中文, for Mia, now in command: she resolves it and writes the P1's postmortem; it closes.
  const zh = await browser.openPage();
  await signInWithToken(zh.page, stack.baseUrl, manager.token, `/console/incidents/${id}`);
  await zh.page.getByLabel('Language').selectOption('zh-CN');
  await zh.page.getByRole('heading', { level: 1, name: before.title }).waitFor();
  expect(await zh.page.getAttribute('html', 'lang')).toBe('zh-CN');
  const zhTimeline = zh.page.getByRole('list', { name: '时间线' });
  await zhTimeline.getByText('状态：排查中').waitFor();
  // Whom the page went to, by name.
  await expect(zhTimeline.getByRole('listitem').filter({ hasText: '已呼叫第 1 级' }).textContent()).resolves.toContain('Ona');
  await zh.page.getByText('指挥人：我').waitFor();
  await expectAccessible(zh.page);
  await zh.page.getByLabel('处理结果').fill('已回滚 14:02 的发布');
  await zh.page.getByRole('button', { name: '标记为已恢复' }).click();
  await zh.page.getByRole('heading', { level: 3, name: '填写复盘' }).waitFor();
  await zh.page.getByLabel('概述').fill('一次发布导致结账故障 9 分钟');
  await zh.page.getByLabel('根因').fill('缺少数据库迁移');
  await zh.page.getByLabel('改进项').fill('发布前检查迁移\n更早告警结账错误');
  await zh.page.getByRole('button', { name: '提交复盘' }).click();
  await zh.page.getByRole('heading', { level: 3, name: '改进项' }).waitFor();
  const closed = await eventually(async () => {
    const body = (await stack.api('GET', `/incidents/${id}`, { token: manager.token })).body;
    return body.status === 'closed' && body;
  }, 'the incident closed');
  expect(closed).toMatchObject({
    resolvedBy: manager.id,
    resolution: '已回滚 14:02 的发布',
    postmortem: {
      status: 'done',
      completedBy: manager.id,
      actionItems: ['发布前检查迁移', '更早告警结账错误'],
    },
  });
  await zhTimeline.getByText('已关闭', { exact: true }).waitFor({ timeout: 15_000 });
  expect(zh.problems).toEqual([]);
  expect(problems).toEqual([]);
  await stack.api('PATCH', `/rules/${rule.body.id}`, { token: manager.token, body: { enabled: false } });
});
