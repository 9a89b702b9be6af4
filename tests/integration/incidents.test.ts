// Incidents over HTTP against the dev server, PostgreSQL and the SMTP sink: a rule's breach opens one, the oncall
// is paged by email, a second firing joins it, then acknowledgement, status updates, command, resolution and the
// postmortem; illegal moves answer 409, bad input 4xx naming the field with nothing started.
import { randomUUID } from 'node:crypto';
import { recordHistory } from '../support/histories.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let ingest: TestOperator;
let manager: TestOperator;
let oncall: TestOperator;
let second: TestOperator;
let analyst: TestOperator;

const count = async (table: string) =>
  (await stack.db.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`))[0]!.n;
const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
const live = async (id: string, token = analyst.token) => (await stack.api('GET', `/incidents/${id}`, { token })).body;
const types = (incident: { timeline: { type: string }[] }) => incident.timeline.map((e) => e.type);

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'collector');
  manager = await stack.operator(['ops_manager'], 'Mia');
  oncall = await stack.operator(['oncall'], 'Ona');
  second = await stack.operator(['oncall'], 'Sam');
  analyst = await stack.operator(['analyst'], 'Ana');
});

afterAll(async () => {
  await stack?.close();
});

test('a breach opens an incident, pages the oncall; a second firing joins it; ack, notes, resolve, postmortem, closed', async () => {
  const metric = `errors_${randomUUID().slice(0, 8)}`;
  const service = `checkout-${randomUUID().slice(0, 4)}`;
  const policy = await stack.api('POST', '/escalation-policies', {
    token: manager.token,
    body: {
      name: `checkout ${service}`,
      service,
      levels: [{ targets: [{ operatorId: oncall.id }] }, { targets: [{ role: 'ops_manager' }], wait: '10m' }],
    },
  });
  expect(policy.status).toBe(201);
  await stack.api('POST', '/metrics', {
    token: ingest.token,
    body: {
      points: [
        { name: metric, value: 30, at: ago(20), labels: { region: 'eu' } },
        { name: metric, value: 50, at: ago(10), labels: { region: 'eu' } },
      ],
    },
  });
  const created = await stack.api('POST', '/rules', {
    token: manager.token,
    body: {
      name: 'Checkout errors',
      metric,
      labels: { region: 'eu' },
      aggregation: 'max',
      window: '5m',
      comparison: 'above',
      threshold: 20,
      severity: 'P2',
      every: '10s',
      action: { type: 'open_incident', service },
    },
  });
  expect(created.status).toBe(201);
  const ruleId = created.body.id as string;

  // The breach: one incident, its page to the first level (the operator the policy names), with the ack link.
  const page = await stack.mail.waitFor((m) => m.subject === '[opsflow] P2 incident: Checkout errors: max 50 is above 20', 20_000);
  expect(page.to).toEqual([oncall.email]);
  const listed = await eventually(async () => {
    const body = (await stack.api('GET', `/incidents?ruleId=${ruleId}`, { token: analyst.token })).body;
    return body.total === 1 && body;
  }, 'the incident in the list');
  const id = listed.items[0].id as string;
  // The link opens the incident in the console (acknowledged there with one button); the API's ack stays for scripts.
  expect(page.text).toContain(`Open it and acknowledge: http://opsflow.test/console/incidents/${id}\n`);
  expect(page.text).toContain(`POST http://opsflow.test/incidents/${id}/ack`);
  const opened = await live(id);
  expect(opened).toMatchObject({
    status: 'triggered',
    severity: 'P2',
    service,
    labels: { region: 'eu' },
    ackSla: '15m',
    trigger: { type: 'rule', ruleId, episode: 1 },
    source: 'workflow',
    escalation: { policyId: policy.body.id, level: 1, pass: 0, pages: 1, exhausted: false },
  });
  // Who is paged, by name, before anyone acts.
  expect(opened.people).toEqual({ [oncall.id]: 'Ona' });

  // The rule recovers (threshold raised) and fires again (lowered): the open incident takes both, no second one opens.
  await stack.api('PATCH', `/rules/${ruleId}`, { token: manager.token, body: { threshold: 100 } });
  await stack.mail.waitFor((m) => m.subject === '[opsflow] Recovered: Checkout errors: max 50 is above 20', 20_000);
  await stack.api('PATCH', `/rules/${ruleId}`, { token: manager.token, body: { threshold: 40 } });
  const joined = await eventually(async () => {
    const s = await live(id);
    return s.firings === 2 && s;
  }, 'the second firing on the timeline');
  expect(types(joined)).toEqual(['triggered', 'paged', 'rule_recovered', 'rule_fired']);
  expect((await stack.api('GET', `/incidents?ruleId=${ruleId}`, { token: analyst.token })).body.total).toBe(1);

  // Illegal moves and the wrong people.
  const status = (res: { status: number }) => res.status;
  expect(
    status(await stack.api('POST', `/incidents/${id}/notes`, { token: oncall.token, body: { note: 'looking', status: 'investigating' } })),
  ).toBe(409);
  expect(
    status(await stack.api('POST', `/incidents/${id}/postmortem`, { token: oncall.token, body: { summary: 's', rootCause: 'r' } })),
  ).toBe(409);
  expect(status(await stack.api('POST', `/incidents/${id}/ack`, { token: analyst.token, body: {} }))).toBe(403);
  expect(status(await stack.api('POST', `/incidents/${id}/ack`, { token: null, body: {} }))).toBe(401);

  // Acknowledged: paging stops; the acknowledger commands. A second ack is refused.
  const acked = await stack.api('POST', `/incidents/${id}/ack`, { token: oncall.token, body: { note: 'on it' } });
  expect(acked.status).toBe(200);
  expect(acked.body).toMatchObject({
    status: 'acknowledged',
    acknowledgedBy: oncall.id,
    commanderId: oncall.id,
    escalation: { nextPageAt: null },
  });
  expect(acked.body.timeToAcknowledgeSeconds).toBeGreaterThan(0);
  // The people it names, by name (the console shows them so).
  expect(acked.body.people).toEqual({ [oncall.id]: 'Ona' });
  expect(status(await stack.api('POST', `/incidents/${id}/ack`, { token: second.token, body: {} }))).toBe(409);

  const noted = await stack.api('POST', `/incidents/${id}/notes`, {
    token: oncall.token,
    body: { note: 'bad deploy of 14:02', status: 'identified' },
  });
  expect(noted.body.status).toBe('identified');
  await stack.api('POST', `/incidents/${id}/notes`, { token: second.token, body: { note: 'rollback started' } });

  // Only the commander or a manager hands over or resolves.
  expect(status(await stack.api('POST', `/incidents/${id}/resolve`, { token: second.token, body: { resolution: 'x' } }))).toBe(403);
  expect(status(await stack.api('POST', `/incidents/${id}/commander`, { token: oncall.token, body: { operatorId: analyst.id } }))).toBe(
    422,
  );
  expect(status(await stack.api('POST', `/incidents/${id}/commander`, { token: oncall.token, body: { operatorId: randomUUID() } }))).toBe(
    422,
  );
  const handed = await stack.api('POST', `/incidents/${id}/commander`, { token: oncall.token, body: { operatorId: second.id } });
  expect(handed.body.commanderId).toBe(second.id);
  expect(handed.body.people).toEqual({ [oncall.id]: 'Ona', [second.id]: 'Sam' });
  await stack.mail.waitFor((m) => m.subject.startsWith('[opsflow] You are the commander') && m.to.includes(second.email));

  const resolved = await stack.api('POST', `/incidents/${id}/resolve`, { token: second.token, body: { resolution: 'rolled back' } });
  expect(resolved.body).toMatchObject({
    status: 'resolved',
    resolvedBy: second.id,
    resolution: 'rolled back',
    postmortem: { required: true },
  });
  expect(status(await stack.api('POST', `/incidents/${id}/resolve`, { token: second.token, body: { resolution: 'again' } }))).toBe(409);
  expect(
    status(await stack.api('POST', `/incidents/${id}/notes`, { token: second.token, body: { note: 'x', status: 'monitoring' } })),
  ).toBe(409);

  // P2: a postmortem task for the oncall role, due in 5 days; the commander is told.
  const task = await eventually(async () => {
    const body = (await stack.api('GET', `/tasks?entityId=${id}&kind=postmortem`, { token: second.token })).body;
    return body.total === 1 && body.items[0];
  }, 'the postmortem task');
  expect(task).toMatchObject({ candidateRole: 'oncall', status: 'open', priority: 'high' });
  expect(Date.parse(task.dueAt) - Date.now()).toBeGreaterThan(4.9 * 86_400_000);
  await stack.mail.waitFor((m) => m.subject.startsWith('[opsflow] Postmortem due') && m.to.includes(second.email));

  const pm = await stack.api('POST', `/incidents/${id}/postmortem`, {
    token: second.token,
    body: {
      summary: 'A deploy broke checkout for 9 minutes',
      rootCause: 'a missing migration',
      actionItems: ['gate deploys on migrations'],
    },
  });
  expect(pm.status).toBe(200);
  expect(pm.body.postmortem).toMatchObject({
    summary: 'A deploy broke checkout for 9 minutes',
    actionItems: ['gate deploys on migrations'],
    completedBy: second.id,
  });
  const closed = await eventually(async () => {
    const s = await live(id);
    return s.status === 'closed' && s;
  }, 'closed');
  expect(types(closed)).toEqual([
    'triggered',
    'paged',
    'rule_recovered',
    'rule_fired',
    'acknowledged',
    'status',
    'note',
    'commander',
    'resolved',
    'postmortem_requested',
    'postmortem_done',
    'closed',
  ]);
  expect(closed.postmortem.status).toBe('done');
  expect((await stack.api('GET', `/tasks/${task.id}`, { token: second.token })).body).toMatchObject({
    status: 'completed',
    decidedBy: second.id,
  });

  // One page only (acknowledged before level 2), and the audit trail holds every step with its actor.
  expect(stack.mail.messages().filter((m) => m.subject.startsWith('[opsflow] P2 incident'))).toHaveLength(1);
  const trail = (await stack.api('GET', `/audit?entityType=incident&entityId=${id}&limit=100`)).body.items as {
    action: string;
    actorId: string;
  }[];
  expect(trail.map((e) => e.action)).toEqual(
    expect.arrayContaining([
      'incident.triggered',
      'incident.paged',
      'email.sent',
      'incident.acknowledged',
      'incident.resolved',
      'incident.postmortem_done',
      'incident.closed',
    ]),
  );
  expect(trail.find((e) => e.action === 'incident.acknowledged')!.actorId).toBe(oncall.id);

  const row = await eventually(async () => {
    const item = (await stack.api('GET', `/incidents?ruleId=${ruleId}`, { token: analyst.token })).body.items[0];
    return item.status === 'closed' && item;
  }, 'the closed row');
  expect(row).toMatchObject({ status: 'closed', commanderId: second.id, commanderName: 'Sam', firings: 2, pages: 1 });
  const stats = (await stack.api('GET', `/incidents/stats?service=${service}`, { token: analyst.token })).body;
  expect(stats.overall).toMatchObject({ total: 1, open: 0, acknowledged: 1, resolved: 1, ackSla: { met: 1, breached: 0 } });
  expect(stats.overall.timeToAcknowledge.p50).toBeCloseTo(closed.timeToAcknowledgeSeconds, 1);
  expect(stats.overall.timeToResolve.p50).toBeCloseTo(closed.timeToResolveSeconds, 1);
  expect(stats.bySeverity.P2.total).toBe(1);
  expect(stats.bySeverity.P1.total).toBe(0);

  await stack.api('PATCH', `/rules/${ruleId}`, { token: manager.token, body: { enabled: false } });
  await recordHistory(stack.env.client, `incident:${id}`, 'incident-http-rule-postmortem');
});

