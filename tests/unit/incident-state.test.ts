// The incident's state machine without Temporal: who may act on it when, acknowledgement and resolution, rule
// firings and recoveries folded in once, the capped timeline, and the policy it pages by.
import { Incident, newIncidentState } from '../../domain/incident-state.ts';
import { TIMELINE_MAX, type IncidentInput } from '../../domain/incident.ts';
import type { Actor } from '../../domain/actors.ts';

const at = '2026-01-01T00:00:00.000Z';
const input: IncidentInput = {
  incidentId: 'i1',
  title: 'Checkout down',
  severity: 'P1',
  service: 'checkout',
  labels: {},
  source: { type: 'rule', ruleId: 'r1', ruleName: 'errors', episode: 3 },
};
const actor = (id: string, ...roles: Actor['roles']): Actor => ({ id, name: id, roles });
const oncall = actor('ann', 'oncall');
const incident = () => new Incident(newIncidentState(input, at));

test('only responders acknowledge, once; whoever acknowledges first commands', () => {
  const i = incident();
  expect(i.ackRefusal({ actor: actor('al', 'analyst') })?.type).toBe('Forbidden');
  expect(i.ackRefusal({ actor: oncall })).toBeUndefined();
  i.state.status = 'acknowledged';
  i.acknowledge(oncall, at);
  expect(i.state).toMatchObject({ acknowledgedBy: 'ann', commanderId: 'ann' });
  expect(i.ackRefusal({ actor: oncall })?.message).toMatch(/already acknowledged/);
});

test('status updates need an acknowledged, active incident; notes need it open', () => {
  const i = incident();
  expect(i.noteRefusal({ actor: oncall, status: 'investigating' })?.message).toMatch(/acknowledge the incident/);
  expect(i.noteRefusal({ actor: oncall, status: undefined })).toBeUndefined();
  i.resolve(oncall, 'fixed', at);
  expect(i.noteRefusal({ actor: oncall, status: 'monitoring' })?.message).toMatch(/already resolved; notes only/);
  i.close(at);
  expect(i.noteRefusal({ actor: oncall, status: undefined })?.message).toBe('the incident is closed');
});

test('once there is a commander, only they or a manager resolve or hand over command', () => {
  const i = incident();
  i.acknowledge(oncall, at);
  const bob = actor('bob', 'oncall');
  expect(i.resolveRefusal({ actor: bob })?.message).toMatch(/only the incident commander/);
  expect(i.resolveRefusal({ actor: actor('max', 'ops_manager') })).toBeUndefined();
  expect(i.commanderRefusal({ actor: oncall, commander: actor('al', 'analyst') })?.type).toBe('Unprocessable');
  expect(i.commanderRefusal({ actor: oncall, commander: oncall })?.message).toMatch(/already the commander/);
  expect(i.commanderRefusal({ actor: oncall, commander: bob })).toBeUndefined();
});

test("a rule's firing and recovery are folded in once per episode; firings only from the rule that opened it", () => {
  const i = incident();
  expect(i.fire(3)).toBe(false); // the episode that opened it
  expect(i.fire(4)).toBe(true);
  expect(i.fire(4)).toBe(false);
  expect(i.state.firings).toBe(2);
  expect(i.firingRefusal({ ruleId: 'r2' })?.type).toBe('Unprocessable');
  expect(i.recover(4)).toBe(true);
  expect(i.recover(4)).toBe(false);
  i.resolve(oncall, 'fixed', at);
  expect(i.recover(5)).toBe(false);
  expect(i.firingRefusal({ ruleId: 'r1' })?.message).toMatch(/already resolved/);
});

test('a full timeline drops the oldest rule firing first, then the oldest entry after the first', () => {
  const i = incident();
  i.log('triggered', 'opened', null, at);
  i.log('rule_fired', 'again', null, at);
  for (let n = 2; n < TIMELINE_MAX; n++) i.log('note', `note ${n}`, 'ann', at);
  i.log('note', 'one more', 'ann', at);
  expect(i.state.timeline).toHaveLength(TIMELINE_MAX);
  expect(i.state.timeline.some((e) => e.type === 'rule_fired')).toBe(false);
  i.log('note', 'and another', 'ann', at);
  expect(i.state.timeline[0]!.type).toBe('triggered');
  expect(i.state.timeline[1]!.message).toBe('note 3');
});

test('the policy sets the levels, the acknowledgement deadline and the postmortem', () => {
  const i = incident();
  const levels = [{ targets: [{ role: 'oncall' as const }] }];
  const ackSlaMs = i.plan(
    {
      policy: { id: 'p', name: 'checkout', service: 'checkout', labels: {}, levels, repeat: 1 },
      ackSla: '5m',
      postmortemRequired: true,
      postmortemDue: '5d',
    },
    '5m',
  );
  expect(ackSlaMs).toBe(300_000);
  expect(i.state.ackDueAt).toBe('2026-01-01T00:05:00.000Z');
  expect(i.state.escalation).toMatchObject({ policyName: 'checkout', repeat: 1 });
  expect(i.state.postmortem).toMatchObject({ required: true, status: 'not_started' });
  expect(i.owners()).toEqual([{ role: 'oncall' }]);
  i.acknowledge(oncall, at);
  expect(i.owners()).toEqual([{ operatorId: 'ann' }]);
});
