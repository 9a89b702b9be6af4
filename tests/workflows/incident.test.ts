// The incident workflow on the time-skipping server, its side effects faked at the activity boundary: escalation
// through levels and repeats with exact timings, acknowledgement stopping the paging at once, the postmortem's
// overdue reminder.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { EmailRequest } from '../../activities/email.ts';
import type { IncidentRecord } from '../../activities/incident.ts';
import { incidentWorkflowId } from '../../domain/ids.ts';
import { ackIncident, getIncident, resolveIncident, submitPostmortem } from '../../workflows/incident.messages.ts';
import { BUILT_IN_POLICY, type EscalationPolicySpec, type IncidentInput } from '../../domain/incident.ts';
import type { incident } from '../../workflows/incident.ts';
import type { Actor } from '../../domain/actors.ts';
import type { TaskView } from '../../domain/task-view.ts';
import { recordHistory } from '../support/histories.ts';
import { timeSkippingSuite } from '../support/runtime.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const suite = timeSkippingSuite();
const { withWorker } = suite;

const oncall: Actor = { id: randomUUID(), name: 'Ona', roles: ['oncall'] };
const lead: Actor = { id: randomUUID(), name: 'Lee', roles: ['ops_manager'] };

const input = (over: Partial<IncidentInput> = {}): IncidentInput => ({
  incidentId: randomUUID(),
  title: 'Checkout errors',
  severity: 'P1',
  service: 'checkout',
  labels: {},
  source: { type: 'manual', operatorId: lead.id },
  ...over,
});

/** Fake side effects; `minute` is time since the incident started, from the activity's scheduled time. */
function fake(plan: { policy: EscalationPolicySpec; ackSla: string | null; postmortemRequired: boolean; postmortemDue?: string }) {
  let start: number | null = null;
  const minute = () => {
    const now = Context.current().info.currentAttemptScheduledTimestampMs;
    start ??= now;
    return Math.round((now - start) / MIN);
  };
  const mails: { key: string; template: string; minute: number; to: unknown[] }[] = [];
  const rows: IncidentRecord[] = [];
  const tasks: TaskView[] = [];
  return {
    mails,
    rows,
    tasks,
    activities: {
      planIncident: async () => {
        minute();
        return {
          policy: { ...plan.policy, id: null },
          ackSla: plan.ackSla,
          postmortemRequired: plan.postmortemRequired,
          postmortemDue: plan.postmortemDue ?? '5d',
        };
      },
      saveIncident: async (r: IncidentRecord) => {
        rows.push(r);
      },
      saveTask: async (t: TaskView) => {
        tasks.push(t);
      },
      announceTask: async () => ({ sent: 0, recipients: 0 }),
      recordAudit: async () => {},
      sendEmail: async (r: EmailRequest) => {
        mails.push({ key: r.idempotencyKey.split(':').slice(2).join(':'), template: r.template, minute: minute(), to: r.to });
        // A role nobody holds resolves to no address: the ledger skips the mail.
        if (r.to.some((t) => 'role' in t && t.role === 'admin'))
          return { status: 'skipped' as const, messageId: '<x@test>', recipients: [] };
        return { status: 'sent' as const, messageId: '<x@test>', recipients: ['someone@example.com'] };
      },
    },
  };
}

const withIncident = <T>(
  f: ReturnType<typeof fake>,
  i: IncidentInput,
  run: (h: WorkflowHandle<typeof incident>) => Promise<T>,
): Promise<T> =>
  withWorker(f.activities, async (taskQueue) =>
    run(
      await suite.env.client.workflow.start<typeof incident>('incident', {
        workflowId: incidentWorkflowId(i.incidentId),
        taskQueue,
        args: [i],
      }),
    ),
  );