test('an incident opened by hand: P3 closes on resolution; resolving unacknowledged acknowledges it', async () => {
  const opened = await stack.api('POST', '/incidents', {
    token: oncall.token,
    body: {
      title: 'Search is slow',
      severity: 'P3',
      service: 'search',
      labels: { team: 'core' },
      description: 'p95 at 3s since 09:00',
    },
  });
  expect(opened.status).toBe(202);
  const id = opened.body.id as string;
  // The built-in policy pages the oncall role.
  const page = await stack.mail.waitFor((m) => m.subject === '[opsflow] P3 incident: Search is slow');
  expect([...page.to].sort()).toEqual([oncall.email, second.email].sort());
  expect(page.text).toContain('p95 at 3s since 09:00');
  const resolved = await stack.api('POST', `/incidents/${id}/resolve`, { token: manager.token, body: { resolution: 'cache warmed' } });
  expect(resolved.body).toMatchObject({
    status: 'resolved',
    acknowledgedBy: manager.id,
    commanderId: manager.id,
    postmortem: { required: false },
  });
  const closed = await eventually(async () => {
    const s = await live(id);
    return s.status === 'closed' && s;
  }, 'closed');
  expect(types(closed)).toEqual(['triggered', 'paged', 'acknowledged', 'resolved', 'closed']);
  expect(closed.escalation.policyName).toBe('built-in');
  expect((await stack.api('POST', `/incidents/${id}/notes`, { token: oncall.token, body: { note: 'late' } })).status).toBe(409);
  expect(
    (await stack.api('POST', `/incidents/${id}/postmortem`, { token: manager.token, body: { summary: 's', rootCause: 'r' } })).status,
  ).toBe(409);
  expect(
    (await stack.api('GET', '/incidents?status=closed&service=search', { token: analyst.token })).body.items.map(
      (i: { id: string }) => i.id,
    ),
  ).toEqual([id]);
});

