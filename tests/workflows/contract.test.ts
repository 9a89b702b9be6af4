// The contract workflow on the time-skipping server, its side effects faked at the activity boundary (the payout of
// a period is the real pure rule on a scripted GMV): a year of monthly payouts in both tier modes with the cap,
// renewal reminders on their days, signature reminders and expiry, a renewal continuing as term 2, a termination
// mid-period paid pro rata with the activation undone.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { EmailRequest } from '../../activities/email.ts';
import {
  amendContract,
  getContract,
  partnerSignContract,
  signContract,
  submitContract,
  terminateContract,
} from '../../workflows/contract.messages.ts';
import {
  addMonths,
  DEFAULT_CONTRACT_POLICY,
  periodPayout,
  type ContractPolicy,
  type ContractTerms,
  type PayoutRecord,
  type Period,
  type TierMode,
} from '../../domain/contract.ts';
import type { contract, ContractInput } from '../../workflows/contract.ts';
import { contractWorkflowId } from '../../domain/ids.ts';
import type { Actor } from '../../domain/actors.ts';
import type { TaskView } from '../../domain/task-view.ts';
import { completeTask } from '../../workflows/messages.ts';
import { recordHistory } from '../support/histories.ts';
import { timeSkippingSuite } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

const DAY = 86_400_000;
const suite = timeSkippingSuite();
const { withWorker } = suite;

const owner: Actor = { id: randomUUID(), name: 'Mia', roles: ['ops_manager'] };
const lawyer: Actor = { id: randomUUID(), name: 'Lee', roles: ['legal'] };
const admin: Actor = { id: randomUUID(), name: 'Ada', roles: ['admin'] };
const partner = { id: randomUUID(), name: 'Lin Creates', email: 'lin@partners.example.com' };
const TIERS = [
  { from: 0, to: 10_000, rate: 5 },
  { from: 10_000, to: 50_000, rate: 8 },
  { from: 50_000, to: null, rate: 10 },
];
/** GMV of the twelve months. */
const GMV = [0, 500, 1000, 5000, 10_000, 30_000, 50_000, 60_000, 12_000, 8000, 45_000, 100_000];

function fake(opts: { policy?: Partial<ContractPolicy>; gmv?: (p: Period) => number } = {}) {
  let start: number | null = null;
  const day = () => {
    const now = Context.current().info.currentAttemptScheduledTimestampMs;
    start ??= now;
    return (now - start) / DAY;
  };
  const tasks = new Map<string, TaskView>();
  const mails: { key: string; template: string; day: number }[] = [];
  const links: { round: number; day: number }[] = [];
  const evaluations: { period: Period; fraction: number; cutAt?: string; day: number }[] = [];
  const revoked: number[] = [];
  return {
    tasks,
    mails,
    links,
    evaluations,
    revoked,
    day0: () => start,
    activities: {
      loadContractPolicy: async () => {
        day();
        return { ...DEFAULT_CONTRACT_POLICY, ...opts.policy };
      },
      saveContract: async () => {},
      saveTask: async (t: TaskView) => {
        tasks.set(t.id, t);
      },
      announceTask: async () => ({ sent: 0, recipients: 0 }),
      recordAudit: async () => {},
      sendEmail: async (r: EmailRequest) => {
        mails.push({ key: r.idempotencyKey.split(':').slice(2).join(':'), template: r.template, day: day() });
        return { status: 'sent' as const, messageId: '<x@test>', recipients: ['x@example.com'] };
      },
      issueSignLink: async (a: { key: string; validFor: string; expiresAt: string }) => {
        const round = Number(a.key.split(':link:')[1]);
        links.push({ round, day: day() });
        const validFor = Number(a.validFor.replace('d', '')) * DAY;
        const now = Context.current().info.currentAttemptScheduledTimestampMs;
        return { tokenHash: `hash-${round}`, expiresAt: new Date(Math.min(now + validFor, Date.parse(a.expiresAt))).toISOString() };
      },
      activatePartnerCode: async (a: { term: number }) => ({ code: `P-TERM${a.term}` }),
      revokePartnerCode: async (a: { term: number }) => {
        revoked.push(a.term);
      },
      evaluateContractPeriod: async (a: {
        term: number;
        period: Period;
        fraction: number;
        cutAt?: string;
        terms: ContractTerms;
      }): Promise<PayoutRecord> => {
        evaluations.push({ period: a.period, fraction: a.fraction, cutAt: a.cutAt, day: day() });
        const gmv = opts.gmv?.(a.period) ?? GMV[a.period.index] ?? 0;
        const pay = periodPayout(a.terms, gmv, a.fraction);
        return {
          term: a.term,
          periodIndex: a.period.index,
          periodFrom: a.period.from,
          periodTo: a.period.to,
          fraction: a.fraction,
          fee: pay.fee,
          share: pay.share,
          milestones: 0,
          total: pay.total,
          tier: pay.tier,
          capped: pay.capped,
          score: null,
          actuals: { exposure: 0, clicks: 0, conversions: 0, gmv },
        };
      },
    },
  };
}
type Fake = ReturnType<typeof fake>;

