// RFM scoring: the SQL against PostgreSQL with hand-computed quintiles, the run over HTTP, and the nightly Schedule.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createRfmActivities } from '../../activities/rfm.ts';
import type { Orm } from '../../db/orm.ts';
import { createLogger } from '../../runtime/logger.ts';
import { ensureSchedules } from '../../api/schedules.ts';
import { RFM_SCHEDULE_ID } from '../../domain/ids.ts';
import { emptyCounts, segmentOf } from '../../domain/rfm.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { recordHistory as recordRun } from '../support/histories.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Ev {
  type: 'signup' | 'login' | 'key_action' | 'purchase' | 'referral';
  at: Date;
  amount?: number;
}

async function addCustomer(orm: Orm, externalId: string): Promise<string> {
  const id = randomUUID();
  await orm.em
    .getConnection()
    .execute(
      `insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at) values (?, ?, ?, ?, now(), now())`,
      [id, externalId, `${externalId}@example.com`, randomUUID()],
    );
  return id;
}

async function addEvents(orm: Orm, customerId: string, events: Ev[]): Promise<void> {
  const rows = events.map((e) => ({ type: e.type, at: e.at.toISOString(), amount: e.amount ?? null, key: randomUUID() }));
  await orm.em.getConnection().execute(
    `insert into customer_events (customer_id, type, at, amount, idempotency_key, received_at)
     select ?, x.type, x.at, x.amount, x.key, now() from jsonb_to_recordset(?::jsonb) as x(type text, at timestamptz, amount numeric, key text)`,
    [customerId, JSON.stringify(rows)],
  );
}

/**
 * Events for a customer whose last event is `days` whole days before asOf, with `frequency` login/key_action/purchase
 * events and purchases summing to `amounts`. A signup two days before the last event counts for nothing but presence.
 */
function history(asOf: number, days: number, frequency: number, amounts: number[] = []): Ev[] {
  const last = asOf - days * DAY - HOUR;
  const events: Ev[] = [{ type: 'signup', at: new Date(last - 2 * DAY) }];
  amounts.forEach((amount, i) => events.push({ type: 'purchase', at: new Date(last - i * HOUR), amount }));
  for (let i = amounts.length; i < frequency; i++) {
    events.push({ type: i % 2 ? 'key_action' : 'login', at: new Date(last - i * HOUR) });
  }
  if (frequency === 0) events.push({ type: 'signup', at: new Date(last) });
  return events;
}

