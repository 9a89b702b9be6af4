// The rule monitor on the time-skipping server: `for`, keep-firing and one action per episode, with exact timings.
// The evaluation is faked at the activity boundary: a script of verdicts by minute since the monitor started.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { EmailRequest } from '../../activities/email.ts';
import { ruleMonitorId } from '../../domain/ids.ts';
import { getMonitor, ruleChanged, stopMonitor } from '../../workflows/monitor.messages.ts';
import type { Evaluation, MonitorStatus, StoredRule } from '../../domain/monitor.ts';
import type { ruleMonitor } from '../../workflows/monitor.ts';
import { recordHistory } from '../support/histories.ts';
import { timeSkippingSuite } from '../support/runtime.ts';

const MIN = 60_000;
const suite = timeSkippingSuite();
const { withWorker } = suite;

const baseRule = (over: Partial<StoredRule> = {}): StoredRule => ({
  id: randomUUID(),
  name: 'Checkout errors',
  metric: 'checkout_errors',
  labels: {},
  aggregation: 'avg',
  window: '5m',
  comparison: 'above',
  threshold: 10,
  noData: 'ok',
  for: '3m',
  keepFiring: '5m',
  severity: 'P2',
  action: { type: 'notify_role', role: 'oncall' },
  every: '1m',
  enabled: true,
  version: 1,
  ...over,
});

/** `script(minute)`: whether the condition holds at that minute since the first evaluation. */
function fake(rule: StoredRule, script: (minute: number) => boolean) {
  let start: number | null = null;
  const mails: { key: string; minute: number }[] = [];
  const views: MonitorStatus[] = [];
  const now = () => Context.current().info.currentAttemptScheduledTimestampMs;
  let current: StoredRule | null = rule;
  return {
    mails,
    views,
    set: (r: StoredRule | null) => {
      current = r;
    },
    activities: {
      loadRule: async () => current,
      evaluateRule: async (): Promise<Evaluation> => {
        start ??= now();
        const minute = Math.round((now() - start) / MIN);
        const holds = script(minute);
        return { holds, value: holds ? 20 : 1, previous: null, change: null, reason: `minute ${minute}`, at: now(), points: 3 };
      },
      saveMonitorView: async (a: { status: MonitorStatus }) => {
        views.push(a.status);
      },
      recordAudit: async () => {},
      sendEmail: async (r: EmailRequest) => {
        mails.push({ key: r.idempotencyKey, minute: Math.round((now() - start!) / MIN) });
        return { status: 'sent' as const, messageId: '<x@test>', recipients: ['oncall@example.com'] };
      },
    },
  };
}

const withMonitor = <T>(
  f: ReturnType<typeof fake>,
  ruleId: string,
  run: (h: WorkflowHandle<typeof ruleMonitor>) => Promise<T>,
): Promise<T> =>
  withWorker(f.activities, async (taskQueue) =>
    run(
      await suite.env.client.workflow.start<typeof ruleMonitor>('ruleMonitor', {
        workflowId: ruleMonitorId(ruleId),
        taskQueue,
        args: [{ ruleId }],
      }),
    ),
  );

test('a flapping metric fires once after `for`, stays one episode through keep-firing, then resolves', async () => {
  const rule = baseRule();
  // Holds at minutes 2-8 except 4 (a blip before `for` is reached), then flaps: 10, 12, 14; clear from 15.
  const holds = new Set([2, 3, 5, 6, 7, 8, 10, 12, 14]);
  const f = fake(rule, (m) => holds.has(m));
  await withMonitor(f, rule.id, async (handle) => {
    await suite.env.sleep(30 * MIN);
    const view = await handle.query(getMonitor);
    // Pending at 2, back to normal at 4 (held 2 minutes < 3), pending at 5, fired at 8 (5 + 3m);
    // the flapping 9-14 stays in that episode; clear from 15, resolved at 20 (15 + 5m keep-firing).
    expect(view.status).toMatchObject({ state: 'resolved', episodes: 1 });
    expect(f.mails).toEqual([{ key: `${ruleMonitorId(rule.id)}:episode:1`, minute: 8 }]);
    const states = f.views.map((s) => s.state);
    expect(states.indexOf('firing')).toBe(8);
    expect(states.indexOf('resolved')).toBe(20);
    expect(states.slice(0, 8)).toEqual(['normal', 'normal', 'pending', 'pending', 'normal', 'pending', 'pending', 'pending']);
    await recordHistory(suite.env.client, handle.workflowId, 'monitor-flapping-resolved');
    await handle.signal(stopMonitor);
    expect(await handle.result()).toMatchObject({ stopped: 'stopped', status: { state: 'resolved', episodes: 1 } });
  });
});

test('with open_incident, a flapping series opens one incident, and its recovery is told to it once', async () => {
  const rule = baseRule({ action: { type: 'open_incident', service: 'checkout' } });
  const holds = new Set([2, 3, 4, 5, 6, 8, 10, 12, 14]);
  const f = fake(rule, (m) => holds.has(m));
  const opened: { episode: number; minute: number; service: string | null }[] = [];
  const recovered: { episode: number; minute: number }[] = [];
  const minute = () => Math.round((Context.current().info.currentAttemptScheduledTimestampMs - started) / MIN);
  let started = 0;
  Object.assign(f.activities, {
    openIncidentForRule: async (a: { episode: number; service: string | null }) => {
      opened.push({ episode: a.episode, minute: minute(), service: a.service });
      return { incidentId: 'incident-1', opened: true };
    },
    tellIncidentRuleRecovered: async (a: { episode: number }) => {
      recovered.push({ episode: a.episode, minute: minute() });
      return { incidentId: 'incident-1' };
    },
  });
  started = await suite.env.currentTimeMs();
  await withMonitor(f, rule.id, async (handle) => {
    await suite.env.sleep(30 * MIN);
    // Fires at 5 (held from 2 for 3m); flapping to 14 stays one episode; clear from 15, resolved at 20.
    expect(opened).toEqual([{ episode: 1, minute: 5, service: 'checkout' }]);
    expect(recovered).toEqual([{ episode: 1, minute: 20 }]);
    expect(f.mails).toEqual([]);
    await handle.signal(stopMonitor);
    await handle.result();
    await recordHistory(suite.env.client, handle.workflowId, 'monitor-open-incident-flapping');
  });
});

test('a changed rule is loaded at once; a deleted one stops its monitor', async () => {
  const rule = baseRule({ for: '0s', every: '10m' });
  const f = fake(rule, () => true);
  await withMonitor(f, rule.id, async (handle) => {
    await suite.env.sleep(MIN);
    expect(f.mails).toHaveLength(1); // fired at the first evaluation (for 0s)
    f.set(null);
    await handle.signal(ruleChanged);
    expect(await handle.result()).toMatchObject({ stopped: 'deleted', status: { state: 'firing', episodes: 1 } });
  });
});