const termsFrom = (start: number, over: Partial<ContractTerms> = {}, mode: TierMode = 'whole'): ContractTerms => ({
  scope: 'posts',
  deliverables: [],
  currency: 'USD',
  fee: 1000,
  revenueShare: { mode, tiers: TIERS, cap: 4000 },
  milestones: [],
  start: new Date(start).toISOString(),
  // Twelve calendar months, not 365 days: across a Feb 29 those differ by a day and the last period is cut.
  end: addMonths(new Date(start).toISOString(), 12),
  cadence: 'monthly',
  targets: {},
  renewalNotice: [90, 60, 30, 7],
  ...over,
});

/** Approves every open approval task (legal, and admin when asked), then both sign. */
async function agree(h: WorkflowHandle<typeof contract>, f: Fake): Promise<void> {
  await eventually(
    async () => [...f.tasks.values()].some((t) => t.kind === 'contract_approval' && t.status === 'open'),
    'the approval tasks',
  );
  for (const t of [...f.tasks.values()].filter((x) => x.kind === 'contract_approval' && x.status === 'open')) {
    await h.executeUpdate(completeTask, {
      args: [{ taskId: t.id, decision: 'approve', actor: t.candidateRole === 'legal' ? lawyer : admin }],
    });
  }
  await eventually(async () => (await h.query(getContract)).stage === 'awaiting_signatures', 'awaiting signatures');
  await h.executeUpdate(signContract, { args: [{ actor: owner }] });
  await eventually(async () => f.links.length > 0, 'the first link');
  await h.executeUpdate(partnerSignContract, { args: [{ tokenHash: `hash-${f.links.at(-1)!.round}` }] });
}

const start =
  (f: Fake, terms: ContractTerms, over: Partial<ContractInput> = {}) =>
  async (taskQueue: string) =>
    suite.env.client.workflow.start<typeof contract>('contract', {
      workflowId: contractWorkflowId(over.contractId ?? randomUUID()),
      taskQueue,
      args: [{ contractId: randomUUID(), partner, ownerId: owner.id, signerId: owner.id, terms, ...over }],
    });