test('unacknowledged, it pages level by level and repeats on exact timings, then waits; a late ack still counts', async () => {
  const policy: EscalationPolicySpec = {
    ...BUILT_IN_POLICY,
    name: 'checkout',
    levels: [{ targets: [{ operatorId: oncall.id }] }, { targets: [{ role: 'ops_manager' }], wait: '10m' }],
    repeat: 1,
  };
  const f = fake({ policy, ackSla: '5m', postmortemRequired: false });
  const i = input();
  await withIncident(f, i, async (handle) => {
    await suite.env.sleep(2 * 60 * MIN);
    // Level 1 waits the P1 SLA (5m), level 2 its own 10m; the second pass the same; then no more pages.
    expect(f.mails.map((m) => [m.key, m.minute])).toEqual([
      ['page:0:1', 0],
      ['page:0:2', 5],
      ['page:1:1', 15],
      ['page:1:2', 20],
    ]);
    expect(f.mails[0]!.to).toEqual([{ operatorId: oncall.id }]);
    expect(f.mails[1]!.to).toEqual([{ role: 'ops_manager' }]);
    const s = await handle.query(getIncident);
    expect(s).toMatchObject({ status: 'triggered', escalation: { level: 2, pass: 1, pages: 4, exhausted: true, nextPageAt: null } });
    expect(s.ackDueAt).toBe(new Date(Date.parse(s.triggeredAt) + 5 * MIN).toISOString());
    expect(s.timeline.map((e) => e.type)).toEqual(['triggered', 'paged', 'paged', 'paged', 'paged', 'escalation_exhausted']);
    const acked = await handle.executeUpdate(ackIncident, { args: [{ actor: oncall }] });
    expect(acked).toMatchObject({ status: 'acknowledged', commanderId: oncall.id });
    await handle.executeUpdate(resolveIncident, { args: [{ actor: oncall, resolution: 'fixed' }] });
    expect(await handle.result()).toMatchObject({ status: 'closed' });
    expect(f.rows.at(-1)).toMatchObject({ status: 'closed', pages: 4, level: 2 });
    await recordHistory(suite.env.client, handle.workflowId, 'incident-escalation-exhausted');
  });
});

test('an acknowledgement stops the paging at that moment', async () => {
  const f = fake({ policy: BUILT_IN_POLICY, ackSla: '15m', postmortemRequired: false });
  await withIncident(f, input({ severity: 'P2' }), async (handle) => {
    await suite.env.sleep(22 * MIN); // level 1 at 0, level 2 at 15
    expect(f.mails.map((m) => [m.key, m.minute])).toEqual([
      ['page:0:1', 0],
      ['page:0:2', 15],
    ]);
    await handle.executeUpdate(ackIncident, { args: [{ actor: oncall, note: 'looking' }] });
    await suite.env.sleep(3 * 60 * MIN); // level 1 of the second pass would have been at 30
    expect(f.mails).toHaveLength(2);
    const s = await handle.query(getIncident);
    expect(s).toMatchObject({ status: 'acknowledged', escalation: { pages: 2, exhausted: false, nextPageAt: null } });
    expect(Date.parse(s.acknowledgedAt!) - Date.parse(s.triggeredAt)).toBeGreaterThanOrEqual(22 * MIN);
    await handle.executeUpdate(resolveIncident, { args: [{ actor: oncall, resolution: 'fixed' }] });
    await handle.result();
  });
});

test('a level whose targets reach nobody says so on the timeline, and the next level is still paged on time', async () => {
  const policy: EscalationPolicySpec = {
    ...BUILT_IN_POLICY,
    levels: [{ targets: [{ role: 'admin' }] }, { targets: [{ role: 'oncall' }] }],
    repeat: 0,
  };
  const f = fake({ policy, ackSla: '5m', postmortemRequired: false });
  await withIncident(f, input(), async (handle) => {
    await suite.env.sleep(7 * MIN);
    expect(f.mails.map((m) => [m.key, m.minute])).toEqual([
      ['page:0:1', 0],
      ['page:0:2', 5],
    ]);
    const s = await handle.query(getIncident);
    expect(s.timeline.map((e) => e.type)).toEqual(['triggered', 'paged', 'nobody_paged', 'paged']);
    await handle.executeUpdate(resolveIncident, { args: [{ actor: oncall, resolution: 'fixed' }] });
    await handle.result();
  });
});

