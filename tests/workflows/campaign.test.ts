// The campaign on the time-skipping server: days of schedule, A/B test and quiet hours pass in milliseconds.
// Activities are faked at the boundary; the fake send pass stops at the same gate as the real one (the stage the
// workflow last saved), so pause and resume run through the real workflow code.
import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import type { CampaignRecord, createCampaignActivities, FrozenAudience } from '../../activities/campaign.ts';
import type { SendPass, SendPassResult } from '../../activities/campaign-sender.ts';
import type { EmailRequest, EmailResult } from '../../activities/email.ts';
import { editCampaign, getCampaign, pauseCampaign, resumeCampaign } from '../../workflows/campaign.messages.ts';
import {
  DEFAULT_CAMPAIGN_APPROVAL_POLICY,
  DEFAULT_GUARDS,
  EMPTY_COUNTS,
  type CampaignInput,
  type CampaignReport,
  type CampaignSpec,
  type SendCounts,
  type VariantResult,
} from '../../domain/campaign.ts';
import type { campaign } from '../../workflows/campaign.ts';
import type { Actor } from '../../domain/actors.ts';
import type { TaskView } from '../../workflows/lib/tasks.ts';
import { completeTask } from '../../workflows/messages.ts';
import { recordHistory } from '../support/histories.ts';
import { timeSkippingSuite } from '../support/runtime.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/**
 * How late after its due time a timer-driven step may run: a workflow task and an activity or two, in real time (the
 * skipped clock runs in real time while they do), which took over a second at a load average of 30 on 2 cores; the
 * schedules under test are minutes to days apart.
 */
const SLACK = 10_000;

const suite = timeSkippingSuite({ serverPerTest: true }); // its tests terminate their workflows
const { withWorker } = suite;

const owner: Actor = { id: randomUUID(), name: 'Mia', roles: ['ops_manager'] };
const approver: Actor = { id: randomUUID(), name: 'Oli', roles: ['ops_manager'] };

type CampaignActivities = ReturnType<typeof createCampaignActivities>;
/** A call as the activity saw it: the server's (skipped) clock when the attempt was scheduled. */
interface Call<A> {
  at: number;
  args: A;
}

const serverNow = () => Context.current().info.currentAttemptScheduledTimestampMs;
const counts = (over: Partial<SendCounts> = {}): SendCounts => ({ ...EMPTY_COUNTS, audience: 1000, pending: 1000, ...over });
const passResult = (over: Partial<SendPassResult> = {}): SendPassResult => ({
  outcome: 'done',
  detail: null,
  guard: null,
  cursor: 1000,
  counts: counts({ sent: 1000, pending: 0 }),
  nextDeferredAt: null,
  ...over,
});

interface FakeOptions {
  /** The send pass; `n` counts calls from 0. The default sends everything at once. */
  pass?: (p: SendPass, n: number) => Promise<SendPassResult>;
  variantResults?: VariantResult[];
  freezeAudience?: () => Promise<FrozenAudience>;
}

