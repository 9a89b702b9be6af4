// The campaign's state machine without Temporal: who may do what when, what an edit does, the approval tasks' four
// eyes, what a send pass leads to, and the A/B choice.
import type { SendPassResult } from '../../activities/campaign-sender.ts';
import type { Actor } from '../../domain/actors.ts';
import { approvedBy, Campaign } from '../../domain/campaign-state.ts';
import { DEFAULT_CAMPAIGN_APPROVAL_POLICY, EMPTY_COUNTS, type CampaignSpec } from '../../domain/campaign.ts';
import type { TaskView } from '../../domain/task-view.ts';

const now = Date.parse('2026-01-01T00:00:00.000Z');
const spec: CampaignSpec = {
  name: 'Spring',
  goals: [],
  budget: { total: 20_000, currency: 'USD', costPerSend: 1 },
  audience: { segment: 'champions' },
  message: { subject: 'Hi', body: 'Hello' },
  abTest: null,
  schedule: { startAt: '2026-02-01T00:00:00.000Z', endAt: '2026-03-01T00:00:00.000Z' },
  sendRate: 10,
  guards: [{ metric: 'unsubscribe_rate', above: 0.02, minSends: 200 }],
};
const actor = (id: string, ...roles: Actor['roles']): Actor => ({ id, name: id, roles });
const owner = actor('owner', 'analyst');
const campaign = (draft = false) => new Campaign({ campaignId: 'c1', ownerId: 'owner', spec, draft });
const pass = (over: Partial<SendPassResult>): SendPassResult => ({
  outcome: 'done',
  detail: null,
  guard: null,
  cursor: 10,
  counts: { ...EMPTY_COUNTS, sent: 10 },
  nextDeferredAt: null,
  ...over,
});

test('a draft is submitted once, by its creator or an admin', () => {
  const c = campaign(true);
  expect(c.submitRefusal({ actor: actor('x', 'ops_manager') })?.type).toBe('Forbidden');
  expect(c.submitRefusal({ actor: actor('boss', 'admin') })).toBeUndefined();
  c.submittedBy = owner;
  const again = c.submitRefusal({ actor: owner });
  expect(again).toMatchObject({ type: 'Conflict', message: expect.stringMatching(/only a draft/) });
});

test('before approval an edit changes everything and voids the round; once scheduled only the schedule moves', () => {
  const c = campaign();
  expect(c.edit({ ...spec, name: 'Summer' }, 'owner', now)).toBe('whole');
  expect(c.edited).toBe(true);
  expect(c.state.edits).toEqual([{ version: 2, operatorId: 'owner', at: new Date(now).toISOString() }]);
  expect(c.editRefusal({ spec, actor: owner, revision: 1 })?.message).toMatch(/since revision 1/);
  c.moveTo('scheduled', null, 'approved', now);
  expect(c.editRefusal({ spec: { ...spec, name: 'Autumn' }, actor: owner })?.message).toMatch(/only move its schedule/);
  const moved = { ...c.state.spec, schedule: { ...spec.schedule, startAt: '2026-02-02T00:00:00.000Z' } };
  expect(c.editRefusal({ spec: moved, actor: owner })).toBeUndefined();
  expect(c.edit(moved, 'owner', now)).toBe('schedule');
  c.launch(now);
  expect(c.editRefusal({ spec: moved, actor: owner })?.message).toBe('a launched campaign cannot be changed');
});

test('pausing needs ops_manager or admin and a running campaign; a spent budget cannot be resumed', () => {
  const c = campaign();
  expect(c.pauseRefusal({ actor: owner })?.type).toBe('Forbidden');
  expect(c.pauseRefusal({ actor: actor('ops', 'ops_manager') })?.message).toMatch(/only a running campaign/);
  c.moveTo('running', null, undefined, now);
  c.frozen({ audience: 30_000, test: 0 });
  expect(c.passed(pass({ outcome: 'budget', detail: 'spent', counts: { ...EMPTY_COUNTS, sent: 20_000 } }))).toEqual({
    step: 'pause',
    reason: 'budget',
    detail: 'spent',
  });
  c.pause('budget', 'spent', now);
  c.moveTo('paused', null, 'spent', now);
  expect(c.selfPauses).toBe(1);
  expect(c.resumeRefusal({ actor: owner })?.message).toMatch(/budget is spent/);
});