describe('scoreRfm against PostgreSQL', () => {
  let db: TestDb;
  let score: ReturnType<typeof createRfmActivities>['scoreRfm'];
  const asOf = Date.parse('2026-06-30T12:00:00Z');
  const ids: Record<string, string> = {};

  /**
   * 25 scored customers. A tie group takes its mid-rank (rank + (size - 1) / 2), and with n = 25 a score is
   * 1 + floor(5 * (midrank - 1) / 24): mid-ranks up to 5.5 -> 1, 6-10.5 -> 2, 11-15 -> 3, 15.5-20 -> 4, 20.5-25 -> 5
   * (so singles: ranks 1-5 -> 1, 6-10 -> 2, 11-15 -> 3, 16-20 -> 4, 21-25 -> 5). Frequency 0 and monetary 0 are 1.
   * The ties straddling a boundary catch both a split (ntile) and a tie taking its lowest or highest position.
   * Recency (days, more days ranks lower): 300 250 200 180 150 | 120 100 90 80 70 | 60 50 45 40 35 | 30 25 20 15 7 7 | 3 2 1 0
   *   (H and I tie at 7 days on ranks 20-21: mid-rank 20.5 -> R5 both, where the lowest rank, 20, would give R4;
   *   R5 has six customers).
   * Frequency: G 0 -> 1; H I S T 1 (ranks 2-5, mid 3.5) -> 1; U Q W X 2 (6-9, mid 7.5) -> 2;
   *   M L 3 (ranks 10-11, mid 10.5) -> 2 both (the highest rank, 11, would give F3);
   *   Y Z AA 4 (12-14, mid 13) -> 3; V 5 (15) -> 3; P 6, O 7, N 8, K 9, Fa 10 (16-20) -> 4; E 12, D 14, C 16, B 18, A 20 -> 5.
   * Monetary: ten customers spend nothing (ranks 1-10) -> M1 all (ntile would give five of them M2);
   *   I 5, M 10, L 15, Y 20, Z 25 (11-15) -> 3; AA 30, V 40, P 50, Fa 60, O 70 (16-20) -> 4;
   *   N 80, E 90.5, C 100, B 200, A 300 (21-25) -> 5.
   */
  const PLAN: Record<string, { days: number; f: number; spend?: number[]; expect: [number, number, number, string] }> = {
    A: { days: 0, f: 20, spend: [100, 200], expect: [5, 5, 5, 'champions'] },
    B: { days: 1, f: 18, spend: [200], expect: [5, 5, 5, 'champions'] },
    C: { days: 15, f: 16, spend: [100], expect: [4, 5, 5, 'champions'] },
    D: { days: 2, f: 14, expect: [5, 5, 1, 'loyal'] },
    E: { days: 40, f: 12, spend: [90.5], expect: [3, 5, 5, 'loyal'] },
    Fa: { days: 60, f: 10, spend: [60], expect: [3, 4, 4, 'loyal'] },
    K: { days: 20, f: 9, expect: [4, 4, 1, 'loyal'] },
    G: { days: 3, f: 0, expect: [5, 1, 1, 'new'] },
    H: { days: 7, f: 1, expect: [5, 1, 1, 'new'] },
    I: { days: 7, f: 1, spend: [5], expect: [5, 1, 3, 'new'] },
    M: { days: 30, f: 3, spend: [10], expect: [4, 2, 3, 'potential'] },
    L: { days: 25, f: 3, spend: [15], expect: [4, 2, 3, 'potential'] },
    Y: { days: 50, f: 4, spend: [20], expect: [3, 3, 3, 'potential'] },
    Z: { days: 45, f: 4, spend: [25], expect: [3, 3, 3, 'potential'] },
    AA: { days: 35, f: 4, spend: [30], expect: [3, 3, 4, 'potential'] },
    N: { days: 70, f: 8, spend: [80], expect: [2, 4, 5, 'at_risk'] },
    O: { days: 120, f: 7, spend: [70], expect: [2, 4, 4, 'at_risk'] },
    P: { days: 300, f: 6, spend: [50], expect: [1, 4, 4, 'at_risk'] },
    V: { days: 150, f: 5, spend: [40], expect: [1, 3, 4, 'at_risk'] },
    Q: { days: 100, f: 2, expect: [2, 2, 1, 'hibernating'] },
    W: { days: 90, f: 2, expect: [2, 2, 1, 'hibernating'] },
    X: { days: 80, f: 2, expect: [2, 2, 1, 'hibernating'] },
    S: { days: 250, f: 1, expect: [1, 1, 1, 'lost'] },
    T: { days: 200, f: 1, expect: [1, 1, 1, 'lost'] },
    U: { days: 180, f: 2, expect: [1, 2, 1, 'lost'] },
  };
  const EXPECTED_COUNTS = { champions: 3, loyal: 4, new: 3, potential: 5, at_risk: 4, hibernating: 3, lost: 3 };

  const run = (runId: string, extra: { lookbackDays?: number; asOf?: number } = {}) =>
    score({
      runId,
      trigger: 'manual',
      asOf: new Date(extra.asOf ?? asOf).toISOString(),
      lookbackDays: extra.lookbackDays ?? 365,
    });
  const scoresOf = async (key: string) => {
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ r: number | null; f: number | null; m: number | null; segment: string | null; scored_at: Date | null }[]>(
        'select rfm_recency as r, rfm_frequency as f, rfm_monetary as m, segment, scored_at from customers where id = ?',
        [ids[key]],
      );
    return row!;
  };

  beforeAll(async () => {
    db = await createTestDb();
    score = createRfmActivities({ orm: db.orm }).scoreRfm;
    for (const [key, plan] of Object.entries(PLAN)) {
      ids[key] = await addCustomer(db.orm, key);
      await addEvents(db.orm, ids[key]!, history(asOf, plan.days, plan.f, plan.spend));
    }
    // Outside the window, none of these count: a big purchase 400 days back, one after asOf, a referral.
    await addEvents(db.orm, ids.S!, [{ type: 'purchase', at: new Date(asOf - 400 * DAY), amount: 1000 }]);
    await addEvents(db.orm, ids.T!, [{ type: 'purchase', at: new Date(asOf + DAY), amount: 5000 }]);
    await addEvents(db.orm, ids.U!, [{ type: 'referral', at: new Date(asOf - 181 * DAY) }]);
    // Not scored: no events at all; only events before the lookback (with stale scores to clear); only after asOf.
    ids.none = await addCustomer(db.orm, 'none');
    ids.ancient = await addCustomer(db.orm, 'ancient');
    await addEvents(db.orm, ids.ancient, [{ type: 'purchase', at: new Date(asOf - 366 * DAY), amount: 999 }]);
    await db.orm.em
      .getConnection()
      .execute(
        `update customers set rfm_recency = 5, rfm_frequency = 5, rfm_monetary = 5, segment = 'champions', scored_at = now() where id = ?`,
        [ids.ancient],
      );
    ids.future = await addCustomer(db.orm, 'future');
    await addEvents(db.orm, ids.future, [{ type: 'login', at: new Date(asOf + HOUR) }]);
  });

  afterAll(async () => {
    await db?.drop();
  });

  test('scores quintiles with shared scores for ties and assigns every scored customer one segment', async () => {
    const result = await run('rfm-scoring:test-1');
    expect(result).toEqual({ scored: 25, segments: EXPECTED_COUNTS });

    for (const [key, plan] of Object.entries(PLAN)) {
      const s = await scoresOf(key);
      expect({ key, scores: [s.r, s.f, s.m, s.segment] }).toEqual({ key, scores: plan.expect });
      expect(s.segment).toBe(segmentOf({ r: s.r!, f: s.f!, m: s.m! }));
      expect(new Date(s.scored_at!).getTime()).toBe(asOf);
    }
    for (const key of ['none', 'ancient', 'future']) {
      expect(await scoresOf(key)).toEqual({ r: null, f: null, m: null, segment: null, scored_at: null });
    }
    const [row] = await db.orm.em
      .getConnection()
      .execute(`select trigger, as_of, finished_at, scored, segments from rfm_runs where id = 'rfm-scoring:test-1'`);
    expect(row).toMatchObject({ trigger: 'manual', scored: 25, segments: EXPECTED_COUNTS });
    expect(new Date(row!.as_of as string).getTime()).toBe(asOf);
    expect(row!.finished_at).not.toBeNull();
  });

  test('a retried run answers its recorded result without scoring again; a new run scores the new data', async () => {
    // Four logins give G (F 0 so far) frequency 4: tied with Y, Z and AA on ranks 11-14 (mid 12.5) -> F3, so G is no
    // longer new.
    await addEvents(
      db.orm,
      ids.G!,
      [1, 2, 3, 4].map((i) => ({ type: 'login' as const, at: new Date(asOf - (10 + i) * DAY) })),
    );
    expect(await run('rfm-scoring:test-1')).toEqual({ scored: 25, segments: EXPECTED_COUNTS });
    expect((await scoresOf('G')).segment).toBe('new');
    const [{ count }] = (await db.orm.em
      .getConnection()
      .execute<{ count: number }[]>(`select count(*)::int as count from rfm_runs where id = 'rfm-scoring:test-1'`)) as [{ count: number }];
    expect(count).toBe(1);

    const again = await run('rfm-scoring:test-2');
    expect(again.scored).toBe(25);
    expect(await scoresOf('G')).toMatchObject({ r: 5, f: 3, m: 1, segment: 'potential' });
  });

  test('a shorter lookback unscores customers whose events all fall before it, and a later run restores them', async () => {
    const short = await run('rfm-scoring:test-3', { lookbackDays: 100 });
    // Out: P 300, S 250, T 200, U 180, V 150, O 120 days; Q at 100 days is outside (asOf - 100d - 1h).
    expect(short.scored).toBe(18);
    for (const key of ['P', 'S', 'T', 'U', 'V', 'O', 'Q']) expect((await scoresOf(key)).segment).toBeNull();
    expect((await scoresOf('A')).segment).toBe('champions');
    expect(Object.values(short.segments).reduce((a, b) => a + b, 0)).toBe(18);

    await run('rfm-scoring:test-4');
    expect((await scoresOf('P')).segment).toBe('at_risk');
    expect((await scoresOf('Q')).segment).toBe('hibernating');
  });
});