for (const [mode, expected] of [
  ['whole', [1000, 1025, 1050, 1250, 1800, 3400, 5000, 5000, 1960, 1400, 4600, 5000]],
  ['marginal', [1000, 1025, 1050, 1250, 1500, 3100, 4700, 5000, 1660, 1400, 4300, 5000]],
] as const) {
  test(`a year of monthly evaluations pays the hand-computed ${mode} tiers with the cap; renewal reminders 90/60/30/7 days out`, async () => {
    const f = fake();
    await withWorker(f.activities, async (taskQueue) => {
      const now = await suite.env.currentTimeMs();
      const terms = termsFrom(now, {}, mode);
      const h = await start(f, terms)(taskQueue);
      await agree(h, f);
      const result = await h.result();
      // No renewal decision by the end: it ends.
      expect(result).toMatchObject({ stage: 'ended', term: 1 });
      const s = await h.query(getContract);
      expect(s.evaluations.map((e) => e.total)).toEqual(expected);
      expect(s.evaluations.filter((e) => e.capped).map((e) => e.periodIndex)).toEqual(mode === 'whole' ? [6, 7, 11] : [7, 11]);
      // Each evaluation at its period's end, exactly.
      for (const e of f.evaluations)
        expect(Math.round((f.day0()! + e.day * DAY) / 60_000)).toBe(Math.round(Date.parse(e.period.to) / 60_000));
      expect(f.evaluations.map((e) => e.fraction)).toEqual(Array(12).fill(1));
      const end = Date.parse(terms.end);
      const reminders = f.mails.filter((m) => m.template === 'contractRenewalReminder');
      expect(reminders.map((m) => [m.key, Math.round((end - (f.day0()! + m.day * DAY)) / DAY)])).toEqual([
        ['renewal:t1:90d', 90],
        ['renewal:t1:60d', 60],
        ['renewal:t1:30d', 30],
        ['renewal:t1:7d', 7],
      ]);
      expect([...f.tasks.values()].filter((t) => t.kind === 'contract_renewal').map((t) => t.status)).toEqual(['cancelled']);
      expect(f.revoked).toEqual([1]); // the tracking code is revoked at the end too
      if (mode === 'whole') await recordHistory(suite.env.client, h.workflowId, 'contract-year-ended');
    });
  });
}

test('the partner gets a new link every 3 days; an expired or replaced link is refused; unsigned after 10 days it expires', async () => {
  const f = fake({
    policy: { signatureReminderEvery: '3d', signatureExpiry: '10d', linkValidity: '2d', secondApprovalAbove: { USD: 1e9 } },
  });
  await withWorker(f.activities, async (taskQueue) => {
    const now = await suite.env.currentTimeMs();
    const h = await start(f, termsFrom(now))(taskQueue);
    await eventually(async () => [...f.tasks.values()].some((t) => t.kind === 'contract_approval'), 'the legal task');
    const legal = [...f.tasks.values()].find((t) => t.kind === 'contract_approval')!;
    await h.executeUpdate(completeTask, { args: [{ taskId: legal.id, decision: 'approve', actor: lawyer }] });
    await eventually(async () => (await h.query(getContract)).stage === 'awaiting_signatures', 'awaiting signatures');
    await h.executeUpdate(signContract, { args: [{ actor: owner }] });
    await suite.env.sleep(2.5 * DAY);
    await expect(h.executeUpdate(partnerSignContract, { args: [{ tokenHash: 'hash-1' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/expired/) },
    });
    await suite.env.sleep(DAY); // day 3.5: link 2 replaced link 1
    await expect(h.executeUpdate(partnerSignContract, { args: [{ tokenHash: 'hash-1' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/not valid/) },
    });
    expect(await h.result()).toMatchObject({ stage: 'expired' });
    const t0 = f.links[0]!.day;
    expect(f.links.map((l) => [l.round, Math.round(l.day - t0)])).toEqual([
      [1, 0],
      [2, 3],
      [3, 6],
      [4, 9],
    ]);
    expect(f.mails.filter((m) => m.template === 'contractSignatureExpired').map((m) => Math.round(m.day - t0))).toEqual([10]);
  });
});

test('renewed, the contract continues as term 2 (terms version 2) from where term 1 ended', async () => {
  const f = fake();
  const contractId = randomUUID();
  await withWorker(f.activities, async (taskQueue) => {
    const now = await suite.env.currentTimeMs();
    const terms = termsFrom(now, { end: new Date(now + 90 * DAY).toISOString(), renewalNotice: [30] });
    const h = await start(f, terms, { contractId })(taskQueue);
    await agree(h, f);
    await suite.env.sleep(61 * DAY); // past the 30-day reminder
    const renewal = [...f.tasks.values()].find((t) => t.kind === 'contract_renewal')!;
    expect(renewal).toMatchObject({ status: 'open', candidateRole: 'ops_manager', decisions: ['renew', 'renegotiate', 'expire'] });
    await h.executeUpdate(completeTask, { args: [{ taskId: renewal.id, decision: 'renew', actor: owner }] });
    const firstRun = (await h.describe()).runId;
    await suite.env.sleep(62 * DAY); // the end at day 90, then term 2's first month
    const next = suite.env.client.workflow.getHandle<typeof contract>(contractWorkflowId(contractId));
    const s = await next.query(getContract);
    expect(s).toMatchObject({ term: 2, termsVersion: 2, stage: 'active', trackingCode: 'P-TERM2', terms: { start: terms.end } });
    expect(Date.parse(s.terms.end) - Date.parse(s.terms.start)).toBe(90 * DAY);
    expect(s.evaluations.map((e) => [e.term, e.periodIndex])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 0],
    ]);
    expect(f.revoked).toEqual([1]);
    await recordHistory(suite.env.client, next.workflowId, 'contract-renewed-term-1', firstRun);
    await next.executeUpdate(terminateContract, { args: [{ actor: owner, reason: 'done' }] });
    await next.result(); // nothing left pending on the shared server: it would hold its clock
    await recordHistory(suite.env.client, next.workflowId, 'contract-renewed-term-2');
  });
});

