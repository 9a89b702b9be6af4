// Who may claim, release, assign or decide a human task: the role first, then the task's state, then the family's
// own rule (`eligible`), with the reason the API answers.
import { assignRefusal, claimRefusal, completeRefusal, releaseRefusal, type TaskFacts } from '../../domain/task-rules.ts';
import type { Actor } from '../../domain/actors.ts';

const actor = (id: string, ...roles: Actor['roles']): Actor => ({ id, name: id, roles });
const rev = actor('rev', 'reviewer');
const task = (over: Partial<TaskFacts> = {}): TaskFacts => ({
  id: 't1',
  status: 'open',
  assigneeId: null,
  candidateRole: 'reviewer',
  ...over,
});
const anyone = () => undefined;

test("a claim needs the role before anything about the task is told; then it must be open and nobody else's", () => {
  expect(claimRefusal(task({ status: 'completed' }), actor('x', 'legal'), anyone)).toEqual({
    type: 'Forbidden',
    message: 'task t1 needs the reviewer role',
  });
  expect(claimRefusal(task({ status: 'cancelled' }), rev, anyone)?.message).toBe('task t1 is already cancelled');
  expect(claimRefusal(task({ assigneeId: 'other' }), rev, anyone)?.message).toBe('task t1 is claimed by another operator');
  expect(claimRefusal(task(), rev, () => 'you wrote it')).toEqual({ type: 'Forbidden', message: 'you wrote it' });
  // A claim of one's own task again is fine, whatever the family's rule says.
  expect(claimRefusal(task({ assigneeId: 'rev' }), rev, () => 'you wrote it')).toBeUndefined();
});

test('a decision must be one the task takes, and the family may refuse it for this decision only', () => {
  const eligible = (_: Actor, decision?: string) => (decision === 'approve' ? 'you edited it' : undefined);
  expect(completeRefusal(task(), rev, 'maybe', ['approve', 'reject'], eligible)).toEqual({
    type: 'Unprocessable',
    message: 'decision must be one of: approve, reject',
  });
  expect(completeRefusal(task(), rev, 'approve', ['approve', 'reject'], eligible)?.message).toBe('you edited it');
  expect(completeRefusal(task(), rev, 'reject', ['approve', 'reject'], eligible)).toBeUndefined();
});

test('only the assignee or an admin releases a claimed, open task', () => {
  expect(releaseRefusal(task(), rev)?.message).toBe('task t1 is not claimed');
  expect(releaseRefusal(task({ assigneeId: 'other' }), rev)?.type).toBe('Forbidden');
  expect(releaseRefusal(task({ assigneeId: 'other' }), actor('a', 'admin'))).toBeUndefined();
});

test("an ops manager assigns to someone with the role whom the family's rule lets take it, in their words", () => {
  const lead = actor('lead', 'ops_manager');
  expect(assignRefusal(task(), rev, rev, anyone)?.message).toBe('only an ops manager or an admin assigns tasks');
  expect(assignRefusal(task(), lead, actor('x', 'legal'), anyone)?.message).toBe('the assignee needs the reviewer role');
  expect(assignRefusal(task({ assigneeId: 'rev' }), lead, rev, anyone)?.message).toBe('task t1 is already theirs');
  expect(assignRefusal(task(), lead, rev, () => 'you wrote it')).toEqual({
    type: 'Unprocessable',
    message: 'the assignee may not take this task: they wrote it',
  });
  expect(assignRefusal(task(), lead, rev, anyone)).toBeUndefined();
});
