// Content review on the time-skipping server: hours and days pass in milliseconds. Activities are mocked at the
// boundary; everything else is the real workflow.
import { randomUUID } from 'node:crypto';
import { checkContent } from '../../activities/content-checks.ts';
import type { EmailRequest } from '../../activities/email.ts';
import type { ChannelPost } from '../../activities/content.ts';
import type { OpenedTask } from '../../activities/task-mail.ts';
import { getContentState, reschedule, submitRevision } from '../../workflows/content.messages.ts';
import type { ContentReviewInput } from '../../domain/content.ts';
import type { contentReview } from '../../workflows/content.ts';
import type { Actor } from '../../domain/actors.ts';
import type { TaskView } from '../../workflows/lib/tasks.ts';
import { completeTask } from '../../workflows/messages.ts';
import { TEST_RULES } from '../support/rules.ts';
import { timeSkippingSuite } from '../support/runtime.ts';
import { recordHistory } from '../support/histories.ts';

const suite = timeSkippingSuite({ serverPerTest: true }); // its tests terminate their workflows
const { withWorker } = suite;

const HOUR = 3_600_000;
const author: Actor = { id: randomUUID(), name: 'Mia', roles: ['ops_manager'] };
const rita: Actor = { id: randomUUID(), name: 'Rita', roles: ['reviewer'] };
const rob: Actor = { id: randomUUID(), name: 'Rob', roles: ['reviewer'] };

function fakeActivities() {
  const emails: EmailRequest[] = [];
  const announced: OpenedTask[] = [];
  const tasks = new Map<string, TaskView>();
  const posts: ChannelPost[] = [];
  return {
    emails,
    announced,
    tasks,
    posts,
    activities: {
      recordAudit: async () => {},
      saveContent: async () => {},
      saveTask: async (t: TaskView) => {
        tasks.set(t.id, t);
      },
      announceTask: async (t: OpenedTask) => {
        announced.push(t);
        return { sent: 0, recipients: 0 };
      },
      sendEmail: async (r: EmailRequest) => {
        emails.push(r);
        return { status: 'sent', messageId: 'm', recipients: [] };
      },
      runContentChecks: async (input: { title: string; body: string }) => checkContent(TEST_RULES, input),
      deliverToChannel: async (p: ChannelPost) => {
        posts.push(p);
        return { status: 'delivered', responseStatus: 200 };
      },
    },
  };
}

const input = (over: Partial<ContentReviewInput> = {}): ContentReviewInput => ({
  contentId: randomUUID(),
  authorId: author.id,
  title: 'Autumn sale',
  body: 'Everything is 20% off this weekend.',
  tier: 'A',
  channels: ['blog'],
  ...over,
});

const startReview = (taskQueue: string, over: Partial<ContentReviewInput> = {}) =>
  suite.env.client.workflow.start<typeof contentReview>('contentReview', {
    taskQueue,
    workflowId: `content-review:${randomUUID()}`,
    args: [input(over)],
  });

type ReviewHandle = Awaited<ReturnType<typeof startReview>>;

async function stageReached(handle: ReviewHandle, stage: string) {
  for (let i = 0; i < 100 && (await handle.query(getContentState)).stage !== stage; i++) await new Promise((r) => setTimeout(r, 50));
}

