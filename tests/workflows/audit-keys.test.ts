// The audit event's idempotency key, on the time-skipping server with the writes faked at the activity boundary: one
// key per event within a run, numbered by the entity's recorder, and the same key when a failed write is retried,
// so a retried activity writes its event once.
import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import type { AuditInput } from '../../activities/audit.ts';
import { BUILT_IN_POLICY, type IncidentInput } from '../../domain/incident.ts';
import type { Actor } from '../../domain/actors.ts';
import { incidentWorkflowId } from '../../domain/ids.ts';
import { addIncidentNote, resolveIncident, submitPostmortem } from '../../workflows/incident.messages.ts';
import type { incident } from '../../workflows/incident.ts';
import { timeSkippingSuite } from '../support/runtime.ts';

const suite = timeSkippingSuite();
const oncall: Actor = { id: randomUUID(), name: 'Ona', roles: ['oncall'] };

test('every audit event of a run has its own key; a retried write keeps it; the recorder numbers its own in order', async () => {
  const attempts: { key: string; action: string; attempt: number }[] = [];
  const activities = {
    planIncident: async () => ({ policy: { ...BUILT_IN_POLICY, id: null }, ackSla: null, postmortemRequired: true, postmortemDue: '5d' }),
    saveIncident: async () => {},
    saveTask: async () => {},
    announceTask: async () => ({ sent: 0, recipients: 0 }),
    sendEmail: async () => ({ status: 'sent' as const, messageId: '<x@test>', recipients: ['someone@example.com'] }),
    recordAudit: async (e: AuditInput) => {
      const { attempt } = Context.current().info;
      attempts.push({ key: e.idempotencyKey!, action: e.action, attempt });
      // The first write of the resolution fails once (a database blip): the retry must carry the same key.
      if (e.action === 'incident.resolved' && attempt === 1) throw new Error('connection reset');
    },
  };
  const input: IncidentInput = {
    incidentId: randomUUID(),
    title: 'Search slow',
    severity: 'P3',
    service: 'search',
    labels: {},
    source: { type: 'manual', operatorId: oncall.id },
  };
  await suite.withWorker(activities, async (taskQueue) => {
    const handle = await suite.env.client.workflow.start<typeof incident>('incident', {
      workflowId: incidentWorkflowId(input.incidentId),
      taskQueue,
      args: [input],
    });
    // Two identical notes in a row are two events, with two keys.
    for (let n = 0; n < 2; n++) await handle.executeUpdate(addIncidentNote, { args: [{ actor: oncall, note: 'looking' }] });
    await handle.executeUpdate(resolveIncident, { args: [{ actor: oncall, resolution: 'restarted' }] });
    const postmortem = { actor: oncall, summary: 'a bad deploy', rootCause: 'config', actionItems: [] };
    await handle.executeUpdate(submitPostmortem, { args: [postmortem] });
    await handle.result();
    const { runId } = await handle.describe();

    const resolved = attempts.filter((a) => a.action === 'incident.resolved');
    expect(resolved.map((a) => a.attempt)).toEqual([1, 2]);
    expect(resolved[1]!.key).toBe(resolved[0]!.key);
    const written = attempts.filter((a) => !(a.action === 'incident.resolved' && a.attempt === 1));
    expect(new Set(written.map((a) => a.key)).size).toBe(written.length);
    // The incident's own events: numbered 1 to n by its recorder, whichever order the writes ran in.
    const own = written.filter((a) => a.action.startsWith('incident.'));
    expect(own.map((a) => a.action).sort()).toEqual(
      ['triggered', 'paged', 'note', 'note', 'acknowledged', 'resolved', 'postmortem_requested', 'postmortem_done', 'closed']
        .map((t) => `incident.${t}`)
        .sort(),
    );
    const numbers = own.map((a) => Number(a.key.slice(`${runId}/incident:`.length))).sort((x, y) => x - y);
    expect(numbers).toEqual(own.map((_, n) => n + 1));
    expect(own.every((a) => a.key.startsWith(`${runId}/incident:`))).toBe(true);
    // The postmortem task's events come from the inbox, keyed by their workflow task and content.
    const task = written.filter((a) => a.action.startsWith('task.'));
    expect(task.map((a) => a.action)).toEqual(['task.opened', 'task.completed']);
    expect(task.every((a) => a.key.startsWith(`${runId}/h`))).toBe(true);
  });
});
