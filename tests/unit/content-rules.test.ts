import { requiredApprovals, tallyRound } from '../../domain/content.ts';

test('routing by tier: S two reviewers, A one, B none when clean and one when flagged', () => {
  expect(requiredApprovals('S', 'pass')).toBe(2);
  expect(requiredApprovals('S', 'flag')).toBe(2);
  expect(requiredApprovals('A', 'pass')).toBe(1);
  expect(requiredApprovals('B', 'pass')).toBe(0);
  expect(requiredApprovals('B', 'flag')).toBe(1);
});

const open = { status: 'open' as const, decision: null };
const done = (decision: string) => ({ status: 'completed' as const, decision });

test('a round waits for enough approvals and ends at the first reject or request for changes', () => {
  expect(tallyRound([open, open], 2)).toBe('pending');
  expect(tallyRound([done('approve'), open], 2)).toBe('pending');
  expect(tallyRound([done('approve'), done('approve')], 2)).toBe('approved');
  expect(tallyRound([done('approve'), done('reject')], 2)).toBe('rejected');
  expect(tallyRound([done('request_changes'), open], 2)).toBe('changes_requested');
  expect(tallyRound([done('request_changes'), done('reject')], 2)).toBe('rejected');
  expect(tallyRound([{ status: 'cancelled', decision: null }], 1)).toBe('pending');
});
