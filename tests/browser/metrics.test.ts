// Metrics and rules in a real Chromium against the real stack: points pushed through the API, a rule written in the
// editor (a refused field kept and named, a dry run over the past points, save), the list with the monitor's state,
// the metric's chart with the threshold and the firing episode, an edit, and the area in 简体中文.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { expectAccessible, startStackAndBrowser, signInWithToken, type TestBrowser } from '../support/browser.ts';
import type { Stack, TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let browser: TestBrowser;
let manager: TestOperator;
let oncall: TestOperator;
const metric = `checkout_latency_${randomUUID().slice(0, 8)}`;
const minute = 60_000;
let ruleId: string;

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  let ingest: TestOperator;
  [manager, oncall, ingest] = await Promise.all([
    stack.operator(['ops_manager'], 'Mia'),
    stack.operator(['oncall'], 'Ona'),
    stack.operator(['ingest'], 'collector'),
  ]);
  // Two hours of checkout latency, a point a minute: 200 ms, with a past breach (an hour ago, 10 minutes at 900 ms) and
  // one now (the last two minutes); another region's points stay out of the rule's series.
  const now = Date.now();
  const points = Array.from({ length: 120 }, (_, k) => ({
    name: metric,
    at: new Date(now - k * minute - 1000).toISOString(),
    labels: { region: 'eu' },
    value: (k >= 60 && k < 70) || k < 2 ? 900 : 200,
  }));
  points.push({ name: metric, at: new Date(now - 5000).toISOString(), labels: { region: 'us' }, value: 5000 });
  expect((await stack.api('POST', '/metrics', { token: ingest.token, body: { points } })).status).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

test('an ops manager writes a rule in the editor, dry-runs it over the past day, saves it; the list and the chart show it firing', async () => {
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, manager.token, '/console/metrics');
  await page.getByRole('heading', { name: 'Metric rules', level: 1 }).waitFor();
  await expectAccessible(page);

  await page.getByRole('link', { name: 'New rule' }).click();
  await page.getByRole('heading', { name: 'New rule', level: 1 }).waitFor();
  await field(page, 'Name').fill('Slow checkout');
  await field(page, 'Metric').fill(metric);
  await field(page, 'Labels').fill('region:eu');
  await field(page, 'Aggregation').selectOption('max');
  await field(page, 'Window').fill('1s');
  await field(page, 'Threshold').fill('500');
  // Pausing a campaign offers a search by name (none matches here).
  await field(page, 'When it fires').selectOption('pause_campaign');
  await field(page, 'Find the campaign by name').fill('no such campaign');
  await page.getByText('No campaign has that in its name.').waitFor();
  await field(page, 'When it fires').selectOption('notify_role');
  await field(page, 'Role to notify').selectOption('oncall');

  // The API refuses the window: its reason stands beside the input, and everything typed is kept.
  await page.getByRole('button', { name: 'Dry run' }).click();
  const windowError = page.locator('#rule-window-error');
  await windowError.waitFor();
  expect(await windowError.textContent()).toContain("must be a duration from '10s' to '7d'");
  expect(await field(page, 'Window').getAttribute('aria-invalid')).toBe('true');
  expect(await field(page, 'Window').inputValue()).toBe('1s');
  expect(await field(page, 'Name').inputValue()).toBe('Slow checkout');
  expect(await page.getByRole('alert').textContent()).toContain('invalid body');

  // Fixed, the dry run shows now and the past day: the breach an hour ago and the one now.
  await field(page, 'Window').fill('5m');
  await page.getByRole('button', { name: 'Dry run' }).click();
  const result = page.getByRole('region', { name: 'Dry run' });
  await result.getByText('it would have fired 2 times').waitFor();
  expect(await result.getByRole('status').textContent()).toContain('Now: the condition holds. maximum 900 is above 500');
  await expect(windowError.count()).resolves.toBe(0);
  const wouldBe = result.getByRole('table', { name: 'Episodes it would have fired' });
  expect(await wouldBe.getByRole('row').count()).toBe(3);
  expect(await wouldBe.getByRole('row').nth(2).textContent()).toContain('still firing');
  await result.getByText('Show the figures').click();
  await result.getByText('Threshold (above): 500').waitFor();
  await result.getByText(/^Episode 1: firing from .+ to /).waitFor();
  await result.getByText(/^Episode 2: firing since .+, still firing$/).waitFor();
  await expectAccessible(page);
  // Nothing was stored by the dry run.
  expect((await stack.api('GET', `/rules?metric=${metric}`)).body.total).toBe(0);

  await page.getByRole('button', { name: 'Create rule' }).click();
  await page.getByRole('status').filter({ hasText: 'Rule created' }).waitFor();
  ruleId = /\/console\/metrics\/rules\/([0-9a-f-]{36})/.exec(page.url())![1]!;
  const stored = await stack.api('GET', `/rules/${ruleId}`);
  expect(stored.body).toMatchObject({
    name: 'Slow checkout',
    metric,
    labels: { region: 'eu' },
    aggregation: 'max',
    window: '5m',
    comparison: 'above',
    threshold: 500,
    for: '0s',
    keepFiring: '0s',
    noData: 'ok',
    severity: 'P3',
    action: { type: 'notify_role', role: 'oncall' },
    every: '30s',
    enabled: true,
    createdBy: manager.id,
  });
  await eventually(async () => (await stack.api('GET', `/rules/${ruleId}`)).body.monitor.state === 'firing', 'the monitor firing');

  // The list shows the monitor's state.
  await page.getByRole('link', { name: 'All rules' }).click();
  const row = page.getByRole('row').filter({ hasText: 'Slow checkout' });
  await row.getByText('Firing', { exact: true }).waitFor();
  expect(await row.textContent()).toContain('maximum over 5m above 500');
  expect(await row.textContent()).toContain('1 firing episode');
  await expectAccessible(page);

  // The metric's chart: the rule's threshold and its firing episode, named in the figures under the chart.
  await row.getByRole('link', { name: metric }).click();
  await page.getByRole('heading', { name: `Metric ${metric}`, level: 1 }).waitFor();
  const figure = page.getByRole('figure');
  await figure.locator('canvas').first().waitFor();
  await figure.getByText('Show the figures').click();
  await figure.getByText('Threshold of Slow checkout (above): 500').waitFor();
  await figure.getByText(/^Slow checkout, episode 1: firing since .+, still firing$/).waitFor();
  // Both regions are drawn as their own lines; the figures table has a column for each.
  await figure.getByRole('columnheader', { name: 'region:eu' }).waitFor();
  await figure.getByRole('columnheader', { name: 'region:us' }).waitFor();
  const episodes = page.getByRole('table').filter({ hasText: 'Value when fired' });
  expect(await episodes.getByRole('row').nth(1).textContent()).toMatch(/Slow checkout1.+still firing900/);
  await expectAccessible(page);

  // Edited: a higher threshold; the monitor loads it and the episode resolves.
  await page.getByRole('table').filter({ hasText: 'Monitor state' }).getByRole('link', { name: 'Slow checkout' }).click();
  await page.getByRole('heading', { name: 'Rule: Slow checkout', level: 1 }).waitFor();
  const recent = page.getByRole('table').filter({ hasText: 'Value when fired' });
  expect(await recent.getByRole('row').nth(1).textContent()).toMatch(/^1.+still firing900$/);
  await field(page, 'Threshold').fill('2000');
  await field(page, 'Keep firing for').fill('1m');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  expect((await stack.api('GET', `/rules/${ruleId}`)).body).toMatchObject({ threshold: 2000, keepFiring: '1m', version: 2 });
  expect(problems).toEqual([]);
});