function fakeActivities(opts: FakeOptions = {}) {
  const log: string[] = [];
  const saved: CampaignRecord[] = [];
  const tasks = new Map<string, TaskView>();
  const emails: EmailRequest[] = [];
  const freezes: Call<Parameters<CampaignActivities['freezeAudience']>[0]>[] = [];
  const passes: Call<SendPass>[] = [];
  const results: Call<Parameters<CampaignActivities['variantResults']>[0]>[] = [];
  const winners: Call<Parameters<CampaignActivities['assignWinner']>[0]>[] = [];
  const ledgerClosed: Call<Parameters<CampaignActivities['closeLedger']>[0]>[] = [];
  const reports: Call<Parameters<CampaignActivities['buildCampaignReport']>[0]>[] = [];
  /** The send gate: the stage of the highest version the workflow saved. */
  const gate = () => saved.reduce<CampaignRecord | null>((a, r) => (a && a.version > r.version ? a : r), null)?.stage;
  const campaignActivities = {
    saveCampaign: async (r: CampaignRecord) => {
      saved.push(r);
    },
    loadCampaignApprovalPolicy: async () => DEFAULT_CAMPAIGN_APPROVAL_POLICY,
    freezeAudience: async (args) => {
      freezes.push({ at: serverNow(), args });
      log.push('freezeAudience');
      return opts.freezeAudience ? opts.freezeAudience() : { audience: 1000, test: args.abTest ? 200 : 0 };
    },
    sendCampaignPass: async (p: SendPass) => {
      const n = passes.length;
      passes.push({ at: serverNow(), args: p });
      log.push(`sendCampaignPass:${p.phase}`);
      return opts.pass ? opts.pass(p, n) : passResult();
    },
    variantResults: async (args) => {
      results.push({ at: serverNow(), args });
      log.push('variantResults');
      return opts.variantResults ?? args.variants.map((name) => ({ name, sent: 100, conversions: 1, clicks: 5, rate: 0.01 }));
    },
    assignWinner: async (args) => {
      winners.push({ at: serverNow(), args });
      log.push(`assignWinner:${args.variant}`);
    },
    closeLedger: async (args) => {
      ledgerClosed.push({ at: serverNow(), args });
      log.push('closeLedger');
    },
    buildCampaignReport: async (args): Promise<CampaignReport> => {
      reports.push({ at: serverNow(), args });
      log.push('buildCampaignReport');
      return {
        campaignId: args.campaignId,
        name: args.spec.name,
        ownerId: args.ownerId,
        finalStage: args.finalStage,
        launchedAt: args.launchedAt,
        endedAt: args.endedAt,
        generatedAt: new Date(serverNow()).toISOString(),
        goals: [],
        sends: { audience: 1000, sent: 990, skipped: { unsubscribed: 10 }, deferredForQuietHours: 0, failed: 0, notSent: 0 },
        attribution: { conversions: 12, purchases: 12, gmv: 600, uv: 40, newUsers: 0, clicks: 30, conversionRate: 12 / 990 },
        money: { currency: 'USD', budget: 500, spend: 9.9, costPerSend: 0.01, gmv: 600, roi: (600 - 9.9) / 9.9 },
        abTest: null,
        timeline: args.timeline,
      };
    },
    // The template versions live at approval; the campaign sends these whatever changes later.
    pinCampaignTemplates: async () => ({ en: 'version-en-1', 'zh-CN': 'version-zh-1' }),
  } satisfies CampaignActivities;
  return {
    log,
    saved,
    tasks,
    emails,
    freezes,
    passes,
    results,
    winners,
    ledgerClosed,
    reports,
    gate,
    activities: {
      ...campaignActivities,
      recordAudit: async () => {},
      saveTask: async (t: TaskView) => {
        tasks.set(t.id, t);
      },
      announceTask: async () => ({ sent: 0, recipients: 0 }),
      sendEmail: async (r: EmailRequest): Promise<EmailResult> => {
        emails.push(r);
        return { status: 'sent', messageId: 'm', recipients: [] };
      },
    },
  };
}

type Fake = ReturnType<typeof fakeActivities>;

const iso = (ms: number) => new Date(ms).toISOString();

function specOf(startAt: number, endAt: number, over: Partial<CampaignSpec> = {}): CampaignSpec {
  return {
    name: 'Spring sale',
    goals: [],
    budget: { total: 500, currency: 'USD', costPerSend: 0.01 },
    audience: { segment: 'champions' },
    message: { subject: 'Hi {{firstName|there}}', body: '20% off this week' },
    abTest: null,
    schedule: { startAt: iso(startAt), endAt: iso(endAt) },
    sendRate: 50,
    guards: DEFAULT_GUARDS,
    ...over,
  };
}

const startCampaign = (taskQueue: string, spec: CampaignSpec) => {
  const campaignId = randomUUID();
  const input: CampaignInput = { campaignId, ownerId: owner.id, spec };
  return suite.env.client.workflow.start<typeof campaign>('campaign', { taskQueue, workflowId: `campaign:${campaignId}`, args: [input] });
};