describe('scoreRfm on a fresh install', () => {
  let db: TestDb;
  let score: ReturnType<typeof createRfmActivities>['scoreRfm'];
  const ids: string[] = [];
  const asOf = Date.parse('2026-06-30T18:00:00Z');
  const scores = () =>
    db.orm.em
      .getConnection()
      .execute<{ id: string; r: number; f: number; m: number; segment: string }[]>(
        'select id, rfm_recency as r, rfm_frequency as f, rfm_monetary as m, segment from customers where segment is not null order by id',
      );

  beforeAll(async () => {
    db = await createTestDb();
    score = createRfmActivities({ orm: db.orm }).scoreRfm;
    // Two customers who both signed up today, at 09:00 and 15:00, and did nothing else.
    for (const [i, hour] of ['09', '15'].entries()) {
      ids.push(await addCustomer(db.orm, `fresh-${i}`));
      await addEvents(db.orm, ids[i]!, [{ type: 'signup', at: new Date(`2026-06-30T${hour}:00:00Z`) }]);
    }
  });

  afterAll(async () => {
    await db?.drop();
  });

  test('two customers who both signed up today are potential, not lost', async () => {
    // Recency 0 days for both: tied on ranks 1-2, mid-rank 1.5 -> 1 + floor(5 * 0.5 / 1) = R3 (the lowest rank would
    // give R1, the highest R5). Frequency 0 and monetary 0 are F1 and M1 (their mid-rank would give 3).
    const result = await score({ runId: 'rfm-scoring:fresh-1', trigger: 'manual', asOf: new Date(asOf).toISOString(), lookbackDays: 365 });
    expect(result).toEqual({ scored: 2, segments: { ...emptyCounts(), potential: 2 } });
    const rows = await scores();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({ r: 3, f: 1, m: 1, segment: 'potential' });
      expect(row.segment).not.toBe('lost');
    }
  });

  test('a lone scored customer gets R3', async () => {
    // At 12:00 only the 09:00 signup is in the window (the other is after asOf): n = 1.
    const result = await score({ runId: 'rfm-scoring:fresh-2', trigger: 'manual', asOf: '2026-06-30T12:00:00Z', lookbackDays: 365 });
    expect(result).toEqual({ scored: 1, segments: { ...emptyCounts(), potential: 1 } });
    expect(await scores()).toEqual([expect.objectContaining({ id: ids[0], r: 3, f: 1, m: 1, segment: 'potential' })]);
  });
});

