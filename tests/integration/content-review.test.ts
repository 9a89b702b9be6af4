// Content review end to end over HTTP: dev server, PostgreSQL, SMTP sink, webhook receiver.
import { createHmac } from 'node:crypto';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';
import { recordHistory } from '../support/histories.ts';

let stack: Stack;
let author: TestOperator;
let rita: TestOperator;
let rob: TestOperator;
const SECRET = 'channel-secret-0123456789';

async function submit(body: Record<string, unknown>, token = author.token) {
  const res = await stack.api('POST', '/content', {
    token,
    body: { title: 'Autumn sale', body: 'Everything is 20% off this weekend.', tier: 'A', channels: ['blog'], ...body },
  });
  expect(res.status).toBe(202);
  return res.body as { id: string; workflowId: string };
}

async function openTasks(contentId: string, count: number, token = rita.token) {
  return eventually(async () => {
    const res = await stack.api('GET', `/tasks?entityId=${contentId}&status=open`, { token });
    return res.body.items.length === count ? (res.body.items as { id: string }[]) : undefined;
  }, `${count} open tasks`);
}

const complete = (taskId: string, who: TestOperator, decision: string, comment?: string) =>
  stack.api('POST', `/tasks/${taskId}/complete`, { token: who.token, body: { decision, ...(comment ? { comment } : {}) } });

const stateOf = (id: string) => stack.api('GET', `/content/${id}`, { token: author.token }).then((r) => r.body);
const finalStage = (id: string, stage: string) =>
  eventually(async () => {
    const s = await stateOf(id);
    return s.stage === stage ? s : undefined;
  }, `stage ${stage}`);

beforeAll(async () => {
  stack = await startStack();
  author = await stack.operator(['ops_manager'], 'Mia');
  rita = await stack.operator(['reviewer'], 'Rita');
  rob = await stack.operator(['reviewer'], 'Rob');
  const channel = await stack.api('POST', '/channels', { body: { name: 'blog', url: stack.hooks.url('/blog'), secret: SECRET } });
  expect(channel.status).toBe(201);
});

afterAll(async () => {
  await stack?.close();
});