test('简体中文: on-call reads the rules and the chart in Chinese and can dry-run a rule, not save it', async () => {
  expect(ruleId).toBeDefined();
  const { page, problems } = await browser.openPage();
  await signInWithToken(page, stack.baseUrl, oncall.token, '/console/metrics');
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByRole('heading', { name: '指标告警规则', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ hasText: 'Slow checkout' });
  await row.waitFor();
  expect(await row.textContent()).toContain('5m 内最大值高于 2,000');
  await expect(page.getByRole('link', { name: '新建规则' }).count()).resolves.toBe(0);
  await expectAccessible(page);

  await row.getByRole('link', { name: 'Slow checkout' }).click();
  await page.getByRole('heading', { name: '规则：Slow checkout', level: 1 }).waitFor();
  await page.getByText('你的角色可以试运行规则').waitFor();
  await expect(page.getByRole('button', { name: '保存修改' }).count()).resolves.toBe(0);
  await page.getByRole('button', { name: '试运行' }).click();
  const dry = page.getByRole('region', { name: '试运行' });
  await dry.getByText(/该规则会告警 0 次/).waitFor();
  expect(await dry.getByRole('status').textContent()).toContain('当前：条件不满足。 最大值 900，未高于 2,000');
  await expectAccessible(page);
  expect(problems).toEqual([]);
});
