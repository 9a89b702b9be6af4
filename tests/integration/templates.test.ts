// Message templates over HTTP against the real stack (dev server, PostgreSQL, the SMTP sink, whose messages are
// parsed by a MIME parser): checked on save, reviewed through the inbox by someone other than the author, previewed,
// test-sent, rolled back, and sent to each customer in their language with the version recorded.
import { randomUUID } from 'node:crypto';
import { campaignWorkflowId, templateReviewId } from '../../domain/ids.ts';
import { recordHistory } from '../support/histories.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let author: TestOperator;
let reviewer: TestOperator;
let ingest: TestOperator;
const run = randomUUID().slice(0, 8);

const tipsZh = {
  senderName: '拾光商城',
  subject: '{{ customer.name }}，三个小技巧送给您',
  preheader: '只需两分钟',
  html: '<p>{{ customer.name }}，您好：</p><p>试试这三招，上手更快。</p>',
  text: null,
  note: '更口语化的开头',
};

beforeAll(async () => {
  stack = await startStack();
  // The author may review too: the rule that bars them is the workflow's, not the role's.
  author = await stack.operator(['ops_manager', 'reviewer'], 'Mia');
  reviewer = await stack.operator(['reviewer'], 'Rita');
  ingest = await stack.operator(['ingest'], 'backend');
  expect(
    (
      await stack.api('PUT', '/policies/messaging', {
        token: author.token,
        body: {
          frequencyCap: null,
          quietHours: null,
          defaultLocale: 'en',
          platform: { name: '拾光商城', url: 'https://shop.example.com' },
        },
      })
    ).status,
  ).toBe(200);
});

afterAll(async () => {
  await stack?.close();
});

const openTask = (versionId: string) =>
  eventually(async () => {
    const res = await stack.api('GET', `/tasks?entityId=${versionId}&status=open`, { token: reviewer.token });
    return (res.body.items as { id: string; kind: string }[])[0];
  }, 'the review task');

test('every message ships in 简体中文 and English, live at version 1', async () => {
  const res = await stack.api('GET', '/templates', { token: reviewer.token });
  expect(res.status).toBe(200);
  expect(res.body.items.map((t: { key: string }) => t.key)).toEqual([
    'welcome',
    'tips',
    'nudge',
    'summary',
    'winBack',
    'unsubscribeConfirmation',
    'campaign',
    'contractSignLink',
    'contractActivated',
    'contractTerminated',
  ]);
  for (const item of res.body.items) {
    expect(item.locales.map((l: { locale: string; liveVersion: number }) => [l.locale, l.liveVersion])).toEqual([
      ['en', 1],
      ['zh-CN', 1],
    ]);
  }
  expect(res.body.items[4].fields).toEqual(expect.arrayContaining(['coupon.code', 'coupon.validUntil', 'customer.name']));
});

test('a template naming an unknown field, or with a broken expression, is refused naming it; nothing is stored', async () => {
  const before = (await stack.api('GET', '/templates/tips/zh-CN/versions', { token: author.token })).body.total;
  const unknown = await stack.api('POST', '/templates/tips/zh-CN/versions', {
    token: author.token,
    body: { ...tipsZh, html: '<p>{{ customer.nickname }}</p>' },
  });
  expect(unknown.status).toBe(422);
  expect(unknown.body.error.fields).toEqual([
    { field: 'html', message: expect.stringContaining('unknown field "customer.nickname" at line 1, column 7') },
  ]);
  const broken = await stack.api('POST', '/templates/tips/zh-CN/versions', {
    token: author.token,
    body: { ...tipsZh, subject: '{{ customer.name | shout }}' },
  });
  expect(broken.status).toBe(422);
  expect(broken.body.error.fields).toEqual([{ field: 'subject', message: expect.stringContaining('undefined filter: shout') }]);
  const badLocale = await stack.api('POST', '/templates/tips/not_a_locale!/versions', { token: author.token, body: tipsZh });
  expect(badLocale.status).toBe(400);
  expect((await stack.api('GET', '/templates/tips/zh-CN/versions', { token: author.token })).body.total).toBe(before);
  // Reviewers read templates but do not write them.
  expect((await stack.api('POST', '/templates/tips/zh-CN/versions', { token: reviewer.token, body: tipsZh })).status).toBe(403);
});