test('S-tier content needs two different reviewers, then is posted signed to the channel and the author is emailed', async () => {
  const { id, workflowId } = await submit({ tier: 'S', title: 'Four eyes' });
  const [first, second] = await openTasks(id, 2);

  const approved = await complete(first!.id, rita, 'approve', 'looks good');
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'completed', decision: 'approve', decidedBy: rita.id });

  // The same reviewer cannot give the second approval; a second completion of a decided task is a conflict.
  expect((await complete(second!.id, rita, 'approve')).status).toBe(403);
  expect((await complete(first!.id, rob, 'approve')).status).toBe(409);
  expect((await stateOf(id)).stage).toBe('in_review');

  expect((await complete(second!.id, rob, 'approve')).status).toBe(200);
  const hook = await stack.hooks.waitFor((h) => h.json?.data?.id === id);
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(String(hook.headers['x-opsflow-signature']))!;
  expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${hook.body}`).digest('hex'));
  expect(hook.headers['idempotency-key']).toBe(`${workflowId}:publish:blog`);
  expect(hook.json).toMatchObject({ event: 'content.published', data: { title: 'Four eyes', tier: 'S' } });

  const mail = await stack.mail.waitFor((m) => m.subject.includes('Published') && m.text.includes(id));
  expect(mail.to).toEqual([author.email]);
  const state = await finalStage(id, 'published');
  expect(state.approvals.map((a: { reviewerId: string }) => a.reviewerId).sort()).toEqual([rita.id, rob.id].sort());
  expect(state.deliveries).toEqual([{ channel: 'blog', status: 'delivered' }]);
  expect(state.people).toEqual({ [author.id]: 'Mia', [rita.id]: 'Rita', [rob.id]: 'Rob' });

  const audit = await stack.api('GET', `/audit?entityType=content&entityId=${id}`);
  const actions = audit.body.items.map((e: { action: string }) => e.action);
  expect(actions).toEqual(
    expect.arrayContaining([
      'content.submit',
      'content.checked',
      'content.in_review',
      'task.opened',
      'task.completed',
      'content.approved',
      'content.published',
      'content.delivery_delivered',
    ]),
  );
  const decisions = audit.body.items.filter((e: { action: string }) => e.action === 'task.completed');
  expect(decisions.map((e: { actorId: string }) => e.actorId).sort()).toEqual([rita.id, rob.id].sort());
  const list = await stack.api('GET', '/content?stage=published', { token: rita.token });
  expect(list.body.items.map((c: { id: string }) => c.id)).toContain(id);
  expect(stack.hooks.received('/blog').filter((h) => h.json?.data?.id === id)).toHaveLength(1);
  await recordHistory(stack.env.client, workflowId, 'content-s-tier-approved');
});

test('an author who is also a reviewer cannot approve their own content', async () => {
  const both = await stack.operator(['ops_manager', 'reviewer'], 'Both');
  const { id } = await submit({ tier: 'A' }, both.token);
  const [task] = await openTasks(id, 1, both.token);
  const res = await complete(task!.id, both, 'approve');
  expect(res.status).toBe(403);
  expect(res.body.error.message).toMatch(/own content/);
  const claim = await stack.api('POST', `/tasks/${task!.id}/claim`, { token: both.token });
  expect(claim.status).toBe(403);
});

test('roles, tokens and claims: 401 without a token, 403 for a wrong role, 409 when claimed by another', async () => {
  const { id } = await submit({ tier: 'A' });
  const [task] = await openTasks(id, 1);
  expect((await stack.api('POST', `/tasks/${task!.id}/complete`, { token: null, body: { decision: 'approve' } })).status).toBe(401);
  expect((await stack.api('GET', '/tasks', { token: 'opf_not-a-real-token' })).status).toBe(401);
  const legal = await stack.operator(['legal'], 'Lee');
  expect((await complete(task!.id, legal, 'approve')).status).toBe(403);
  expect((await stack.api('GET', `/tasks/${task!.id}`, { token: legal.token })).status).toBe(403);
  expect(
    (await stack.api('POST', '/content', { token: rita.token, body: { title: 't', body: 'b', tier: 'A', channels: ['blog'] } })).status,
  ).toBe(403);

  const claimed = await stack.api('POST', `/tasks/${task!.id}/claim`, { token: rita.token });
  expect(claimed.body).toMatchObject({ assigneeId: rita.id, status: 'open' });
  expect((await stack.api('POST', `/tasks/${task!.id}/claim`, { token: rob.token })).status).toBe(409);
  expect((await complete(task!.id, rob, 'approve')).status).toBe(409);
  const mine = await stack.api('GET', '/tasks?assignee=me', { token: rita.token });
  expect(mine.body.items.map((t: { id: string }) => t.id)).toContain(task!.id);
  expect((await stack.api('POST', `/tasks/${task!.id}/release`, { token: rob.token })).status).toBe(403);
  expect((await stack.api('POST', `/tasks/${task!.id}/release`, { token: rita.token })).body.assigneeId).toBeNull();
  expect((await complete(task!.id, rob, 'reject', 'off-brand')).status).toBe(200);
  const state = await finalStage(id, 'rejected');
  expect(state.rejectionReason).toBe('off-brand');
  await stack.mail.waitFor((m) => m.subject.includes('rejected') && m.text.includes('off-brand'));
});

test('request_changes, then a revision, then approval; approvals on the old revision do not count', async () => {
  const { id, workflowId } = await submit({ tier: 'S', title: 'Needs work' });
  const [a, b] = await openTasks(id, 2);
  expect((await complete(a!.id, rita, 'approve')).status).toBe(200);
  expect((await complete(b!.id, rob, 'request_changes', 'add the dates')).status).toBe(200);
  await finalStage(id, 'changes_requested');
  await stack.mail.waitFor((m) => m.subject.includes('Changes requested') && m.text.includes('add the dates'));

  expect((await stack.api('POST', `/content/${id}/revisions`, { token: rita.token, body: { title: 'x', body: 'y' } })).status).toBe(403);
  const revised = await stack.api('POST', `/content/${id}/revisions`, {
    token: author.token,
    body: { title: 'Needs work (dated)', body: 'Everything is 20% off, 1-3 December.' },
  });
  expect(revised.status).toBe(200);
  expect(revised.body.revision).toBe(2);
  expect(
    (await stack.api('POST', `/content/${id}/revisions`, { token: author.token, body: { title: 'again', body: 'again and again' } }))
      .status,
  ).toBe(409);

  const [c, d] = await openTasks(id, 2);
  expect((await complete(c!.id, rita, 'approve')).status).toBe(200);
  expect((await stateOf(id)).stage).toBe('in_review');
  expect((await complete(d!.id, rob, 'approve')).status).toBe(200);
  const state = await finalStage(id, 'published');
  expect(state.revision).toBe(2);
  expect(state.approvals.filter((x: { revision: number }) => x.revision === 2)).toHaveLength(2);
  const hook = await stack.hooks.waitFor((h) => h.json?.data?.id === id);
  expect(hook.json.data).toMatchObject({ revision: 2, title: 'Needs work (dated)' });
  await recordHistory(stack.env.client, workflowId, 'content-revision-approved');
});

test('an admin who revises content does not review that revision; other ops managers may not change it', async () => {
  const { id } = await submit({ tier: 'A', title: 'Admin fixes it' });
  const [first] = await openTasks(id, 1);
  expect((await complete(first!.id, rita, 'request_changes', 'fix the dates')).status).toBe(200);
  await finalStage(id, 'changes_requested');
  const other = await stack.operator(['ops_manager'], 'Otto');
  for (const [method, path, body] of [
    ['POST', `/content/${id}/revisions`, { title: 'x', body: 'y' }],
    ['PATCH', `/content/${id}/schedule`, { publishAt: null }],
    ['POST', `/content/${id}/withdraw`, {}],
  ] as const) {
    expect({ path, status: (await stack.api(method, path, { token: other.token, body })).status }).toEqual({ path, status: 403 });
  }
  const editor = await stack.operator(['admin', 'reviewer'], 'Ed');
  const revised = await stack.api('POST', `/content/${id}/revisions`, {
    token: editor.token,
    body: { title: 'Admin fixes it (dated)', body: 'Everything is 20% off, 1-3 December.' },
  });
  expect(revised).toMatchObject({ status: 200, body: { revision: 2, edits: [{ version: 2, operatorId: editor.id }] } });
  const [task] = await openTasks(id, 1);
  const own = await complete(task!.id, editor, 'approve');
  expect(own.status).toBe(403);
  expect(own.body.error.message).toBe('you submitted revision 2 of this content; someone else must review it');
  expect((await complete(task!.id, rob, 'approve')).status).toBe(200);
  expect((await finalStage(id, 'published')).approvals).toEqual([expect.objectContaining({ reviewerId: rob.id, revision: 2 })]);
  await stack.env.client.workflow.getHandle(`content-review:${id}`).result();
  await recordHistory(stack.env.client, `content-review:${id}`, 'content-admin-revision-approved');
  // The operators test below counts on a single active admin.
  expect((await stack.api('PATCH', `/operators/${editor.id}`, { body: { disabled: true } })).status).toBe(200);
});

test('content blocked by the checks is rejected at once and the author is told why', async () => {
  const { id, workflowId } = await submit({ tier: 'B', title: 'Win big', body: 'This is no scam, call +86 138 0013 8000 now.' });
  const state = await finalStage(id, 'rejected');
  expect(state.checks.outcome).toBe('block');
  const mail = await stack.mail.waitFor((m) => m.subject.includes('blocked') && m.text.includes('"scam"'));
  expect(mail.text).toMatch(/phone number/);
  expect((await stack.api('GET', `/tasks?entityId=${id}`)).body.total).toBe(0);
  await recordHistory(stack.env.client, workflowId, 'content-blocked');
});

test('B tier: clean content goes out without review; flagged content needs one reviewer', async () => {
  const clean = await submit({ tier: 'B', title: 'Clean B' });
  await finalStage(clean.id, 'published');
  const flagged = await submit({ tier: 'B', title: 'Flagged B', body: 'Details at https://elsewhere.test/offer for all.' });
  const [task] = await openTasks(flagged.id, 1);
  expect((await stack.api('GET', `/tasks/${task!.id}`, { token: rita.token })).body.payload.checks.outcome).toBe('flag');
  expect((await complete(task!.id, rita, 'approve')).status).toBe(200);
  await finalStage(flagged.id, 'published');
});

test('withdraw before the scheduled publish: nothing is posted; a published item cannot be withdrawn', async () => {
  const publishAt = new Date(Date.now() + 3_600_000).toISOString();
  const { id, workflowId } = await submit({ tier: 'A', title: 'Later', publishAt });
  const [task] = await openTasks(id, 1);
  expect((await complete(task!.id, rita, 'approve')).status).toBe(200);
  await finalStage(id, 'scheduled');
  const later = new Date(Date.now() + 7_200_000).toISOString();
  const moved = await stack.api('PATCH', `/content/${id}/schedule`, { token: author.token, body: { publishAt: later } });
  expect(moved.status).toBe(200);
  expect(moved.body.publishAt).toBe(later);
  expect(
    (await stack.api('PATCH', `/content/${id}/schedule`, { token: author.token, body: { publishAt: '2001-01-01T00:00:00Z' } })).status,
  ).toBe(422);
  const withdrawn = await stack.api('POST', `/content/${id}/withdraw`, { token: author.token, body: { reason: 'campaign cancelled' } });
  expect(withdrawn.status).toBe(200);
  expect(withdrawn.body.stage).toBe('withdrawn');
  expect(withdrawn.body.people).toEqual({ [author.id]: 'Mia', [rita.id]: 'Rita' });
  await eventually(
    async () => (await stack.env.client.workflow.getHandle(workflowId).describe()).status.name === 'COMPLETED',
    'workflow end',
  );
  expect(stack.hooks.received('/blog').filter((h) => h.json?.data?.id === id)).toHaveLength(0);
  expect((await stack.api('POST', `/content/${id}/withdraw`, { token: author.token, body: {} })).status).toBe(409);
  await recordHistory(stack.env.client, workflowId, 'content-withdrawn');
});

test('published content cannot be withdrawn or rescheduled; an over-long title is blocked by the checks, not a 500', async () => {
  const { id } = await submit({ tier: 'B', title: 'Out already' });
  await finalStage(id, 'published');
  const late = await stack.api('POST', `/content/${id}/withdraw`, { token: author.token, body: {} });
  expect(late.status).toBe(409);
  expect(late.body.error.message).toMatch(/already published/);
  expect((await stack.api('PATCH', `/content/${id}/schedule`, { token: author.token, body: { publishAt: null } })).status).toBe(409);

  const long = await submit({ tier: 'A', title: 'T'.repeat(300) });
  const state = await finalStage(long.id, 'rejected');
  expect(state.checks.findings[0].message).toBe('title is 300 characters; at most 120');
  expect((await stack.api('GET', `/content?stage=rejected`)).body.items.map((c: { id: string }) => c.id)).toContain(long.id);
});

test('maxRounds sets the review rounds: with one round, a request for changes rejects', async () => {
  const { id } = await submit({ tier: 'A', title: 'One shot', maxRounds: 1 });
  const [task] = await openTasks(id, 1);
  expect((await complete(task!.id, rita, 'request_changes', 'not this time')).status).toBe(200);
  const state = await finalStage(id, 'rejected');
  expect(state).toMatchObject({ maxRounds: 1, rejectionReason: 'changes were requested in the last of 1 review rounds' });
});

test('once a workflow is gone from Temporal (retention), GET /content/:id answers from the read model', async () => {
  const id = '0b6f4c2e-5d1a-4f7e-9c3b-8a2d1e0f9a77';
  await stack.db.orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into content (id, workflow_id, author_id, title, tier, channels, stage, revision, published_at, created_at, updated_at, version)
     values (?, ?, ?, 'Archived', 'A', '{blog}', 'published', 2, now(), now(), now(), 9)`,
      [id, `content-review:${id}`, author.id],
    );
  const res = await stack.api('GET', `/content/${id}`, { token: author.token });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ id, stage: 'published', revision: 2, title: 'Archived', body: null, source: 'read_model' });
});