test('terminated mid-period: the period is paid pro rata, the partner told, the activation undone', async () => {
  const f = fake({ gmv: () => 20_000 });
  await withWorker(f.activities, async (taskQueue) => {
    const h = await start(f, termsFrom(await suite.env.currentTimeMs()))(taskQueue);
    await agree(h, f);
    // Agreeing may let the time-skipping server pass a reminder's timer: the termination's time is read after it.
    const agreed = await suite.env.currentTimeMs();
    await suite.env.sleep(45 * DAY);
    const ended = await h.executeUpdate(terminateContract, { args: [{ actor: owner, reason: 'brand safety' }] });
    const terminatedAt = await suite.env.currentTimeMs();
    expect(ended.stage).toBe('terminated');
    const [, last] = ended.evaluations;
    const { period: p1, cutAt } = f.evaluations[1]!;
    // The period is cut when the termination came (between the sleep's end and the update's answer) ...
    expect(Date.parse(cutAt!)).toBeGreaterThanOrEqual(agreed + 45 * DAY);
    expect(Date.parse(cutAt!)).toBeLessThanOrEqual(terminatedAt);
    // ... and paid for the part of the period up to that cut.
    const expectedFraction = (Date.parse(cutAt!) - Date.parse(p1.from)) / (Date.parse(p1.to) - Date.parse(p1.from));
    expect(last!.fraction).toBeCloseTo(expectedFraction, 2);
    // Whole mode on 20,000: 8% = 1,600, under the pro-rata cap; the fee pro rata.
    expect(last!.share).toBe(Math.min(1600, Math.round(4000 * last!.fraction * 100) / 100));
    expect(last!.fee).toBe(Math.round(1000 * last!.fraction * 100) / 100);
    expect(f.mails.map((m) => m.template)).toContain('contractTerminated');
    expect(f.revoked).toEqual([1]);
    expect(await h.result()).toMatchObject({ stage: 'terminated' });
  });
});

test('a termination that interrupts activation still undoes it, nothing is activated or paid, and the partner is told', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const f = fake();
  const activate = f.activities.activatePartnerCode;
  f.activities.activatePartnerCode = async (a: { term: number }) => {
    await gate;
    return activate(a);
  };
  await withWorker(f.activities, async (taskQueue) => {
    const h = await start(f, termsFrom(await suite.env.currentTimeMs()))(taskQueue);
    await agree(h, f);
    const terminating = h.executeUpdate(terminateContract, { args: [{ actor: owner, reason: 'changed our minds' }] });
    await new Promise((r) => setTimeout(r, 300));
    release(); // the activation step in flight ends; the termination waited for it before undoing it
    const ended = await terminating;
    expect(ended).toMatchObject({ stage: 'terminated', activatedAt: null, evaluations: [] });
    expect(await h.result()).toMatchObject({ stage: 'terminated', paid: 0 });
    expect(f.revoked).toEqual([1]);
    expect(f.mails.map((m) => m.template)).not.toContain('contractActivated');
    expect(f.mails.map((m) => m.template)).toContain('contractTerminated');
    await recordHistory(suite.env.client, h.workflowId, 'contract-terminated-during-activation');
  });
});