test('a closed stage is never left, except ended for reported', () => {
  const c = campaign();
  expect(c.moveTo('ended', 'owner', 'by hand', now)).toBe('pending_approval');
  expect(c.moveTo('running', null, undefined, now)).toBeNull();
  expect(c.moveTo('reported', null, undefined, now)).toBe('ended');
  expect(c.cancelRefusal({ actor: owner })?.message).toBe('a reported campaign can no longer be cancelled');
  expect(c.endRefusal({ actor: owner })?.message).toMatch(/only a running or paused campaign/);
});

test('the approval tasks: an admin too above the threshold, never the creator or the revision editor', () => {
  const c = campaign();
  c.edit({ ...spec }, 'editor', now);
  const round = c.approvalRound(DEFAULT_CAMPAIGN_APPROVAL_POLICY);
  expect(round.roles).toEqual(['ops_manager', 'admin']);
  expect(c.state.requiredRoles).toEqual(['ops_manager', 'admin']);
  const task = round.task('admin');
  expect(task).toMatchObject({ candidateRole: 'admin', priority: 'high', makers: ['owner', 'editor'] });
  expect(task.eligible(actor('owner', 'admin'))).toMatch(/creator never approves/);
  expect(task.eligible(actor('editor', 'admin'))).toMatch(/edited revision 2/);
  expect(task.eligible(actor('boss', 'admin'))).toBeUndefined();
  expect(round.stopped()).toBe(true); // the edit above voids the round until the main loop starts a new one
});

test('the scheduled stage is credited to the last approver', () => {
  const approvals = [
    { role: 'admin' as const, operatorId: 'b', at: '2026-01-02T00:00:00.000Z', comment: null },
    { role: 'ops_manager' as const, operatorId: 'a', at: '2026-01-01T00:00:00.000Z', comment: null },
  ];
  expect(approvedBy(approvals)).toEqual({ by: 'b', reason: 'approved by a (ops_manager), b (admin)' });
});

test('a rejection goes back to draft with its comment', () => {
  const c = campaign();
  const task = { decidedBy: 'ops', comment: 'too big', decidedAt: '2026-01-03T00:00:00.000Z' } as TaskView;
  expect(c.rejected(task)).toBe('rejected: too big');
  expect(c.state.rejection).toEqual({ operatorId: 'ops', comment: 'too big', at: task.decidedAt });
});

test('a guard that fired watches only what comes after, and quiet hours wait for the first recipient', () => {
  const c = campaign();
  c.moveTo('running', null, undefined, now);
  const figures = { hits: 5, base: 200, sent: 200 };
  const guard = { rule: spec.guards[0]!, figures };
  expect(c.passed(pass({ outcome: 'guard', detail: 'unsubscribes', guard })).step).toBe('pause');
  expect(c.sendPass('main', 'wf').guards).toEqual([{ ...spec.guards[0], baseline: figures }]);
  const until = '2026-01-01T08:00:00.000Z';
  expect(c.passed(pass({ nextDeferredAt: until }))).toEqual({ step: 'wait', until });
  expect(c.passed(pass({}))).toEqual({ step: 'done' });
  c.moveTo('paused', null, 'manual', now);
  expect(c.passed(pass({ outcome: 'guard', detail: 'late', guard }))).toEqual({ step: 'again' });
});

test('the A/B test: the test group apart, its end after the test duration, no winner once closed', () => {
  const ab = {
    variants: [
      { name: 'a', subject: 'A', body: 'A', split: 50 },
      { name: 'b', subject: 'B', body: 'B', split: 50 },
    ],
    testShare: 0.2,
    testDuration: '24h',
    winningMetric: 'clicks' as const,
  };
  const c = new Campaign({ campaignId: 'c2', ownerId: 'owner', spec: { ...spec, message: null, abTest: ab } });
  expect(c.launch(now).abTest).toEqual({
    testShare: 0.2,
    splits: [
      { name: 'a', split: 50 },
      { name: 'b', split: 50 },
    ],
  });
  c.frozen({ audience: 1000, test: 200 });
  expect(c.state.ab).toMatchObject({ testRecipients: 200, choice: null });
  expect(c.testEnds(now)).toBe('2026-01-02T00:00:00.000Z');
  expect(c.variantQuery()).toEqual({ campaignId: 'c2', variants: ['a', 'b'], metric: 'clicks' });
  const results = [
    { name: 'a', sent: 100, conversions: 0, clicks: 5, rate: 0.05 },
    { name: 'b', sent: 100, conversions: 0, clicks: 9, rate: 0.09 },
  ];
  expect(c.testResults(results)?.winner).toBe('b');
  c.moveTo('cancelled', 'owner', undefined, now);
  expect(c.testResults(results)).toBeNull();
});