test('a new version is reviewed in the inbox: its author cannot approve it, another reviewer can, and then it is live; a rollback is one action', async () => {
  const created = await stack.api('POST', '/templates/tips/zh-CN/versions', { token: author.token, body: tipsZh });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ key: 'tips', locale: 'zh-CN', version: 2, status: 'in_review', live: false, authorId: author.id });
  const task = await openTask(created.body.id);
  expect(task.kind).toBe('template_review');

  const own = await stack.api('POST', `/tasks/${task.id}/complete`, { token: author.token, body: { decision: 'approve' } });
  expect(own.status).toBe(403);
  expect(own.body.error.message).toContain('you wrote version 2 of this template; someone else must review it');

  expect(
    (await stack.api('POST', `/tasks/${task.id}/complete`, { token: reviewer.token, body: { decision: 'approve', comment: '好' } })).status,
  ).toBe(200);
  const live = await eventually(async () => {
    const v = (await stack.api('GET', `/template-versions/${created.body.id}`, { token: author.token })).body;
    return v.live && v;
  }, 'version 2 live');
  expect(live).toMatchObject({ status: 'approved', reviewedBy: reviewer.id, reviewComment: '好' });
  const versions = (await stack.api('GET', '/templates/tips/zh-CN/versions', { token: author.token })).body;
  expect(versions.items.map((v: { version: number; live: boolean }) => [v.version, v.live])).toEqual([
    [2, true],
    [1, false],
  ]);
  // People by name: the author and the reviewer (version 1 was shipped, by no one).
  expect(versions.people).toEqual({ [author.id]: 'Mia', [reviewer.id]: 'Rita' });
  expect((await stack.api('GET', `/template-versions/${created.body.id}`, { token: reviewer.token })).body.people).toEqual({
    [author.id]: 'Mia',
    [reviewer.id]: 'Rita',
  });

  // Roll back to the shipped version, then forward again.
  const v1 = versions.items[1].id;
  const back = await stack.api('POST', `/template-versions/${v1}/make-live`, { token: author.token });
  expect(back.body).toMatchObject({ version: 1, live: true });
  expect((await stack.api('POST', `/template-versions/${created.body.id}/make-live`, { token: author.token })).body).toMatchObject({
    version: 2,
    live: true,
  });

  // A version in review cannot be made live; its author can withdraw it, and its task is cancelled.
  const draft = await stack.api('POST', '/templates/tips/zh-CN/versions', { token: author.token, body: { ...tipsZh, subject: '草稿' } });
  const draftTask = await openTask(draft.body.id);
  expect((await stack.api('POST', `/template-versions/${draft.body.id}/make-live`, { token: author.token })).status).toBe(409);
  const withdrawn = await stack.api('POST', `/template-versions/${draft.body.id}/withdraw`, {
    token: author.token,
    body: { reason: '再改改' },
  });
  expect(withdrawn.status).toBe(200);
  expect(withdrawn.body).toMatchObject({ status: 'withdrawn', live: false });
  expect((await stack.api('GET', `/tasks/${draftTask.id}`, { token: reviewer.token })).body.status).toBe('cancelled');
  await recordHistory(stack.env.client, templateReviewId(created.body.id), 'template-review-http-approved');
  await recordHistory(stack.env.client, templateReviewId(draft.body.id), 'template-review-http-withdrawn');
});