test('the list finds content by text in its title, in any case, with LIKE wildcards matched as themselves', async () => {
  const conn = stack.db.orm.em.fork().getConnection();
  for (const title of ['Flash_deal of the week', 'Flashydeal', 'Winter coats']) {
    await conn.execute(
      `insert into content (id, workflow_id, author_id, title, tier, channels, stage, revision, created_at, updated_at, version)
       values (gen_random_uuid(), 'content-review:' || gen_random_uuid(), ?, ?, 'B', '{blog}', 'rejected', 1, now(), now(), 1)`,
      [author.id, title],
    );
  }
  const titles = async (q: string) => {
    const res = await stack.api('GET', `/content?q=${encodeURIComponent(q)}&stage=rejected&limit=500`, { token: rita.token });
    expect(res.status).toBe(200);
    return (res.body.items as { title: string }[]).map((c) => c.title).sort();
  };
  expect(await titles('FLASH')).toEqual(['Flash_deal of the week', 'Flashydeal']);
  expect(await titles('h_d')).toEqual(['Flash_deal of the week']);
  expect(await titles('%')).toEqual([]);
  expect((await stack.api('GET', `/content?q=${'x'.repeat(201)}`)).status).toBe(400);
});

test('malformed input gets a 400 or 422 naming the field, and nothing is started', async () => {
  const before = await stack.api('GET', '/content');
  const bad: [unknown, number, string][] = [
    [{ title: 'x', body: 'y', tier: 'Z', channels: ['blog'] }, 400, 'tier'],
    [{ title: 'x', body: 'y', tier: 'A', channels: [] }, 400, 'channels'],
    [{ title: 'x', body: 'y', tier: 'A', channels: ['blog'], extra: 1 }, 400, 'body'],
    [{ body: 'y', tier: 'A', channels: ['blog'] }, 400, 'title'],
    [{ title: 'x', body: 'y', tier: 'A', channels: ['blog'], reviewSla: 'soon' }, 400, 'reviewSla'],
    [{ title: 'x', body: 'y', tier: 'A', channels: ['blog'], publishAt: 'tomorrow' }, 400, 'publishAt'],
    [{ title: 'x', body: 'y', tier: 'A', channels: ['nowhere'] }, 422, 'channels[0]'],
    [{ title: 'x', body: 'y', tier: 'A', channels: ['blog'], publishAt: '2001-01-01T00:00:00Z' }, 422, 'publishAt'],
  ];
  for (const [body, status, field] of bad) {
    const res = await stack.api('POST', '/content', { token: author.token, body });
    expect({ body, status: res.status }).toEqual({ body, status });
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
  }
  const noChannel = await stack.api('POST', '/content', { token: author.token, body: { title: 'x', body: 'y', tier: 'A', channels: [] } });
  // Each reason carries its check's code and figures, for a client that says it in its own words (the console in
  // Chinese); a refusal of the API's own names its own code.
  expect(noChannel.body.error.fields).toEqual([
    {
      field: 'channels',
      message: 'choose at least one channel',
      code: 'too_small',
      params: { origin: 'array', minimum: 1, inclusive: true },
    },
  ]);
  const post = async (over: Record<string, unknown>) =>
    (await stack.api('POST', '/content', { token: author.token, body: { title: 'x', body: 'y', tier: 'A', channels: ['blog'], ...over } }))
      .body.error.fields;
  expect(await post({ publishAt: 'tomorrow' })).toContainEqual(
    expect.objectContaining({ field: 'publishAt', code: 'invalid_format', params: { format: 'datetime' } }),
  );
  expect(await post({ publishAt: '2001-01-01T00:00:00Z' })).toEqual([
    { field: 'publishAt', message: 'must be in the future', code: 'in_past' },
  ]);
  expect(await post({ title: 'x'.repeat(1001) })).toEqual([
    expect.objectContaining({ field: 'title', code: 'too_big', params: { origin: 'string', maximum: 1000, inclusive: true } }),
  ]);
  const notJson = await stack.api('POST', '/content', { token: author.token, raw: '{"title": ' });
  expect(notJson.status).toBe(400);
  const nul = await stack.api('POST', '/content', {
    token: author.token,
    body: { title: 'a\u0000b', body: 'y', tier: 'A', channels: ['blog'] },
  });
  expect(nul.body.error.fields).toEqual([{ field: 'title', message: 'must not contain NUL characters or unpaired surrogates' }]);
  const surrogate = await stack.api('POST', '/content', {
    token: author.token,
    raw: '{"title":"a\\ud800b","body":"y","tier":"A","channels":["blog"]}',
  });
  expect(surrogate.status).toBe(400);
  expect(surrogate.body.error.fields[0].field).toBe('title');
  expect((await stack.api('GET', '/audit?entityId=%00')).body.error.fields[0].field).toBe('query.entityId');
  const wrongMethod = await fetch(`${stack.baseUrl}/content`, { method: 'PUT', headers: { authorization: `Bearer ${author.token}` } });
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get('allow')).toBe('POST, GET, HEAD');
  expect((await stack.api('GET', '/health', { token: 'opf_expired-or-bogus' })).status).toBe(200);
  expect((await stack.api('POST', '/tasks/not-a-uuid/complete', { token: rita.token, body: { decision: 'approve' } })).status).toBe(400);
  expect(
    (await stack.api('POST', '/tasks/7d0d8b7e-1111-4c4c-9999-000000000000/complete', { token: rita.token, body: { decision: 'approve' } }))
      .status,
  ).toBe(404);
  const after = await stack.api('GET', '/content');
  expect(after.body.total).toBe(before.body.total);
});