test('the list by severity: P1 first, the newest first within each, with the filters and paging', async () => {
  const service = `pay-${randomUUID().slice(0, 4)}`;
  const open = async (title: string, severity: string) => {
    const res = await stack.api('POST', '/incidents', { token: oncall.token, body: { title, severity, service, ackSla: null } });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };
  const p3 = await open('Slow search', 'P3');
  const p1 = await open('Checkout down', 'P1');
  const p2old = await open('Refunds failing', 'P2');
  const p2new = await open('Payouts late', 'P2');
  await stack.api('POST', `/incidents/${p3}/resolve`, { token: oncall.token, body: { resolution: 'fixed' } });
  const ids = async (query: string) => {
    const body = (await stack.api('GET', `/incidents?service=${service}&${query}`, { token: analyst.token })).body;
    return { ids: (body.items as { id: string }[]).map((i) => i.id), total: body.total as number };
  };
  await eventually(async () => (await ids('status=open')).total === 3, 'the resolved one out of the open list');
  expect(await ids('status=open&order=severity')).toEqual({ ids: [p1, p2new, p2old], total: 3 });
  expect(await ids('status=open')).toEqual({ ids: [p2new, p2old, p1], total: 3 });
  expect(await ids('order=severity&limit=2&offset=2')).toEqual({ ids: [p2old, p3], total: 4 });
  expect(await ids('order=severity&severity=P2')).toEqual({ ids: [p2new, p2old], total: 2 });
  expect((await stack.api('GET', '/incidents?order=oldest', { token: analyst.token })).status).toBe(400);
});