type CampaignHandle = Awaited<ReturnType<typeof startCampaign>>;

/** Polls in real time (the server's clock is not skipped meanwhile) until `ok` holds. */
async function until(what: string, ok: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const stageReached = (handle: CampaignHandle, stage: string) =>
  until(`stage ${stage}`, async () => (await handle.query(getCampaign)).stage === stage);

/** The one open approval task, approved by someone who is not the owner. */
async function approve(handle: CampaignHandle, fake: Fake) {
  let task: TaskView | undefined;
  await until('the approval task', () => {
    task = [...fake.tasks.values()].find((t) => t.kind === 'campaign_approval' && t.status !== 'completed' && t.status !== 'cancelled');
    return task !== undefined;
  });
  await handle.executeUpdate(completeTask, { args: [{ taskId: task!.id, decision: 'approve', actor: approver }] });
}

const stagesOf = (s: { history: { to: string }[] }) => s.history.map((h) => h.to);

test('an approved campaign waits scheduled until startAt days ahead, then freezes its audience and sends', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const startAt = start + 3 * DAY;
    const handle = await startCampaign(taskQueue, specOf(startAt, startAt + 7 * DAY));
    await approve(handle, fake);
    await stageReached(handle, 'scheduled');

    await suite.env.sleep(startAt - MINUTE - (await suite.env.currentTimeMs()));
    expect((await handle.query(getCampaign)).stage).toBe('scheduled');
    expect(fake.freezes).toHaveLength(0);
    expect(fake.passes).toHaveLength(0);

    await suite.env.sleep(2 * MINUTE);
    const state = await handle.query(getCampaign);
    expect(state.stage).toBe('running');
    expect(fake.freezes).toHaveLength(1);
    expect(fake.freezes[0]!.at).toBeGreaterThanOrEqual(startAt);
    expect(fake.freezes[0]!.at).toBeLessThan(startAt + SLACK);
    expect(Date.parse(state.launchedAt!)).toBeGreaterThanOrEqual(startAt);
    expect(Date.parse(state.launchedAt!)).toBeLessThan(startAt + SLACK);
    expect(fake.passes.map((p) => [p.args.phase, p.args.fromSeq])).toEqual([['main', 0]]);
    expect(fake.passes[0]!.args.templates).toEqual({ en: 'version-en-1', 'zh-CN': 'version-zh-1' });
    expect(fake.passes[0]!.args.label).toEqual({ name: expect.any(String), endsAt: expect.any(String) });
    expect(fake.passes[0]!.at).toBeGreaterThanOrEqual(startAt);
    expect(fake.passes[0]!.at).toBeLessThan(startAt + SLACK);
    expect(state.approvals.map((a) => a.operatorId)).toEqual([approver.id]);
    await handle.terminate('test done');
  });
});