test('preview for a customer and a test send to the operator: marked as a test, never counted as a send', async () => {
  const imported = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: [
        {
          externalId: `li-${run}`,
          email: `li-${run}@example.com`,
          name: '李雷',
          locale: 'zh-cn',
          timezone: 'Asia/Shanghai',
          marketingConsent: true,
        },
      ],
    },
  });
  expect(imported.status).toBe(200);
  const li = imported.body.items[0].id;
  expect((await stack.api('GET', `/customers/${li}`, { token: author.token })).body.locale).toBe('zh-CN');

  const preview = await stack.api('POST', '/templates/winBack/preview', { token: reviewer.token, body: { customerId: li } });
  expect(preview.status).toBe(200);
  expect(preview.body).toMatchObject({
    locale: 'zh-CN',
    customer: { id: li, name: '李雷' },
    subject: '好久不见，送您一张优惠券',
    senderName: '拾光商城团队',
  });
  expect(preview.body.html).toContain('李雷，您好');
  // The editor's unsaved source, for a sample customer in English.
  const draft = await stack.api('POST', '/templates/welcome/preview', {
    token: reviewer.token,
    body: {
      locale: 'en',
      source: {
        senderName: 'Shop',
        subject: 'Hi {{ customer.firstName }}',
        preheader: null,
        html: '<p>{{ customer.email }}</p>',
        text: null,
      },
    },
  });
  expect(draft.body).toMatchObject({
    versionId: null,
    customer: { id: null },
    subject: 'Hi Alex',
    text: expect.stringContaining('alex@example.com'),
  });

  const ledgerBefore = await stack.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from customer_messages');
  const sent = await stack.api('POST', '/templates/winBack/test-send', { token: author.token, body: { customerId: li } });
  expect(sent.status).toBe(200);
  const mail = await stack.mail.waitFor((m) => m.to.includes(author.email) && m.subject.startsWith('[TEST]'));
  expect(mail.subject).toBe('[TEST] 好久不见，送您一张优惠券');
  expect(mail.headers['x-opsflow-test']).toBe('true');
  expect(mail.from).toContain('拾光商城团队');
  expect(mail.html).toContain('李雷，您好');
  expect(mail.text).toContain('好久没见到您了');
  // The operator's test copy and the preview never carry the customer's own unsubscribe link (its token is theirs).
  const [own] = await stack.db.orm.em
    .getConnection()
    .execute<{ unsubscribe_token: string }[]>('select unsubscribe_token from customers where id = ?', [li]);
  expect(mail.html).not.toContain(own!.unsubscribe_token);
  expect(mail.text).not.toContain(own!.unsubscribe_token);
  expect(preview.body.html).not.toContain(own!.unsubscribe_token);
  expect(mail.html).toContain('http://opsflow.test/unsubscribe/preview');
  const ledgerAfter = await stack.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from customer_messages');
  expect(ledgerAfter[0]!.n).toBe(ledgerBefore[0]!.n);
});

