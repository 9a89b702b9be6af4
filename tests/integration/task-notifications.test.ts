// Task-open emails: the operators a task is for are emailed a link to it in the console, once per task and operator
// (across retries), unless they turned it off for themselves; the inbox lists the most urgent first.
import type { Transporter } from 'nodemailer';
import { createTaskMailActivities, ROUND_MAIL_WAIT_MS, type OpenedTask } from '../../activities/task-mail.ts';
import { claimMail } from '../../db/email-outbox.ts';
import { createMailer } from '../../runtime/mailer.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { recordHistory } from '../support/histories.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let author: TestOperator;
let rita: TestOperator;
let rob: TestOperator;
let lena: TestOperator;

const submit = async (body: Record<string, unknown>) => {
  const res = await stack.api('POST', '/content', {
    token: author.token,
    body: { body: 'Everything is 20% off this weekend.', tier: 'A', channels: ['blog'], ...body },
  });
  expect(res.status).toBe(202);
  return res.body as { id: string; workflowId: string };
};

const openTask = (contentId: string) =>
  eventually(async () => {
    const res = await stack.api('GET', `/tasks?entityId=${contentId}&status=open`, { token: rita.token });
    return res.body.items[0] as { id: string; title: string } | undefined;
  }, 'the review task');

const mailsTo = (op: TestOperator, taskId: string) =>
  stack.mail.messages().filter((m) => m.to.includes(op.email) && m.text.includes(taskId));

beforeAll(async () => {
  stack = await startStack();
  author = await stack.operator(['ops_manager'], 'Mia');
  rita = await stack.operator(['reviewer'], 'Rita');
  rob = await stack.operator(['reviewer'], 'Rob');
  lena = await stack.operator(['legal'], 'Lena');
  const channel = await stack.api('POST', '/channels', {
    body: { name: 'blog', url: stack.hooks.url('/blog'), secret: 'channel-secret-0123456789' },
  });
  expect(channel.status).toBe(201);
});

afterAll(async () => {
  await stack?.close();
});

test('an operator turns task emails off and on for themself only', async () => {
  expect(await stack.api('GET', '/operators/me/preferences', { token: rob.token })).toEqual({ status: 200, body: { taskEmails: true } });
  expect(await stack.api('PATCH', '/operators/me/preferences', { token: rob.token, body: { taskEmails: false } })).toEqual({
    status: 200,
    body: { taskEmails: false },
  });
  expect((await stack.api('GET', '/operators/me/preferences', { token: rob.token })).body).toEqual({ taskEmails: false });
  // Someone else's setting is untouched; nothing but the known settings is accepted.
  expect((await stack.api('GET', '/operators/me/preferences', { token: rita.token })).body).toEqual({ taskEmails: true });
  expect((await stack.api('PATCH', '/operators/me/preferences', { token: rob.token, body: {} })).status).toBe(400);
  expect((await stack.api('PATCH', '/operators/me/preferences', { token: rob.token, body: { taskEmails: 'no' } })).status).toBe(400);
  expect(
    (await stack.api('PATCH', '/operators/me/preferences', { token: rob.token, body: { taskEmails: true, roles: ['admin'] } })).status,
  ).toBe(400);
  expect((await stack.api('PATCH', '/operators/me/preferences', { token: null, body: { taskEmails: true } })).status).toBe(401);
  const audit = await stack.api('GET', `/audit?entityId=${rob.id}`);
  expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('operator.preferences_changed');
});