test('moving the schedule while scheduled moves the launch; any other edit is refused with Conflict', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const spec = specOf(start + 3 * DAY, start + 10 * DAY);
    const handle = await startCampaign(taskQueue, spec);
    await approve(handle, fake);
    await stageReached(handle, 'scheduled');
    await suite.env.sleep(2 * DAY);

    await expect(
      handle.executeUpdate(editCampaign, { args: [{ actor: owner, spec: { ...spec, budget: { ...spec.budget, total: 900 } } }] }),
    ).rejects.toMatchObject({ cause: { type: 'Conflict' } });
    await expect(
      handle.executeUpdate(editCampaign, {
        args: [{ actor: owner, spec: { ...spec, name: 'Renamed', schedule: { ...spec.schedule, startAt: iso(start + 4 * DAY) } } }],
      }),
    ).rejects.toMatchObject({ cause: { type: 'Conflict' } });

    const startAt = start + 5 * DAY;
    const moved = await handle.executeUpdate(editCampaign, {
      args: [{ actor: owner, spec: { ...spec, schedule: { ...spec.schedule, startAt: iso(startAt) } } }],
    });
    expect(moved).toMatchObject({ stage: 'scheduled', revision: 2, spec: { budget: { total: 500 }, name: 'Spring sale' } });
    expect(moved.spec.schedule.startAt).toBe(iso(startAt));

    await suite.env.sleep(start + 3 * DAY + HOUR - (await suite.env.currentTimeMs())); // past the old start: nothing
    expect((await handle.query(getCampaign)).stage).toBe('scheduled');
    expect(fake.freezes).toHaveLength(0);
    await suite.env.sleep(startAt - MINUTE - (await suite.env.currentTimeMs()));
    expect(fake.freezes).toHaveLength(0);
    expect(fake.passes).toHaveLength(0);

    await suite.env.sleep(2 * MINUTE);
    expect(fake.freezes).toHaveLength(1);
    expect(fake.freezes[0]!.at).toBeGreaterThanOrEqual(startAt);
    expect(fake.freezes[0]!.at).toBeLessThan(startAt + SLACK);
    expect(fake.passes).toHaveLength(1);
    expect(fake.passes[0]!.at).toBeLessThan(startAt + SLACK);
    expect((await handle.query(getCampaign)).stage).toBe('running');
    await handle.terminate('test done');
  });
});

test('A/B: the winner is picked test-duration after the test phase, gets the main phase, and the campaign ends at endAt', async () => {
  const fake = fakeActivities({
    variantResults: [
      { name: 'a', sent: 100, conversions: 2, clicks: 9, rate: 0.02 },
      { name: 'b', sent: 100, conversions: 5, clicks: 7, rate: 0.05 },
    ],
  });
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const startAt = start + HOUR;
    const endAt = start + 5 * DAY;
    const handle = await startCampaign(
      taskQueue,
      specOf(startAt, endAt, {
        message: null,
        abTest: {
          variants: [
            { name: 'a', split: 50, subject: 'Spring sale', body: '20% off' },
            { name: 'b', split: 50, subject: 'Your spring discount', body: '20% off, this week only' },
          ],
          testShare: 0.2,
          testDuration: '2d',
          winningMetric: 'conversions',
        },
      }),
    );
    await approve(handle, fake);
    await stageReached(handle, 'scheduled');
    await suite.env.sleep(startAt + MINUTE - (await suite.env.currentTimeMs()));

    expect(fake.freezes[0]!.args.abTest).toEqual({
      testShare: 0.2,
      splits: [
        { name: 'a', split: 50 },
        { name: 'b', split: 50 },
      ],
    });
    expect(fake.passes.map((p) => p.args.phase)).toEqual(['test']);
    const testPass = fake.passes[0]!;
    expect(testPass.at).toBeGreaterThanOrEqual(startAt);
    expect(testPass.at).toBeLessThan(startAt + SLACK);
    expect(Object.keys(testPass.args.messages)).toEqual(['a', 'b']);
    let state = await handle.query(getCampaign);
    expect(state.ab).toMatchObject({ testRecipients: 200, results: [], choice: null });
    // The test phase ended when its pass answered done: the results are read testDuration after that.
    const testEndsAt = Date.parse(state.ab!.testEndsAt!);
    expect(testEndsAt - testPass.at).toBeGreaterThanOrEqual(2 * DAY);
    expect(testEndsAt - testPass.at).toBeLessThan(2 * DAY + SLACK);

    await suite.env.sleep(testEndsAt - MINUTE - (await suite.env.currentTimeMs()));
    expect(fake.results).toHaveLength(0);
    expect(fake.winners).toHaveLength(0);
    expect(fake.passes).toHaveLength(1);

    await suite.env.sleep(2 * MINUTE);
    expect(fake.results).toHaveLength(1);
    expect(fake.results[0]!.at).toBeGreaterThanOrEqual(testEndsAt);
    expect(fake.results[0]!.at).toBeLessThan(testEndsAt + SLACK);
    expect(fake.results[0]!.args).toMatchObject({ variants: ['a', 'b'], metric: 'conversions' });
    expect(fake.winners.map((w) => w.args.variant)).toEqual(['b']);
    expect(fake.passes.map((p) => p.args.phase)).toEqual(['test', 'main']);
    expect(fake.log).toEqual(['freezeAudience', 'sendCampaignPass:test', 'variantResults', 'assignWinner:b', 'sendCampaignPass:main']);
    state = await handle.query(getCampaign);
    expect(state.stage).toBe('running');
    expect(state.ab!.choice).toMatchObject({ winner: 'b', runnerUp: 'a' });
    expect(state.ab!.choice!.margin).toBeCloseTo(0.03);
    expect(state.ab!.choice!.lift).toBeCloseTo(1.5);

    // Everything is sent; the campaign runs on by itself until endAt, not a moment before.
    await suite.env.sleep(endAt - MINUTE - (await suite.env.currentTimeMs()));
    expect((await handle.query(getCampaign)).stage).toBe('running');
    expect(fake.reports).toHaveLength(0);

    const result = await handle.result();
    expect(result.stage).toBe('reported');
    state = await handle.query(getCampaign);
    expect(stagesOf(state)).toEqual(['pending_approval', 'scheduled', 'running', 'ended', 'reported']);
    const ended = state.history.find((h) => h.to === 'ended')!;
    expect(ended.reason).toBe('the end time was reached');
    expect(Date.parse(ended.at)).toBeGreaterThanOrEqual(endAt);
    expect(Date.parse(ended.at)).toBeLessThan(endAt + SLACK);
    expect(Date.parse(state.endedAt!)).toBe(Date.parse(ended.at));
    expect(fake.ledgerClosed).toHaveLength(1);
    expect(fake.reports).toHaveLength(1);
    expect(fake.reports[0]!.at).toBeGreaterThanOrEqual(endAt);
    expect(fake.reports[0]!.args).toMatchObject({ finalStage: 'ended', launchedAt: state.launchedAt, ab: { choice: { winner: 'b' } } });
    expect(fake.log.slice(-2)).toEqual(['closeLedger', 'buildCampaignReport']);
    expect(fake.emails.filter((e) => e.template === 'campaignReport')).toHaveLength(1);
    expect(result.counts).toMatchObject({ audience: 1000, sent: 990, skipped: { unsubscribed: 10 }, spend: 9.9 });
    await recordHistory(suite.env.client, handle.workflowId, 'campaign-ab-reported');
  });
});