test('each customer gets the live version in their language, else the platform default; the ledger says which version went out', async () => {
  expect(
    (
      await stack.api('PUT', '/policies/lifecycle', {
        token: author.token,
        body: {
          activationWindow: '7d',
          retentionPeriod: '30d',
          inactivity: '14d',
          winBackWait: '7d',
          couponValidity: '30d',
          nurture: {
            goal: 'monetized',
            staleAfter: '1d',
            steps: [{ name: 'welcome', after: '0s', template: 'welcome', category: 'marketing' }],
          },
        },
      })
    ).status,
  ).toBe(200);
  const people = [
    {
      externalId: `zh-${run}`,
      email: `zh-${run}@example.com`,
      name: '韩梅梅',
      locale: 'zh-CN',
      timezone: 'Asia/Shanghai',
      marketingConsent: true,
    },
    { externalId: `en-${run}`, email: `en-${run}@example.com`, name: 'Ada Lovelace', locale: 'en', marketingConsent: true },
    // Nothing in Japanese: the platform default (en).
    { externalId: `ja-${run}`, email: `ja-${run}@example.com`, name: 'Sato', locale: 'ja', marketingConsent: true },
  ];
  expect((await stack.api('POST', '/customers', { token: ingest.token, body: { customers: people } })).status).toBe(200);
  const at = new Date().toISOString();
  expect(
    (
      await stack.api('POST', '/events', {
        token: ingest.token,
        body: {
          events: people.map((p) => ({ externalId: p.externalId, type: 'signup', at, idempotencyKey: `${p.externalId}-signup` })),
        },
      })
    ).status,
  ).toBe(202);

  const zh = await stack.mail.waitFor((m) => m.to.includes(`zh-${run}@example.com`), 30_000);
  const en = await stack.mail.waitFor((m) => m.to.includes(`en-${run}@example.com`), 30_000);
  const ja = await stack.mail.waitFor((m) => m.to.includes(`ja-${run}@example.com`), 30_000);
  expect(zh.subject).toBe('欢迎加入拾光商城');
  expect(zh.from).toContain('拾光商城团队');
  expect(zh.html).toContain('<html lang="zh-CN">');
  expect(zh.html).toContain('韩梅梅，您好');
  expect(zh.text).toContain('您的账号已经开通');
  expect(zh.headers['list-unsubscribe']).toMatch(/^<http:\/\/opsflow\.test\/unsubscribe\/[0-9a-f]{64}>$/);
  expect(en.subject).toBe('Welcome to 拾光商城');
  expect(en.text).toContain('Hi Ada,');
  expect(en.html).toContain('<html lang="en">');
  expect(ja.subject).toBe('Welcome to 拾光商城');

  const ledger = await eventually(async () => {
    const rows = await stack.db.orm.em
      .getConnection()
      .execute<{ external_id: string; status: string; locale: string | null; version: number | null }[]>(
        `select c.external_id, m.status, m.locale, v.version from customer_messages m join customers c on c.id = m.customer_id
       left join message_template_versions v on v.id = m.template_version_id where c.external_id like ? order by c.external_id`,
        [`%-${run}`],
      );
    return rows.length === 3 && rows.every((r) => r.status === 'sent') && rows;
  }, 'three sends recorded');
  expect(ledger.map((r) => [r.external_id.split('-')[0], r.locale, r.version])).toEqual([
    ['en', 'en', 1],
    ['ja', 'en', 1],
    ['zh', 'zh-CN', 1],
  ]);
});