test('the responders command can be handed to: active operators with a responder role, by name, searchable', async () => {
  const olga = await stack.operator(['oncall'], 'Olga');
  expect((await stack.api('PATCH', `/operators/${olga.id}`, { body: { disabled: true } })).status).toBe(200);
  const names = async (query = '') => {
    const res = await stack.api('GET', `/incidents/responders${query}`, { token: oncall.token });
    expect(res.status).toBe(200);
    return { names: (res.body.items as { name: string }[]).map((i) => i.name), total: res.body.total as number };
  };
  // Ingest and analyst roles cannot respond; a disabled operator is left out.
  expect(await names()).toEqual({ names: ['admin', 'Mia', 'Ona', 'Sam'], total: 4 });
  expect(await names('?q=sA')).toEqual({ names: ['Sam'], total: 1 });
  expect(await names('?q=%25')).toEqual({ names: [], total: 0 });
  expect(await names('?limit=2&offset=2')).toEqual({ names: ['Ona', 'Sam'], total: 4 });
  expect((await stack.api('GET', '/incidents/responders', { token: ingest.token })).status).toBe(403);
});

test('bad input is named and nothing is started or stored', async () => {
  const before = { incidents: await count('incidents'), policies: await count('escalation_policies') };
  const incidents: [unknown, string][] = [
    [{ severity: 'P1' }, 'title'],
    [{ title: 'x', severity: 'P5' }, 'severity'],
    [{ title: 'x', severity: 'P1', ackSla: '-5m' }, 'ackSla'],
    [{ title: 'x', severity: 'P1', labels: { 'bad key': 'v' } }, 'labels.bad key'],
    [{ title: 'x', severity: 'P1', commander: 'me' }, 'body'],
  ];
  for (const [body, field] of incidents) {
    const res = await stack.api('POST', '/incidents', { token: oncall.token, body });
    expect({ field, status: res.status }).toEqual({ field, status: 400 });
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
  }
  const policies: [unknown, number, string][] = [
    [{ name: 'p', levels: [] }, 400, 'levels'],
    [{ name: 'p', levels: [{ targets: [] }] }, 400, 'levels[0].targets'],
    [{ name: 'p', levels: [{ targets: [{ role: 'oncall' }], wait: '1s' }] }, 400, 'levels[0].wait'],
    [{ name: 'p', levels: [{ targets: [{ role: 'oncall' }] }], repeat: -1 }, 400, 'repeat'],
    [{ name: 'p', levels: [{ targets: [{ role: 'oncall' }, { operatorId: analyst.id }] }] }, 422, 'levels[0].targets[1].operatorId'],
  ];
  for (const [body, code, field] of policies) {
    const res = await stack.api('POST', '/escalation-policies', { token: manager.token, body });
    expect({ field, status: res.status }).toEqual({ field, status: code });
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
  }
  expect((await stack.api('POST', '/incidents', { token: analyst.token, body: { title: 'x', severity: 'P1' } })).status).toBe(403);
  expect(
    (
      await stack.api('POST', '/escalation-policies', {
        token: oncall.token,
        body: { name: 'p', levels: [{ targets: [{ role: 'oncall' }] }] },
      })
    ).status,
  ).toBe(403);
  expect(
    (await stack.api('GET', '/incidents/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', { token: analyst.token })).status,
  ).toBe(400);
  expect((await stack.api('GET', `/incidents/${randomUUID()}`, { token: analyst.token })).status).toBe(404);
  expect({ incidents: await count('incidents'), policies: await count('escalation_policies') }).toEqual(before);

  const made = await stack.api('POST', '/escalation-policies', {
    token: manager.token,
    body: { name: `search ${randomUUID().slice(0, 4)}`, service: 'search', levels: [{ targets: [{ role: 'oncall' }] }] },
  });
  const renamed = await stack.api('PATCH', `/escalation-policies/${made.body.id}`, { token: manager.token, body: { repeat: 2 } });
  expect(renamed.body).toMatchObject({ repeat: 2, service: 'search', levels: [{ targets: [{ role: 'oncall' }] }], version: 2 });
  const wrong = await stack.api('PATCH', `/escalation-policies/${made.body.id}`, {
    token: manager.token,
    body: { levels: [{ targets: [{ operatorId: analyst.id }] }] },
  });
  expect(wrong.status).toBe(422);
  expect((await stack.api('DELETE', `/escalation-policies/${made.body.id}`, { token: manager.token })).status).toBe(204);
});