test('with no SLA (P4) it pages the first level once and does not escalate', async () => {
  const f = fake({ policy: BUILT_IN_POLICY, ackSla: null, postmortemRequired: false });
  await withIncident(f, input({ severity: 'P4' }), async (handle) => {
    await suite.env.sleep(6 * 60 * MIN);
    expect(f.mails.map((m) => m.key)).toEqual(['page:0:1']);
    expect((await handle.query(getIncident)).escalation).toMatchObject({ pages: 1, exhausted: false, nextPageAt: null });
    await handle.executeUpdate(resolveIncident, { args: [{ actor: lead, resolution: 'wontfix' }] });
    await handle.result();
  });
});

test('a P1 postmortem is due after resolution; overdue, the commander and ops managers are reminded; done, it closes', async () => {
  const f = fake({ policy: BUILT_IN_POLICY, ackSla: '5m', postmortemRequired: true, postmortemDue: '5d' });
  await withIncident(f, input({ postmortemDue: '2d' }), async (handle) => {
    await suite.env.sleep(MIN);
    await handle.executeUpdate(ackIncident, { args: [{ actor: oncall }] });
    const resolved = await handle.executeUpdate(resolveIncident, { args: [{ actor: oncall, resolution: 'rolled back' }] });
    expect(resolved.status).toBe('resolved');
    await suite.env.sleep(DAY);
    let s = await handle.query(getIncident);
    expect(s.postmortem).toMatchObject({ required: true, status: 'pending' });
    expect(Math.round((Date.parse(s.postmortem.dueAt!) - Date.parse(s.resolvedAt!)) / MIN)).toBe((2 * DAY) / MIN);
    expect(f.mails.map((m) => m.template)).toEqual(['incidentPaged', 'postmortemRequested']);
    await suite.env.sleep(DAY + 10 * MIN);
    s = await handle.query(getIncident);
    expect(s.postmortem.status).toBe('overdue');
    const reminders = f.mails.filter((m) => m.template === 'postmortemOverdue' || m.template === 'taskEscalated');
    expect(reminders.map((m) => [m.template, Math.round(m.minute / 60)])).toEqual(
      expect.arrayContaining([
        ['taskEscalated', 48],
        ['postmortemOverdue', 48],
      ]),
    );
    expect(reminders.find((m) => m.template === 'postmortemOverdue')!.to).toEqual([{ operatorId: oncall.id }]);
    expect(reminders.find((m) => m.template === 'taskEscalated')!.to).toEqual([{ role: 'ops_manager' }]);
    expect(f.tasks.at(-1)).toMatchObject({ kind: 'postmortem', status: 'escalated', candidateRole: 'oncall' });

    const done = await handle.executeUpdate(submitPostmortem, {
      args: [{ actor: oncall, summary: 'deploy broke it', rootCause: 'no canary', actionItems: ['add a canary'] }],
    });
    expect(done.postmortem).toMatchObject({ summary: 'deploy broke it', rootCause: 'no canary', completedBy: oncall.id });
    expect(await handle.result()).toMatchObject({ status: 'closed' });
    s = await handle.query(getIncident);
    expect(s.timeline.map((e) => e.type)).toEqual([
      'triggered',
      'paged',
      'acknowledged',
      'resolved',
      'postmortem_requested',
      'postmortem_overdue',
      'postmortem_done',
      'closed',
    ]);
    expect(f.tasks.at(-1)).toMatchObject({ status: 'completed', decision: 'done', decidedBy: oncall.id });
    await recordHistory(suite.env.client, handle.workflowId, 'incident-postmortem-overdue');
  });
});