test('operators: admins create, list, change roles, disable and rotate tokens; others may not', async () => {
  const created = await stack.api('POST', '/operators', { body: { name: 'Nia', email: 'nia@example.com', roles: ['reviewer'] } });
  expect(created.status).toBe(201);
  expect(created.body.token).toMatch(/^opf_/);
  expect((await stack.api('GET', '/operators/me', { token: created.body.token })).body.email).toBe('nia@example.com');
  expect((await stack.api('POST', '/operators', { body: { name: 'Nia', email: 'nia@example.com', roles: ['reviewer'] } })).status).toBe(
    409,
  );
  expect((await stack.api('POST', '/operators', { body: { name: 'X', email: 'x@example.com', roles: ['wizard'] } })).status).toBe(400);
  expect(
    (await stack.api('POST', '/operators', { token: rita.token, body: { name: 'X', email: 'x2@example.com', roles: ['admin'] } })).status,
  ).toBe(403);

  const patched = await stack.api('PATCH', `/operators/${created.body.id}`, { body: { roles: ['reviewer', 'legal'] } });
  expect(patched.body.roles).toEqual(['reviewer', 'legal']);
  const rotated = await stack.api('POST', `/operators/${created.body.id}/token`, { token: created.body.token });
  expect(rotated.status).toBe(201);
  expect((await stack.api('GET', '/operators/me', { token: created.body.token })).status).toBe(401);
  expect((await stack.api('GET', '/operators/me', { token: rotated.body.token })).status).toBe(200);
  expect((await stack.api('POST', `/operators/${rita.id}/token`, { token: rotated.body.token })).status).toBe(403);
  await stack.api('PATCH', `/operators/${created.body.id}`, { body: { disabled: true } });
  expect((await stack.api('GET', '/operators/me', { token: rotated.body.token })).status).toBe(401);
  expect((await stack.api('PATCH', `/operators/${stack.admin.id}`, { body: { disabled: true } })).status).toBe(409);

  // Two admins demoting each other at once: one wins, the other is told it would leave no admin; never a 500.
  const other = await stack.api('POST', '/operators', { body: { name: 'Ada', email: 'ada@example.com', roles: ['admin'] } });
  const [a, b] = await Promise.all([
    stack.api('PATCH', `/operators/${stack.admin.id}`, { token: other.body.token, body: { roles: ['reviewer'] } }),
    stack.api('PATCH', `/operators/${other.body.id}`, { body: { roles: ['reviewer'] } }),
  ]);
  expect([a.status, b.status].sort()).toEqual([200, 409].sort());
  const admins = (
    await stack.api('GET', '/operators?role=admin&disabled=false', { token: a.status === 200 ? other.body.token : stack.admin.token })
  ).body.items;
  expect(admins).toHaveLength(1);
  if (a.status === 200) await stack.api('PATCH', `/operators/${stack.admin.id}`, { token: other.body.token, body: { roles: ['admin'] } });

  const audit = await stack.api('GET', `/audit?entityType=operator&entityId=${created.body.id}`);
  expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
    'operator.created',
    'operator.updated',
    'operator.token_rotated',
    'operator.updated',
  ]);
  expect((await stack.api('GET', '/audit', { token: rita.token })).status).toBe(403);
});