describe('RFM over HTTP and the nightly schedule', () => {
  let stack: Stack;

  /** The run's history once it has finished (RECORD_HISTORIES=1). */
  async function recordHistory(workflowId: string, name: string) {
    if (!process.env.RECORD_HISTORIES) return;
    await stack.env.client.workflow.getHandle(workflowId).result();
    await recordRun(stack.env.client, workflowId, name);
  }
  const names = ['best', 'second', 'middle', 'fourth', 'worst'];

  beforeAll(async () => {
    stack = await startStack();
    // Five customers, each metric ordered the same way: with n = 5 the scores are 5, 4, 3, 2, 1, so the best two are
    // champions (5/5/5 and 4/4/4).
    const now = Date.now();
    for (const [i, name] of names.entries()) {
      const id = await addCustomer(stack.db.orm, name);
      await addEvents(stack.db.orm, id, history(now, i * 10, 10 - i * 2, [500 - i * 100]));
    }
  });

  afterAll(async () => {
    await stack?.close();
  });

  test('an ops manager runs the scoring on demand; readers see the segments and their customers', async () => {
    const analyst = await stack.operator(['analyst']);
    const ops = await stack.operator(['ops_manager']);
    expect((await stack.api('POST', '/segments/rfm-runs', { token: analyst.token, body: {} })).status).toBe(403);
    expect((await stack.api('POST', '/segments/rfm-runs', { token: ops.token, body: { lookbackDays: 0 } })).status).toBe(400);
    expect(
      (await stack.api('POST', '/segments/rfm-runs', { token: ops.token, body: { asOf: new Date(Date.now() + DAY).toISOString() } }))
        .status,
    ).toBe(422);

    const started = await stack.api('POST', '/segments/rfm-runs', { token: ops.token, body: {} });
    expect(started.status).toBe(202);
    const { runId } = started.body as { runId: string };
    expect(runId).toMatch(/^rfm-scoring:manual-/);

    const path = `/segments/rfm-runs/${encodeURIComponent(runId)}`;
    const finished = await eventually(async () => {
      const res = await stack.api('GET', path, { token: analyst.token });
      expect(res.status).toBe(200);
      return res.body.status === 'finished' ? res.body : undefined;
    }, 'the RFM run to finish');
    expect(finished).toMatchObject({ id: runId, trigger: 'manual', scored: 5, segments: { champions: 2 } });

    const segments = await stack.api('GET', '/segments', { token: analyst.token });
    expect(segments.status).toBe(200);
    expect(segments.body.segments.map((s: { name: string }) => s.name)).toEqual([
      'champions',
      'loyal',
      'new',
      'potential',
      'at_risk',
      'hibernating',
      'lost',
    ]);
    expect(segments.body.segments[0]).toMatchObject({ name: 'champions', count: 2, rule: expect.stringContaining('R >= 4') });
    expect(segments.body.segments.find((s: { name: string }) => s.name === 'new').count).toBe(0);
    expect(segments.body.lastRun).toMatchObject({ id: runId, trigger: 'manual', scored: 5 });

    const champions = await stack.api('GET', '/segments/champions/customers?limit=1', { token: analyst.token });
    expect(champions.status).toBe(200);
    expect(champions.body.total).toBe(2);
    expect(champions.body.items).toEqual([
      expect.objectContaining({ externalId: 'best', recency: 5, frequency: 5, monetary: 5, segment: 'champions' }),
    ]);
    const page2 = await stack.api('GET', '/segments/champions/customers?limit=1&offset=1', { token: analyst.token });
    expect(page2.body.items.map((c: { externalId: string }) => c.externalId)).toEqual(['second']);

    const unknown = await stack.api('GET', '/segments/whales/customers', { token: analyst.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('"whales"');
    expect((await stack.api('GET', `/segments/rfm-runs/${encodeURIComponent('rfm-scoring:nope')}`, { token: analyst.token })).status).toBe(
      404,
    );

    // The workflow audits its result just after the run row is finished.
    const actions = await eventually(async () => {
      const audit = await stack.api('GET', `/audit?entityType=rfm_run&entityId=${encodeURIComponent(runId)}`);
      return audit.body.items.length === 2 ? audit.body.items.map((e: { action: string }) => e.action).sort() : undefined;
    }, 'two audit events');
    expect(actions).toEqual(['rfm.run_requested', 'rfm.scored']);
    await recordHistory(runId, 'rfm-manual');
  });

  test('ensureSchedules creates the nightly schedule once and updates it to a changed cron', async () => {
    const log = createLogger('silent');
    const client = stack.env.client;
    // Two processes starting together: one creates, the other updates; neither fails.
    await Promise.all([1, 2].map(() => ensureSchedules({ client, taskQueue: stack.taskQueue, rfmCron: '0 3 * * *', log })));
    const handle = client.schedule.getHandle(RFM_SCHEDULE_ID);
    const created = await handle.describe();
    expect(created.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'rfmScoring',
      workflowId: 'rfm-scoring:scheduled',
      taskQueue: stack.taskQueue,
      args: [{ trigger: 'schedule' }],
    });
    expect(created.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 });
    expect(created.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 3, end: 3 }], minute: [{ start: 0, end: 0 }] });

    await ensureSchedules({ client, taskQueue: stack.taskQueue, rfmCron: '30 4 * * *', log });
    const updated = await handle.describe();
    expect(updated.spec.calendars).toHaveLength(1);
    expect(updated.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 4, end: 4 }], minute: [{ start: 30, end: 30 }] });

    // Taking the action now runs a real scoring with the schedule's trigger.
    await handle.trigger();
    const [row] = await eventually(async () => {
      const rows = await stack.db.orm.em
        .getConnection()
        .execute<{ id: string; scored: number }[]>(
          `select id, scored from rfm_runs where trigger = 'schedule' and finished_at is not null`,
        );
      return rows.length ? rows : undefined;
    }, 'the scheduled run to finish');
    expect(row!.id).toMatch(/^rfm-scoring:scheduled/);
    expect(row!.scored).toBe(5);
    await recordHistory(row!.id, 'rfm-scheduled');
    await handle.delete();
  });
});