test('recipients in their quiet hours: the next pass starts from the beginning at nextDeferredAt, not earlier', async () => {
  let deferredUntil = 0;
  const fake = fakeActivities({
    pass: async (_p, n) => {
      if (n > 0) return passResult();
      deferredUntil = serverNow() + 8 * HOUR;
      return passResult({
        cursor: 1000,
        counts: counts({ sent: 700, pending: 0, deferred: 300, everDeferred: 300 }),
        nextDeferredAt: iso(deferredUntil),
      });
    },
  });
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const startAt = start + HOUR;
    const handle = await startCampaign(taskQueue, specOf(startAt, start + 3 * DAY));
    await approve(handle, fake);
    await stageReached(handle, 'scheduled');
    await suite.env.sleep(startAt + MINUTE - (await suite.env.currentTimeMs()));
    expect(fake.passes).toHaveLength(1);
    expect((await handle.query(getCampaign)).counts).toMatchObject({ sent: 700, deferred: 300 });

    await suite.env.sleep(deferredUntil - MINUTE - (await suite.env.currentTimeMs()));
    expect(fake.passes).toHaveLength(1);

    await suite.env.sleep(2 * MINUTE);
    expect(fake.passes).toHaveLength(2);
    const again = fake.passes[1]!;
    expect(again.at).toBeGreaterThanOrEqual(deferredUntil);
    expect(again.at).toBeLessThan(deferredUntil + SLACK);
    expect(again.args).toMatchObject({ phase: 'main', fromSeq: 0 });
    const state = await handle.query(getCampaign);
    expect(state.stage).toBe('running');
    expect(state.counts).toMatchObject({ sent: 1000, deferred: 0 });
    await handle.terminate('test done');
  });
});

