// The contract's state machine without Temporal: who may change it when, what a change does, the stage moves, the
// term's calendar and the next term.
import { Contract, newContractState, type NewContract } from '../../domain/contract-state.ts';
import type { Actor } from '../../domain/actors.ts';
import type { ContractTerms } from '../../domain/contract.ts';

const at = '2026-01-01T00:00:00.000Z';
const terms: ContractTerms = {
  scope: 'promotion',
  deliverables: [],
  currency: 'USD',
  fee: 1000,
  revenueShare: { mode: 'whole', tiers: [], cap: null },
  milestones: [],
  start: '2026-01-01T00:00:00.000Z',
  end: '2026-04-01T00:00:00.000Z',
  cadence: 'monthly',
  targets: {},
  renewalNotice: [30, 7],
};
const input: NewContract = {
  contractId: 'c1',
  partner: { id: 'p1', name: 'Acme', email: 'a@acme.test' },
  ownerId: 'owner',
  signerId: 'signer',
  terms,
};
const actor = (id: string, ...roles: Actor['roles']): Actor => ({ id, name: id, roles });
const owner = actor('owner', 'ops_manager');
const contract = (over: Partial<NewContract> = {}) => new Contract(newContractState({ ...input, ...over }, at));

test('a new contract starts in approval (or as a draft) with its creation in the history', () => {
  expect(contract().state).toMatchObject({ stage: 'in_approval', term: 1, termsVersion: 1, value: 3000 });
  expect(contract({ draft: true }).state.history).toEqual([{ at, from: null, to: 'draft', actorId: 'owner' }]);
});

test('only the owner or an admin amends, before signing, and a stale version is refused', () => {
  const c = contract({ draft: true });
  expect(c.amendRefusal({ actor: actor('other', 'legal'), termsVersion: undefined })?.type).toBe('Forbidden');
  expect(c.amendRefusal({ actor: actor('boss', 'admin'), termsVersion: undefined })).toBeUndefined();
  expect(c.amendRefusal({ actor: owner, termsVersion: 2 })).toMatchObject({
    type: 'Conflict',
    message: expect.stringContaining('version 2'),
  });
  c.amend(owner, { ...terms, fee: 2000 }, at);
  expect(c.state).toMatchObject({ termsVersion: 2, value: 6000, approvals: [] });
  expect(c.state.edits).toEqual([{ version: 2, operatorId: 'owner', at }]);
  expect(c.amended).toBe(true);
  c.moveTo('awaiting_signatures', null, at);
  expect(c.amendRefusal({ actor: owner, termsVersion: undefined })?.message).toMatch(/before signing/);
});

test('a final stage is never left', () => {
  const c = contract();
  expect(c.moveTo('terminated', 'owner', at, 'stop')).toBe('in_approval');
  expect(c.moveTo('active', null, at)).toBeNull();
  expect(c.state.stage).toBe('terminated');
});

test('the internal signer signs first; the partner only with the link that works, before it expires', () => {
  const c = contract();
  expect(c.signRefusal({ actor: actor('signer', 'legal') })?.type).toBe('Conflict');
  c.moveTo('awaiting_signatures', null, at);
  expect(c.signRefusal({ actor: actor('other', 'legal') })?.type).toBe('Forbidden');
  expect(c.partnerSignRefusal({ tokenHash: 'hash' }, 0)?.type).toBe('Conflict'); // no internal signature yet
  c.signInternally(actor('signer', 'legal'), at);
  expect(c.partnerSignRefusal({ tokenHash: 'any' }, 0)).toBeUndefined(); // a link being issued: the API's check stands
  c.linkHash = 'abc';
  c.state.signatures.link = { round: 1, sentAt: at, expiresAt: '2026-01-08T00:00:00.000Z' };
  expect(c.partnerSignRefusal({ tokenHash: 'abd' }, 0)?.message).toMatch(/not valid/);
  expect(c.partnerSignRefusal({ tokenHash: 'abc' }, Date.parse('2026-01-08T00:00:00.000Z'))?.message).toMatch(/expired/);
  expect(c.partnerSignBlocked('abc', 0)).toBeUndefined();
  c.signByPartner({ name: 'Ann', ip: null, userAgent: null }, at);
  expect(c.linkHash).toBeNull();
  expect(c.partnerSignRefusal({ tokenHash: 'abc' }, 0)?.message).toMatch(/already signed/);
});

test('termination is refused twice and once final', () => {
  const c = contract();
  c.terminate(owner, 'breach', at);
  expect(c.terminating).toBe(true);
  expect(c.terminateRefusal({ actor: owner })?.message).toMatch(/being terminated/);
  c.moveTo('terminated', 'owner', at);
  expect(c.terminateRefusal({ actor: owner })?.message).toMatch(/already terminated/);
});

test('the approval task refuses the owner and the editor of these terms (the round adds one approval each)', () => {
  const c = contract();
  c.amend(actor('editor', 'ops_manager'), terms, at);
  const task = c.approvalTask('admin', 'above the threshold');
  expect(task).toMatchObject({ candidateRole: 'admin', priority: 'high', makers: ['owner', 'editor'] });
  expect(task.eligible(owner)).toMatch(/owner/);
  expect(task.eligible(actor('editor', 'admin'))).toMatch(/amended terms version 2/);
  expect(task.eligible(actor('kim', 'admin'))).toBeUndefined();
});

test("the term's agenda: evaluations at period ends and reminders still ahead, in time order", () => {
  const c = contract();
  const agenda = c.agenda(Date.parse('2026-01-15T00:00:00.000Z'));
  expect(agenda.map((a) => [new Date(a.at).toISOString().slice(0, 10), a.period?.index ?? null, a.days])).toEqual([
    ['2026-02-01', 0, null],
    ['2026-03-01', 1, null],
    ['2026-03-02', null, 30],
    ['2026-03-25', null, 7],
    ['2026-04-01', 2, null],
  ]);
  c.planAhead(agenda.slice(2), false);
  expect(c.state.nextDates).toEqual({
    evaluationAt: '2026-04-01T00:00:00.000Z',
    renewalReminderAt: '2026-03-02T00:00:00.000Z',
    endAt: terms.end,
  });
  expect(c.periodUnderWay(Date.parse('2026-02-10T00:00:00.000Z'))?.index).toBe(1);
});

test('renewed, the next term keeps the signatures; renegotiated, it starts over', () => {
  const c = contract();
  c.state.signatures.internal = { operatorId: 'signer', at };
  const renewed = c.nextTermState('renew', 'boss', at);
  expect(renewed).toMatchObject({ term: 2, termsVersion: 2, stage: 'awaiting_signatures', trackingCode: null });
  expect(renewed.terms.start).toBe(terms.end);
  expect(renewed.signatures.internal).toEqual({ operatorId: 'signer', at });
  const renegotiated = c.nextTermState('renegotiate', 'boss', at);
  expect(renegotiated).toMatchObject({ stage: 'renegotiating', signatures: { internal: null } });
  expect(c.state.term).toBe(1); // the running term is left as it was
});