test('an approved campaign keeps the message template version it was approved with after the template changes', async () => {
  const approver = await stack.operator(['ops_manager'], 'Pete');
  const tag = `pin-${run}`;
  const imported = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: [
        {
          externalId: `${tag}-zh`,
          email: `${tag}-zh@example.com`,
          name: '王芳',
          locale: 'zh-CN',
          tags: [tag],
          marketingConsent: true,
          timezone: 'Asia/Shanghai',
        },
        {
          externalId: `${tag}-en`,
          email: `${tag}-en@example.com`,
          name: 'Grace Hopper',
          locale: 'en',
          tags: [tag],
          marketingConsent: true,
        },
      ],
    },
  });
  expect(imported.status).toBe(200);
  const liveBefore = Object.fromEntries(
    (await stack.api('GET', '/templates', { token: author.token })).body.items
      .find((t: { key: string }) => t.key === 'campaign')
      .locales.map((l: { locale: string; liveVersion: number }) => [l.locale, l.liveVersion]),
  );

  const created = await stack.api('POST', '/campaigns', {
    token: author.token,
    body: {
      name: `Pinned ${tag}`,
      budget: { total: 10, currency: 'USD', costPerSend: 0.01 },
      audience: { filters: { tags: [tag] } },
      message: { subject: '春季上新 {{firstName}}', body: '全场八折。\n\n周日截止。' },
      sendRate: 50,
      schedule: { startAt: new Date(Date.now() + 6_000).toISOString(), endAt: new Date(Date.now() + 3_600_000).toISOString() },
    },
  });
  expect(created.status).toBe(202);
  const task = await eventually(
    async () => (await stack.api('GET', `/tasks?entityId=${created.body.id}&status=open`, { token: approver.token })).body.items[0],
    'the campaign approval',
  );
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: approver.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  await eventually(
    async () => (await stack.api('GET', `/campaigns/${created.body.id}`, { token: author.token })).body.stage === 'scheduled',
    'scheduled',
  );

  // Before the launch, the campaign template changes in Chinese: the campaign still sends the version it was approved with.
  const v2 = await stack.api('POST', '/templates/campaign/zh-CN/versions', {
    token: author.token,
    body: {
      senderName: '拾光商城',
      subject: '【新版】{{ campaign.subject }}',
      preheader: null,
      html: '{% for p in campaign.paragraphs %}<p>{{ p }}</p>{% endfor %}',
      text: null,
      note: null,
    },
  });
  expect(v2.status).toBe(201);
  const review = await openTask(v2.body.id);
  expect((await stack.api('POST', `/tasks/${review.id}/complete`, { token: reviewer.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  await eventually(
    async () => (await stack.api('GET', `/template-versions/${v2.body.id}`, { token: author.token })).body.live,
    'the new version live',
  );

  const zh = await stack.mail.waitFor((m) => m.to.includes(`${tag}-zh@example.com`), 30_000);
  const en = await stack.mail.waitFor((m) => m.to.includes(`${tag}-en@example.com`), 30_000);
  expect(zh.subject).toBe('春季上新 王芳');
  expect(zh.html).toMatch(/<p[^>]*>全场八折。<\/p>/);
  expect(zh.html).toContain('<html lang="zh-CN">');
  expect(en.subject).toBe('春季上新 Grace');
  expect(en.html).toContain('<html lang="en">');
  // The ledger row is marked in the statement that marks the email sent, just after the mail server's answer.
  const ledger = await eventually(async () => {
    const rows = await stack.db.orm.em.getConnection().execute<{ locale: string; version: number }[]>(
      `select m.locale, v.version from customer_messages m join message_template_versions v on v.id = m.template_version_id
       where m.campaign_id = ? and m.status = 'sent' order by m.locale`,
      [created.body.id],
    );
    return rows.length === 2 && rows;
  }, 'both sends recorded');
  expect(ledger).toEqual([
    { locale: 'en', version: liveBefore.en },
    { locale: 'zh-CN', version: liveBefore['zh-CN'] },
  ]);
  // A campaign approved now gets the new one.
  const preview = await stack.api('POST', '/campaigns/preview', {
    token: author.token,
    body: {
      message: { subject: '春季上新', body: '全场八折。' },
      customerId: imported.body.items[0].id,
    },
  });
  expect(preview.body.subject).toBe('【新版】春季上新');
  await recordHistory(stack.env.client, campaignWorkflowId(created.body.id), 'campaign-template-pinned');
});

test("a message's own default language comes before the platform's for a customer whose language it lacks", async () => {
  const imported = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: { externalId: `ko-${run}`, email: `ko-${run}@example.com`, name: 'Kim', locale: 'ko' },
  });
  const kim = imported.body.items[0].id as string;
  const lang = async () =>
    (await stack.api('POST', '/templates/nudge/preview', { token: reviewer.token, body: { customerId: kim } })).body.locale;
  expect(await lang()).toBe('en'); // the platform's default
  expect((await stack.api('PUT', '/templates/nudge/default-locale', { token: reviewer.token, body: { locale: 'zh-CN' } })).status).toBe(
    403,
  );
  expect((await stack.api('PUT', '/templates/nudge/default-locale', { token: author.token, body: { locale: 'fr' } })).status).toBe(409); // none live in French
  expect((await stack.api('PUT', '/templates/nudge/default-locale', { token: author.token, body: { locale: 'zh-cn' } })).body).toEqual({
    key: 'nudge',
    defaultLocale: 'zh-CN',
  });
  expect(await lang()).toBe('zh-CN');
  expect(
    (await stack.api('GET', '/templates', { token: reviewer.token })).body.items.find((t: { key: string }) => t.key === 'nudge')
      .defaultLocale,
  ).toBe('zh-CN');
  // A customer with a language it has still gets theirs; clearing it brings the platform's back.
  expect((await stack.api('POST', '/templates/nudge/preview', { token: reviewer.token, body: { locale: 'en' } })).body.locale).toBe('en');
  expect(
    (await stack.api('PUT', '/templates/nudge/default-locale', { token: author.token, body: { locale: null } })).body.defaultLocale,
  ).toBeNull();
  expect(await lang()).toBe('en');
});
