// The content review's state machine without Temporal: who may do what when, the reviewer tasks' four eyes, a
// round's outcome, and the rejection at the round limit.
import type { Actor } from '../../domain/actors.ts';
import { ContentReview } from '../../domain/content-state.ts';
import type { ContentReviewInput } from '../../domain/content.ts';
import type { TaskView } from '../../domain/task-view.ts';

const now = Date.parse('2026-01-01T00:00:00.000Z');
const input: ContentReviewInput = {
  contentId: 'k1',
  authorId: 'author',
  title: 'T',
  body: 'B',
  tier: 'S',
  channels: ['web'],
};
const actor = (id: string, ...roles: Actor['roles']): Actor => ({ id, name: id, roles });
const author = actor('author', 'analyst');
const task = (over: Partial<TaskView>): TaskView =>
  ({
    id: 't',
    kind: 'content_review',
    status: 'open',
    decision: null,
    decidedBy: null,
    assigneeId: null,
    payload: { round: 1 },
    ...over,
  }) as TaskView;

test('a revision is taken only after changes were requested, from the author or an admin, once', () => {
  const c = new ContentReview(input);
  expect(c.revisionRefusal({ actor: author })?.message).toMatch(/requested; the content is checking/);
  c.moveTo('changes_requested', null, now);
  expect(c.revisionRefusal({ actor: actor('x', 'reviewer') })?.type).toBe('Forbidden');
  expect(c.revisionRefusal({ actor: actor('boss', 'admin') })).toBeUndefined();
  c.revise('T2', 'B2', 'author', now);
  expect(c.state).toMatchObject({ revision: 2, round: 2, previous: { revision: 1, title: 'T', body: 'B' } });
  expect(c.revisionRefusal({ actor: author })?.type).toBe('Conflict');
  c.revisionTaken();
  expect(c.revisionPending).toBe(false);
});

test('a reschedule needs a future instant and content not yet final', () => {
  const c = new ContentReview(input);
  const past = '2025-12-31T00:00:00.000Z';
  expect(c.rescheduleRefusal({ publishAt: past, actor: author }, now)?.type).toBe('Unprocessable');
  expect(c.rescheduleRefusal({ publishAt: null, actor: author }, now)).toBeUndefined();
  c.moveTo('published', null, now);
  const refusal = c.rescheduleRefusal({ publishAt: null, actor: author }, now);
  expect(refusal?.message).toBe('the content is already published');
  expect(c.withdrawRefusal({ actor: author })?.message).toMatch(/only unpublished content can be withdrawn/);
  expect(c.moveTo('withdrawn', 'author', now)).toBe(false);
});

test('S tier needs two reviewers, never the author, the revision maker or one who holds the other slot', () => {
  const c = new ContentReview(input);
  c.checked({ outcome: 'pass', findings: [] }, now);
  expect(c.needReviews(now)).toBe(2);
  const open = [task({ id: 'other', assigneeId: 'r1' })];
  const spec = c.reviewTask(1, () => open);
  expect(spec).toMatchObject({ priority: 'high', sla: '4h' });
  expect(spec.title).toBe('Review S-tier content "T" (revision 1, approval 1 of 2)');
  const mine = task({ id: 'mine' });
  expect(spec.eligible(author, mine)).toBe('no one reviews their own content');
  expect(spec.eligible(actor('r1', 'reviewer'), mine)).toMatch(/second reviewer must decide/);
  expect(spec.eligible(actor('r2', 'reviewer'), mine)).toBeUndefined();
});

test('B tier with clean checks needs no reviewer; blocking findings reject with their messages', () => {
  const b = new ContentReview({ ...input, tier: 'B' });
  b.checked({ outcome: 'pass', findings: [] }, now);
  expect(b.needReviews(now)).toBe(0);
  expect(b.state.history.map((h) => h.event)).toEqual(['checked', 'auto_approved']);
  const blocked = new ContentReview(input);
  const findings = [
    { rule: 'banned_word' as const, severity: 'block' as const, message: 'no' },
    { rule: 'link' as const, severity: 'flag' as const, message: 'maybe' },
  ];
  blocked.checked({ outcome: 'block', findings }, now);
  expect(blocked.blocked()).toBe(true);
  expect(blocked.state.rejectionReason).toBe('no');
});

test('a round ends at a request for changes, and changes in the last round reject the content', () => {
  const c = new ContentReview({ ...input, tier: 'A', maxRounds: 1 });
  c.checked({ outcome: 'pass', findings: [] }, now);
  c.needReviews(now);
  const decided = [task({ status: 'completed', decision: 'request_changes', decidedBy: 'r1', comment: 'shorter' })];
  expect(c.tally(decided)).toBe('changes_requested');
  expect(c.reviewed(decided, 'changes_requested')).toBe('changes_requested');
  expect(c.state.rejectionReason).toBe('shorter');
  expect(c.finalRejection('changes_requested')).toEqual({
    by: 'round_limit',
    reason: 'changes were requested in the last of 1 review rounds',
  });
});