test('a task opening emails its role a link to it in the console; who turned it off, other roles and the author get none', async () => {
  const { id, workflowId } = await submit({ title: 'Winter sale notice' });
  const task = await openTask(id);
  const mail = await stack.mail.waitFor((m) => m.to.includes(rita.email) && m.text.includes(task.id));
  expect(mail.subject).toContain('Winter sale notice');
  expect(mail.to).toEqual([rita.email]);
  expect(mail.text).toContain(`http://opsflow.test/console/inbox/${task.id}`);
  expect(mail.html).toContain(`http://opsflow.test/console/inbox/${task.id}`);
  // The due time as people write it, and the Chinese half with the role, priority and due time in its words.
  expect(mail.text).toMatch(/Priority normal, due \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\./);
  expect(mail.text).toMatch(/审核员角色有一项新任务/);
  expect(mail.text).toMatch(/优先级：普通，截止时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC。/);
  // The send is audited on the content; give the workflow a moment to have sent anything more before looking for none.
  await eventually(async () => {
    const res = await stack.api('GET', `/audit?entityId=${id}&action=email.sent`);
    return res.body.items.some((e: { details: { template: string } }) => e.details.template === 'taskOpened');
  }, 'the audited send');
  await new Promise((r) => setTimeout(r, 500));
  expect(mailsTo(rita, task.id)).toHaveLength(1);
  expect(mailsTo(rob, task.id)).toEqual([]);
  expect(mailsTo(lena, task.id)).toEqual([]);
  expect(mailsTo(author, task.id)).toEqual([]);

  // A run with the mail in its history, for the replay test.
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: rita.token, body: { decision: 'approve' } })).status).toBe(200);
  await eventually(async () => (await stack.api('GET', `/content/${id}`, { token: author.token })).body.stage === 'published', 'published');
  await stack.env.client.workflow.getHandle(workflowId).result();
  await recordHistory(stack.env.client, workflowId, 'content-task-open-emailed');

  // Turned back on, Rob hears of the next task.
  await stack.api('PATCH', '/operators/me/preferences', { token: rob.token, body: { taskEmails: true } });
  const next = await openTask((await submit({ title: 'Spring sale notice' })).id);
  await stack.mail.waitFor((m) => m.to.includes(rob.email) && m.text.includes(next.id));
});

test('an author who is also a reviewer is not emailed the task about their own content', async () => {
  const both = await stack.operator(['ops_manager', 'reviewer'], 'Remy');
  const res = await stack.api('POST', '/content', {
    token: both.token,
    body: { title: 'Own notice', body: 'Everything is 20% off this weekend.', tier: 'A', channels: ['blog'] },
  });
  expect(res.status).toBe(202);
  const task = await openTask(res.body.id);
  await stack.mail.waitFor((m) => m.to.includes(rita.email) && m.text.includes(task.id));
  await eventually(async () => {
    const audit = await stack.api('GET', `/audit?entityId=${res.body.id}&action=email.sent`);
    return audit.body.items.some((e: { details: { template: string } }) => e.details.template === 'taskOpened');
  }, 'the audited send');
  await new Promise((r) => setTimeout(r, 500));
  expect(mailsTo(both, task.id)).toEqual([]);
  expect(mailsTo(rita, task.id)).toHaveLength(1);
  // Withdrawn, and Remy's emails off, so the tests after it count the reviewers they expect.
  expect((await stack.api('POST', `/content/${res.body.id}/withdraw`, { token: both.token, body: {} })).status).toBeLessThan(300);
  expect((await stack.api('PATCH', '/operators/me/preferences', { token: both.token, body: { taskEmails: false } })).status).toBe(200);
});