async function openTaskIds(handle: ReviewHandle, count: number) {
  for (let i = 0; i < 100; i++) {
    const { openTasks } = await handle.query(getContentState);
    if (openTasks.length === count) return openTasks.map((t) => t.id);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${count} open tasks`);
}

test('a task past its SLA escalates to ops_manager by email, stays open, and a later decision still counts', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReview(taskQueue, { tier: 'A' });
    const [taskId] = await openTaskIds(handle, 1);
    await suite.env.sleep(23 * HOUR);
    expect(fake.emails.filter((e) => e.template === 'taskEscalated')).toHaveLength(0);
    await suite.env.sleep(2 * HOUR);
    const escalations = fake.emails.filter((e) => e.template === 'taskEscalated');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.to).toEqual([{ role: 'ops_manager' }]);
    expect(fake.tasks.get(taskId!)).toMatchObject({ status: 'escalated' });
    const { openTasks } = await handle.query(getContentState);
    expect(openTasks.map((t) => t.status)).toEqual(['escalated']);

    await handle.executeUpdate(completeTask, { args: [{ taskId: taskId!, decision: 'approve', actor: rita }] });
    expect(await handle.result()).toMatchObject({ stage: 'published' });
    expect(fake.posts).toHaveLength(1);
    await recordHistory(suite.env.client, handle.workflowId, 'content-escalated-then-approved');
  });
});

test('reviewSla overrides the tier default; an S-tier round is announced and escalated as one', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReview(taskQueue, { tier: 'S', reviewSla: '30m' });
    const taskIds = await openTaskIds(handle, 2);
    await suite.env.sleep(31 * 60_000);
    // Both approvals' announcements and escalations carry the round: the ledger keys them by it, so each reviewer gets
    // one task email and the ops managers one escalation (the integration test counts the mails).
    const title = 'Review S-tier content "Autumn sale" (revision 1, 2 approvals)';
    expect(fake.announced.map((a) => ({ taskId: a.taskId, round: a.round, title: a.title }))).toEqual(
      taskIds.map((taskId) => ({ taskId, round: 'review-round-1', title })),
    );
    const escalations = fake.emails.filter((e) => e.template === 'taskEscalated');
    expect(escalations).toHaveLength(2);
    expect(new Set(escalations.map((e) => e.idempotencyKey))).toEqual(new Set([`${handle.workflowId}:task-escalated:review-round-1`]));
    expect(escalations.map((e) => (e.data as { taskTitle: string }).taskTitle)).toEqual([title, title]);
    await handle.terminate('test done');
  });
});

test('publishes at publishAt days ahead, or at the moved time, and never before', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const publishAt = new Date(start + 72 * HOUR).toISOString();
    const handle = await startReview(taskQueue, { tier: 'B', publishAt });
    await stageReached(handle, 'scheduled');
    await suite.env.sleep(48 * HOUR);
    expect(fake.posts).toHaveLength(0);
    const later = new Date(start + 96 * HOUR).toISOString();
    await handle.executeUpdate(reschedule, { args: [{ publishAt: later, actor: author }] });
    await suite.env.sleep(30 * HOUR);
    expect(fake.posts).toHaveLength(0);
    const result = await handle.result();
    expect(result.stage).toBe('published');
    expect(Date.parse(result.publishedAt!)).toBeGreaterThanOrEqual(Date.parse(later));
    expect(fake.posts).toHaveLength(1);
    expect(fake.emails.map((e) => e.template)).toEqual(['contentPublished']);
  });
});

test('changes requested in the last allowed round reject the content', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReview(taskQueue, { tier: 'A', maxRounds: 3 });
    for (let round = 1; round <= 3; round++) {
      const [taskId] = await openTaskIds(handle, 1);
      await handle.executeUpdate(completeTask, {
        args: [{ taskId: taskId!, decision: 'request_changes', comment: `round ${round}`, actor: round % 2 ? rita : rob }],
      });
      if (round < 3) {
        await stageReached(handle, 'changes_requested');
        await handle.executeUpdate(submitRevision, {
          args: [{ title: `Autumn sale v${round + 1}`, body: 'Everything is 20% off this weekend, really.', actor: author }],
        });
      }
    }
    const result = await handle.result();
    expect(result).toMatchObject({ stage: 'rejected', revision: 3 });
    expect(result.rejectionReason).toMatch(/last of 3 review rounds/);
    expect(fake.emails.map((e) => e.template)).toEqual(['changesRequested', 'changesRequested', 'contentRejected']);
    expect(fake.posts).toHaveLength(0);
  });
});

test('a revision is refused before changes were requested, and from anyone but the author', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReview(taskQueue, { tier: 'A' });
    const [taskId] = await openTaskIds(handle, 1);
    await expect(handle.executeUpdate(submitRevision, { args: [{ title: 'x', body: 'y', actor: author }] })).rejects.toMatchObject({
      cause: { type: 'Conflict' },
    });
    await handle.executeUpdate(completeTask, { args: [{ taskId: taskId!, decision: 'request_changes', actor: rita }] });
    await expect(handle.executeUpdate(submitRevision, { args: [{ title: 'x', body: 'y', actor: rob }] })).rejects.toMatchObject({
      cause: { type: 'Forbidden' },
    });
    const accepted = await handle.executeUpdate(submitRevision, {
      args: [{ title: 'Autumn sale v2', body: 'Everything is 20% off, 1-3 December.', actor: author }],
    });
    expect(accepted.revision).toBe(2);
    await handle.terminate('test done');
  });
});

test('four eyes hold even when a reviewer decides a task while it is still being opened', async () => {
  const fake = fakeActivities();
  // The second task's `task.opened` audit write hangs: the task is decidable, but open() has not returned yet.
  let opened = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const activities = {
    ...fake.activities,
    recordAudit: async (e: { action: string }) => {
      if (e.action === 'task.opened' && ++opened === 2) await gate;
    },
  };
  await withWorker(activities, async (taskQueue) => {
    const handle = await startReview(taskQueue, { tier: 'S' });
    for (let i = 0; i < 100 && (fake.tasks.size < 2 || opened < 2); i++) await new Promise((r) => setTimeout(r, 50));
    const [first, second] = [...fake.tasks.keys()];
    await handle.executeUpdate(completeTask, { args: [{ taskId: second!, decision: 'approve', actor: rita }] });
    await expect(
      handle.executeUpdate(completeTask, { args: [{ taskId: first!, decision: 'approve', actor: rita }] }),
    ).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
    release();
    await handle.executeUpdate(completeTask, { args: [{ taskId: first!, decision: 'approve', actor: rob }] });
    const result = await handle.result();
    expect(result.stage).toBe('published');
    const state = await handle.query(getContentState);
    expect(state.approvals.map((a) => a.reviewerId).sort()).toEqual([rita.id, rob.id].sort());
  });
});