test('approval given after endAt: the campaign ends without launching and without a report', async () => {
  const fake = fakeActivities();
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const endAt = start + DAY;
    const handle = await startCampaign(taskQueue, specOf(start + HOUR, endAt));
    await until('the approval task', () => fake.tasks.size > 0);
    await suite.env.sleep(2 * DAY);
    expect((await handle.query(getCampaign)).stage).toBe('pending_approval');

    await approve(handle, fake);
    const approvedAt = await suite.env.currentTimeMs();
    const result = await handle.result();
    expect(result.stage).toBe('ended');
    const state = await handle.query(getCampaign);
    expect(state.launchedAt).toBeNull();
    expect(stagesOf(state)).toEqual(['pending_approval', 'scheduled', 'ended']);
    expect(state.history.at(-1)!.reason).toBe('the end time passed before launch');
    expect(Date.parse(state.endedAt!)).toBeGreaterThanOrEqual(approvedAt - SLACK);
    expect(fake.freezes).toHaveLength(0);
    expect(fake.passes).toHaveLength(0);
    expect(fake.ledgerClosed).toHaveLength(0);
    expect(fake.reports).toHaveLength(0);
    expect(fake.emails.map((e) => e.template)).toEqual(['taskEscalated']);
  });
});

test('pause stops the pass at its cursor; resume sends on from that cursor', async () => {
  const gateAtStart: (string | undefined)[] = [];
  const fake: Fake = fakeActivities({
    pass: async (p, n) => {
      gateAtStart.push(fake.gate());
      if (n === 0) {
        // Sends until the gate closes, heartbeating like the real pass.
        for (let i = 0; i < 400 && fake.gate() === 'running'; i++) {
          Context.current().heartbeat({ cursor: 37 });
          await new Promise((r) => setTimeout(r, 25));
        }
        return passResult({
          outcome: 'stopped',
          detail: `the campaign is ${fake.gate()}`,
          cursor: 37,
          counts: counts({ sent: 37, pending: 963 }),
        });
      }
      if (fake.gate() !== 'running') {
        return passResult({
          outcome: 'stopped',
          detail: `the campaign is ${fake.gate()}`,
          cursor: p.fromSeq,
          counts: counts({ sent: 37, pending: 963 }),
        });
      }
      return passResult();
    },
  });
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const startAt = start + MINUTE;
    const handle = await startCampaign(taskQueue, specOf(startAt, start + 3 * DAY));
    await approve(handle, fake);
    await stageReached(handle, 'scheduled');
    await suite.env.sleep(startAt + 1000 - (await suite.env.currentTimeMs()));
    await until('the first pass', () => fake.passes.length === 1);

    const paused = await handle.executeUpdate(pauseCampaign, { args: [{ actor: owner, reason: 'wrong link' }] });
    // The answer waited for the pass to stop: its figures are in it.
    expect(paused).toMatchObject({ stage: 'paused', pause: { reason: 'manual', detail: 'wrong link' }, counts: { sent: 37 } });
    expect(gateAtStart[0]).toBe('running');

    await suite.env.sleep(HOUR);
    expect(fake.passes).toHaveLength(1);

    const resumed = await handle.executeUpdate(resumeCampaign, { args: [{ actor: owner }] });
    expect(resumed).toMatchObject({ stage: 'running', pause: null });
    await until('the campaign to send everything', async () => (await handle.query(getCampaign)).counts.sent === 1000);
    expect(fake.passes.length).toBeGreaterThanOrEqual(2);
    expect(fake.passes.slice(1).map((p) => p.args.fromSeq)).toEqual(fake.passes.slice(1).map(() => 37));
    expect(fake.passes.every((p) => p.args.phase === 'main')).toBe(true);
    expect(stagesOf(await handle.query(getCampaign))).toEqual(['pending_approval', 'scheduled', 'running', 'paused', 'running']);
    await recordHistory(suite.env.client, handle.workflowId, 'campaign-paused-resumed');
    await handle.terminate('test done');
  });
});