test('a decision answers 504 when no worker answers in time, and is applied once when a worker returns', async () => {
  const { id } = await submit({ tier: 'A', title: 'No worker' });
  const [task] = await openTasks(id, 1);
  const impatient = await stack.serveApi(1500);
  await stack.stopWorker();
  try {
    const res = await impatient.api('POST', `/tasks/${task!.id}/complete`, { token: rita.token, body: { decision: 'approve' } });
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('timeout');
    expect((await stack.api('GET', `/tasks/${task!.id}`)).body.status).toBe('open');
  } finally {
    await impatient.close();
    await stack.startWorker();
  }
  // Temporal keeps the admitted update: the decision lands once, and a retry is told it is already decided.
  await finalStage(id, 'published');
  expect((await complete(task!.id, rita, 'approve')).status).toBe(409);
  const decisions = (await stack.api('GET', `/audit?entityType=content&entityId=${id}&action=task.completed`)).body.items;
  expect(decisions).toHaveLength(1);
});

test('health and the OpenAPI document are public', async () => {
  expect((await stack.api('GET', '/health', { token: null })).body).toMatchObject({
    ok: true,
    postgres: { ok: true },
    temporal: { ok: true },
  });
  const withPassword = await stack.api('POST', '/channels', { body: { name: 'secretive', url: 'https://user:pw@example.com/hook' } });
  expect(withPassword.status).toBe(400);
  expect(withPassword.body.error.fields[0].field).toBe('url');
  const doc = await stack.api('GET', '/openapi.json', { token: null });
  expect(doc.body.openapi).toBe('3.1.0');
  expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/content', '/tasks/{id}/complete', '/operators', '/audit']));
  expect(doc.body.paths['/content'].post.requestBody.content['application/json'].schema.required).toEqual(
    expect.arrayContaining(['title', 'tier']),
  );
});