test('an S-tier review opens two approvals and each reviewer is emailed once for the round, under its title', async () => {
  const { id } = await submit({ title: 'Flagship launch', tier: 'S' });
  const tasks = await eventually(async () => {
    const res = await stack.api('GET', `/tasks?entityId=${id}&status=open`, { token: rita.token });
    return res.body.items.length === 2 ? (res.body.items as { id: string; title: string }[]) : undefined;
  }, 'the two approvals');
  expect(tasks.map((t) => t.title).sort()).toEqual([
    'Review S-tier content "Flagship launch" (revision 1, approval 1 of 2)',
    'Review S-tier content "Flagship launch" (revision 1, approval 2 of 2)',
  ]);
  const ofRound = (op: TestOperator) =>
    stack.mail.messages().filter((m) => m.to.includes(op.email) && m.subject.includes('Flagship launch'));
  await eventually(async () => {
    const audit = await stack.api('GET', `/audit?entityId=${id}&action=email.sent`);
    const sent = audit.body.items.filter((e: { details: { template: string } }) => e.details.template === 'taskOpened');
    return sent.length === 2 && ofRound(rita).length === 1 && ofRound(rob).length === 1;
  }, 'one mail to each reviewer');
  await new Promise((r) => setTimeout(r, 1000)); // both approvals' announcements have run by now
  for (const reviewer of [rita, rob]) {
    const mails = ofRound(reviewer);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('[opsflow] New task / 新任务: Review S-tier content "Flagship launch" (revision 1, 2 approvals)');
    // The link goes to one of the round's approvals (whichever announcement sent it); the task page lists the other.
    const linked = /console\/inbox\/([0-9a-f-]{36})/.exec(mails[0]!.text)?.[1];
    expect(tasks.map((t) => t.id)).toContain(linked);
  }
  expect(ofRound(author)).toEqual([]);
  // Two reviewers approve, one approval each: published.
  expect((await stack.api('POST', `/tasks/${tasks[0]!.id}/complete`, { token: rita.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  expect((await stack.api('POST', `/tasks/${tasks[1]!.id}/complete`, { token: rob.token, body: { decision: 'approve' } })).status).toBe(
    200,
  );
  await eventually(async () => (await stack.api('GET', `/content/${id}`, { token: author.token })).body.stage === 'published', 'published');
});

test('each operator is emailed once per task, even when an attempt fails halfway and is retried', async () => {
  // A mail server that refuses the second mail of the first attempt once (a dropped connection: retryable).
  const real = createMailer(stack.mail.smtpUrl);
  let calls = 0;
  const flaky = {
    sendMail: async (m: Parameters<Transporter['sendMail']>[0]) => {
      calls += 1;
      if (calls === 2) throw new Error('connection reset');
      return real.sendMail(m);
    },
  } as unknown as Transporter;
  const task: OpenedTask = {
    taskId: crypto.randomUUID(),
    workflowId: `content-review:${crypto.randomUUID()}`,
    title: 'Retried announcement',
    candidateRole: 'reviewer',
    assigneeId: null,
    priority: 'normal',
    dueAt: null,
  };
  const deps = { orm: stack.db.orm, from: 'opsflow <opsflow@test>', publicUrl: 'http://opsflow.test' };
  const { announceTask } = createTaskMailActivities({ ...deps, mailer: flaky });
  await expect(announceTask(task)).rejects.toThrow('connection reset');
  // The retry (and a late duplicate attempt) send only what the first did not.
  const retried = await announceTask(task);
  const again = await createTaskMailActivities({ ...deps, mailer: real }).announceTask(task);
  expect(retried.recipients).toBe(2);
  expect(retried.sent + again.sent).toBe(1);
  expect(again.sent).toBe(0);
  await eventually(async () => mailsTo(rita, task.taskId).length === 1 && mailsTo(rob, task.taskId).length === 1, 'both mails');
  await new Promise((r) => setTimeout(r, 300));
  expect(mailsTo(rita, task.taskId)).toHaveLength(1);
  expect(mailsTo(rob, task.taskId)).toHaveLength(1);
  real.close();
});

test("a round's announcement sends the mail another of its announcements died holding, once that lease is out", async () => {
  const real = createMailer(stack.mail.smtpUrl);
  const deps = { orm: stack.db.orm, from: 'opsflow <opsflow@test>', publicUrl: 'http://opsflow.test', mailer: real };
  const { announceTask } = createTaskMailActivities(deps);
  const workflowId = `content-review:${crypto.randomUUID()}`;
  const round = 'review-round-1';
  const task = (title: string): OpenedTask => ({
    taskId: crypto.randomUUID(),
    workflowId,
    title,
    candidateRole: 'reviewer',
    assigneeId: null,
    priority: 'high',
    dueAt: null,
    round,
  });
  /** The first approval's announcement claimed the reviewer's mail of the round and died: nothing was sent. */
  const heldBy = (op: TestOperator, leaseSeconds: number) => {
    const key = `${workflowId}:task-opened:${round}:${op.id}`;
    return claimMail(stack.db.orm, {
      key,
      messageId: `<${key}@test>`,
      workflowId,
      template: 'taskOpened',
      subject: 'held',
      recipients: [op.email],
      leaseSeconds,
    });
  };
  const ofRound = (op: TestOperator) => stack.mail.messages().filter((m) => m.to.includes(op.email) && m.subject.includes('Held round'));

  // Rita's mail is held for a second more: the second approval's announcement waits it out and sends it.
  expect(await heldBy(rita, 1)).toBe(1);
  const second = await announceTask(task('Held round (approval 2)'));
  expect(second).toEqual({ sent: 2, recipients: 2 });
  await eventually(async () => ofRound(rita).length === 1 && ofRound(rob).length === 1, 'both mails');

  // Held for longer than the announcement waits (ROUND_MAIL_WAIT_MS): the attempt fails, for Temporal to retry after
  // the lease, rather than end as if the mail had gone.
  const later = `${workflowId}-later`;
  const other: OpenedTask = { ...task('Held round again'), workflowId: later };
  const key = `${later}:task-opened:${round}:${rob.id}`;
  await claimMail(stack.db.orm, {
    key,
    messageId: `<${key}@test>`,
    workflowId: later,
    template: 'taskOpened',
    subject: 'held',
    recipients: [rob.email],
    leaseSeconds: 60,
  });
  const started = Date.now();
  await expect(announceTask(other)).rejects.toMatchObject({ type: 'LeaseHeld' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(ROUND_MAIL_WAIT_MS);
  expect(stack.mail.messages().filter((m) => m.to.includes(rob.email) && m.subject.includes('Held round again'))).toEqual([]);
  real.close();
});

test('the inbox lists the most urgent first, then by due time, and "active" shows open and escalated tasks', async () => {
  // Due times opposite to the priorities: the order can only come from the priority.
  const low = await submit({ title: 'Low one https://elsewhere.test/x', tier: 'B', reviewSla: '1h' });
  const high = await submit({ title: 'High one', tier: 'S', reviewSla: '3d' });
  const normal = await submit({ title: 'Normal one', tier: 'A', reviewSla: '2d' });
  const ids = [high.id, normal.id, low.id];
  const listed = await eventually(async () => {
    const res = await stack.api('GET', '/tasks?status=active&limit=100', { token: rita.token });
    const ours = (res.body.items as { entityId: string; priority: string }[]).filter((t) => ids.includes(t.entityId));
    return ours.length === 4 ? ours : undefined; // S-tier opens two
  }, 'four tasks');
  expect(listed.map((t) => t.priority)).toEqual(['high', 'high', 'normal', 'low']);
  expect(listed.map((t) => t.entityId)).toEqual([high.id, high.id, normal.id, low.id]);
});

test("an ops manager assigns a task to someone with its role, who is emailed once; the task's own rules and the role are checked", async () => {
  // An admin here: an ops manager assigns only the tasks they may see (their role's), knowing an id grants nothing.
  const outsider = await stack.operator(['ops_manager'], 'Otto');
  const manager = await stack.operator(['admin'], 'Max');
  const sam = await stack.operator(['reviewer'], 'Sam');
  const { id, workflowId } = await submit({ title: 'Assigned review' });
  const task = await openTask(id);
  expect((await stack.api('GET', `/tasks/${task.id}/candidates`, { token: outsider.token })).status).toBe(403);
  expect((await stack.api('POST', `/tasks/${task.id}/assign`, { token: outsider.token, body: { operatorId: sam.id } })).status).toBe(403);
  const candidates = await stack.api('GET', `/tasks/${task.id}/candidates`, { token: manager.token });
  expect(candidates.body.items.map((o: { name: string }) => o.name)).toEqual(expect.arrayContaining(['Rita', 'Rob', 'Sam']));
  expect(candidates.body.items.map((o: { name: string }) => o.name)).not.toContain('Lena');

  // Who may assign, to whom.
  expect((await stack.api('POST', `/tasks/${task.id}/assign`, { token: rita.token, body: { operatorId: sam.id } })).status).toBe(403);
  const noRole = await stack.api('POST', `/tasks/${task.id}/assign`, { token: manager.token, body: { operatorId: lena.id } });
  expect(noRole.status).toBe(422);
  expect(noRole.body.error.message).toContain('the assignee needs the reviewer role');

  const assigned = await stack.api('POST', `/tasks/${task.id}/assign`, { token: manager.token, body: { operatorId: sam.id } });
  expect(assigned.status).toBe(200);
  expect(assigned.body).toMatchObject({ assigneeId: sam.id, status: 'open' });
  const mail = await stack.mail.waitFor((m) => m.to.includes(sam.email) && m.subject.startsWith('[opsflow] Assigned to you'));
  expect(mail.text).toContain('Max assigned you the task "Review A-tier content "Assigned review" (revision 1)"');
  expect(mail.text).toContain(`http://opsflow.test/console/inbox/${task.id}`);
  expect((await stack.api('POST', `/tasks/${task.id}/assign`, { token: manager.token, body: { operatorId: sam.id } })).status).toBe(409);
  // Others no longer claim it; Sam decides it.
  expect((await stack.api('POST', `/tasks/${task.id}/claim`, { token: rita.token })).status).toBe(409);
  expect((await stack.api('POST', `/tasks/${task.id}/complete`, { token: sam.token, body: { decision: 'approve' } })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 500));
  expect(stack.mail.messages().filter((m) => m.to.includes(sam.email) && m.subject.startsWith('[opsflow] Assigned to you'))).toHaveLength(
    1,
  );
  const trail = (await stack.api('GET', `/audit?entityId=${id}&limit=100`)).body.items.map((e: { action: string }) => e.action);
  expect(trail).toContain('task.assigned');
  await eventually(
    async () => (await stack.env.client.workflow.getHandle(workflowId).describe()).status.name === 'COMPLETED',
    'the review done',
  );
  await recordHistory(stack.env.client, workflowId, 'content-task-assigned');
});