// The stage stays 'scheduled' while freezeAudience runs after the launch timer fired: a schedule move must be refused
// then, or it would answer a new startAt while the campaign launches at the old one.
test('a schedule move arriving after the launch timer fired (audience still freezing) is refused', async () => {
  let release!: () => void;
  const frozen = new Promise<void>((r) => {
    release = r;
  });
  const fake = fakeActivities({
    freezeAudience: async () => {
      await frozen;
      return { audience: 1000, test: 0 };
    },
  });
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const spec = specOf(start + HOUR, start + 3 * DAY);
    const handle = await startCampaign(taskQueue, spec);
    try {
      await approve(handle, fake);
      await stageReached(handle, 'scheduled');
      await suite.env.sleep(start + HOUR - (await suite.env.currentTimeMs()));
      await until('the launch to begin', () => fake.freezes.length === 1);
      const later = { ...spec, schedule: { ...spec.schedule, startAt: iso(start + 2 * DAY) } };
      await expect(handle.executeUpdate(editCampaign, { args: [{ actor: owner, spec: later }] })).rejects.toMatchObject({
        cause: { type: 'Conflict' },
      });
    } finally {
      release();
      await until('the first pass', () => fake.passes.length === 1).finally(() => handle.terminate('test done'));
    }
  });
});

// resumeCampaign sets the stage to 'running' before its write to the read model (the send gate) lands. A pass that
// read the gate first would stop at once and the next start with no wait: while the write is slow or retrying, the
// workflow would spin through send-pass activities, growing the history without bound. Passes wait for the write.
test('resume does not spin through send passes while the read model still says paused', async () => {
  let slowWrites = false;
  const fake: Fake = fakeActivities({
    pass: async (p, n) => {
      if (n === 0) {
        for (let i = 0; i < 400 && fake.gate() === 'running'; i++) {
          Context.current().heartbeat({ cursor: 37 });
          await new Promise((r) => setTimeout(r, 25));
        }
      }
      if (n === 0 || fake.gate() !== 'running') {
        return passResult({
          outcome: 'stopped',
          detail: `the campaign is ${fake.gate()}`,
          cursor: n === 0 ? 37 : p.fromSeq,
          counts: counts({ sent: 37, pending: 963 }),
        });
      }
      return passResult();
    },
  });
  const save = fake.activities.saveCampaign;
  // The 'running' write of the resume takes a second (a slow database, or a retry after a transient error).
  fake.activities.saveCampaign = async (r) => {
    if (slowWrites && r.stage === 'running') await new Promise((res) => setTimeout(res, 1000));
    return save(r);
  };
  await withWorker(fake.activities, async (taskQueue) => {
    const start = await suite.env.currentTimeMs();
    const handle = await startCampaign(taskQueue, specOf(start + MINUTE, start + 3 * DAY));
    try {
      await approve(handle, fake);
      await stageReached(handle, 'scheduled');
      await suite.env.sleep(start + MINUTE + 1000 - (await suite.env.currentTimeMs()));
      await until('the first pass', () => fake.passes.length === 1);
      await handle.executeUpdate(pauseCampaign, { args: [{ actor: owner }] });
      slowWrites = true;
      await handle.executeUpdate(resumeCampaign, { args: [{ actor: owner }] });
      await until('the campaign to send everything', async () => (await handle.query(getCampaign)).counts.sent === 1000);
      // One pass stopped by the pause, at most one more stopped by the stale gate, then the one that sends.
      expect(fake.passes.length).toBeLessThanOrEqual(3);
    } finally {
      await handle.terminate('test done');
    }
  });
});