test('renegotiated, the next term goes back through amendment, approval and both signatures before it is active', async () => {
  const f = fake();
  const contractId = randomUUID();
  await withWorker(f.activities, async (taskQueue) => {
    const now = await suite.env.currentTimeMs();
    const terms = termsFrom(now, { end: new Date(now + 60 * DAY).toISOString(), renewalNotice: [30] });
    const h = await start(f, terms, { contractId })(taskQueue);
    await agree(h, f);
    await suite.env.sleep(31 * DAY);
    const renewal = [...f.tasks.values()].find((t) => t.kind === 'contract_renewal')!;
    await h.executeUpdate(completeTask, { args: [{ taskId: renewal.id, decision: 'renegotiate', actor: owner }] });
    await suite.env.sleep(30 * DAY); // past the end: the next term waits in renegotiation
    const next = suite.env.client.workflow.getHandle<typeof contract>(contractWorkflowId(contractId));
    const waiting = await next.query(getContract);
    expect(waiting).toMatchObject({ stage: 'renegotiating', term: 2, signatures: { internal: null, partner: null }, trackingCode: null });
    const amended = await next.executeUpdate(amendContract, { args: [{ actor: owner, terms: { ...waiting.terms, fee: 2000 } }] });
    expect(amended).toMatchObject({ termsVersion: 3, terms: { fee: 2000 } });
    f.links.length = 0;
    await next.executeUpdate(submitContract, { args: [{ actor: owner }] });
    await agree(next, f);
    await eventually(async () => (await next.query(getContract)).stage === 'active', 'term 2 active');
    expect(await next.query(getContract)).toMatchObject({
      term: 2,
      trackingCode: 'P-TERM2',
      signatures: { internal: { operatorId: owner.id } },
    });
    await next.executeUpdate(terminateContract, { args: [{ actor: owner, reason: 'done' }] });
    await next.result();
  });
});

test('with approvals in order, the admin is asked only once legal has approved; the owner never approves', async () => {
  const f = fake({ policy: { approvalOrder: 'sequential', secondApprovalAbove: { USD: 100 } } });
  await withWorker(f.activities, async (taskQueue) => {
    const h = await start(f, termsFrom(await suite.env.currentTimeMs()))(taskQueue);
    await eventually(async () => f.tasks.size > 0, 'the legal task');
    const tasks = () => [...f.tasks.values()].filter((t) => t.kind === 'contract_approval');
    expect(tasks().map((t) => t.candidateRole)).toEqual(['legal']);
    const legal = tasks()[0]!;
    await expect(
      h.executeUpdate(completeTask, { args: [{ taskId: legal.id, decision: 'approve', actor: { ...owner, roles: ['legal'] } }] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/owner/) } });
    await h.executeUpdate(completeTask, { args: [{ taskId: legal.id, decision: 'approve', actor: lawyer }] });
    await eventually(async () => tasks().length === 2, 'the admin task');
    expect(tasks().map((t) => t.candidateRole)).toEqual(['legal', 'admin']);
    expect((await h.query(getContract)).approvals.map((a) => a.role)).toEqual(['legal']);
    await h.executeUpdate(completeTask, { args: [{ taskId: tasks()[1]!.id, decision: 'approve', actor: admin }] });
    await eventually(async () => (await h.query(getContract)).stage === 'awaiting_signatures', 'awaiting signatures');
    await h.executeUpdate(terminateContract, { args: [{ actor: owner, reason: 'not needed' }] });
    expect(await h.result()).toMatchObject({ stage: 'terminated', paid: 0 });
  });
});
