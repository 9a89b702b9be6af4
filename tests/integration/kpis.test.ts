// KPIs against real PostgreSQL: a handful of customers whose every figure can be worked out by hand, then the route.
import type { Orm } from '../../db/orm.ts';
import { computeKpis, computeKpisRaw, type KpiDay } from '../../db/kpis.ts';
import { addKpiZone, backfillKpiZoneBatch } from '../../db/kpi-rollups.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';
import { recordHistory } from '../support/histories.ts';
import { kpiZoneBackfillId } from '../../domain/ids.ts';

const id = (c: string) => `00000000-0000-4000-8000-00000000000${'abcdefg'.indexOf(c) + 1}`;

/**
 * Active days in UTC (Asia/Shanghai, UTC+8, where it differs):
 *   A  signup 02-01 10:00, 02-02, purchase 100.00 02-05, 02-08, 03-03
 *   B  signup 02-01 12:00, 02-02, purchase 50.00 03-05 (day 32: too late to convert)
 *   C  signup 02-01 23:30 (02-02 in Shanghai), 02-02, 03-03 16:30 (03-04 in Shanghai)
 *   D  signup 01-10, 01-20, purchases 19.99 + 30.00 02-10
 *   E  signup 03-10, 03-11, purchase 10.50 03-12
 *   F  signup 2025-12-01, a repeated signup event 02-03 (activity, not a second signup)
 *   G  signup 03-14 09:00, 03-15 08:00 (before NOW, but day 03-15 has not ended)
 */
const EVENTS: [string, string, string, number?][] = [
  ['a', 'signup', '2026-02-01T10:00Z'],
  ['a', 'login', '2026-02-02T09:00Z'],
  ['a', 'purchase', '2026-02-05T10:00Z', 100],
  ['a', 'login', '2026-02-08T09:00Z'],
  ['a', 'login', '2026-03-03T09:00Z'],
  ['b', 'signup', '2026-02-01T12:00Z'],
  ['b', 'login', '2026-02-02T12:00Z'],
  ['b', 'purchase', '2026-03-05T12:00Z', 50],
  ['c', 'signup', '2026-02-01T23:30Z'],
  ['c', 'login', '2026-02-02T10:00Z'],
  ['c', 'key_action', '2026-03-03T16:30Z'],
  ['d', 'signup', '2026-01-10T08:00Z'],
  ['d', 'login', '2026-01-20T08:00Z'],
  ['d', 'purchase', '2026-02-10T08:00Z', 19.99],
  ['d', 'purchase', '2026-02-10T09:00Z', 30],
  ['e', 'signup', '2026-03-10T10:00Z'],
  ['e', 'login', '2026-03-11T10:00Z'],
  ['e', 'purchase', '2026-03-12T10:00Z', 10.5],
  ['f', 'signup', '2025-12-01T10:00Z'],
  ['f', 'signup', '2026-02-03T10:00Z'],
  ['g', 'signup', '2026-03-14T09:00Z'],
  ['g', 'login', '2026-03-15T08:00Z'],
];
const NOW = new Date('2026-03-15T12:00:00Z');

async function seed(orm: Orm) {
  const conn = orm.em.getConnection();
  for (const c of 'abcdefg') {
    await conn.execute(
      `insert into customers (id, external_id, email, unsubscribe_token, created_at, updated_at)
       values (?, ?, ?, ?, now(), now())`,
      [id(c), `ext-${c}`, `${c}@example.com`, `unsub-${c}`],
    );
  }
  for (const [i, [c, type, at, amount]] of EVENTS.entries()) {
    await conn.execute(
      `insert into customer_events (customer_id, type, at, amount, idempotency_key, received_at) values (?, ?, ?, ?, ?, now())`,
      [id(c), type, at, amount ?? null, `k${i}`],
    );
  }
}

const day = (date: string, fields: Partial<KpiDay>): KpiDay => ({
  date,
  dau: 0,
  wau: 0,
  mau: 0,
  signups: 0,
  retention: { d1: null, d7: null, d30: null },
  conversion: null,
  purchases: 0,
  gmv: 0,
  arpu: null,
  ...fields,
});

describe('computeKpis', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seed(db.orm);
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('daily figures in UTC, worked out by hand', async () => {
    const r = await computeKpis(db.orm, { from: '2026-02-01', to: '2026-03-14', now: NOW });
    // UTC is a reporting zone from the start: its figures come from the rollups the events' trigger keeps.
    expect(r).toMatchObject({ from: '2026-02-01', to: '2026-03-14', tz: 'UTC', source: 'rollup' });
    expect(r.days).toHaveLength(42);
    const on = (date: string) => r.days.find((d) => d.date === date);

    // Cohort A, B, C: all back on day 1, A on day 7, A and C on day 30; only A bought within 30 days.
    // MAU counts D, active on 01-10 and 01-20, before the range starts.
    expect(on('2026-02-01')).toEqual(
      day('2026-02-01', {
        dau: 3,
        wau: 3,
        mau: 4,
        signups: 3,
        retention: { d1: 1, d7: 0.3333, d30: 0.6667 },
        conversion: 0.3333,
        arpu: 0,
      }),
    );
    expect(on('2026-02-02')).toEqual(day('2026-02-02', { dau: 3, wau: 3, mau: 4, arpu: 0 }));
    // F's repeated signup is activity, not a second cohort.
    expect(on('2026-02-03')).toEqual(day('2026-02-03', { dau: 1, wau: 4, mau: 5, arpu: 0 }));
    expect(on('2026-02-05')).toEqual(day('2026-02-05', { dau: 1, wau: 4, mau: 5, purchases: 1, gmv: 100, arpu: 100 }));
    expect(on('2026-02-10')).toEqual(day('2026-02-10', { dau: 1, wau: 2, mau: 5, purchases: 2, gmv: 49.99, arpu: 49.99 }));
    // Nobody active: ARPU is null; D's 01-20 has left the 30-day window but 02-10 keeps D in it.
    expect(on('2026-02-19')).toEqual(day('2026-02-19', { mau: 5 }));
    expect(on('2026-03-03')).toEqual(day('2026-03-03', { dau: 2, wau: 2, mau: 5, arpu: 0 }));
    // B (last active 02-02) has just left the 30 days ending 03-04 (02-03 to 03-04); F (02-03) is still in.
    expect(on('2026-03-04')).toEqual(day('2026-03-04', { wau: 2, mau: 4 }));
    expect(on('2026-03-05')).toEqual(day('2026-03-05', { dau: 1, wau: 3, mau: 4, purchases: 1, gmv: 50, arpu: 50 }));
    // WAU: E and B (03-05). Day 1 (03-11) has ended by NOW, day 7 (03-17) and day 30 have not.
    expect(on('2026-03-10')).toEqual(
      day('2026-03-10', {
        dau: 1,
        wau: 2,
        mau: 5,
        signups: 1,
        retention: { d1: 1, d7: null, d30: null },
        conversion: 1,
        arpu: 0,
      }),
    );
    // G was active on day 1 (03-15) before NOW, but the day has not ended: null, not 1. No purchase yet: 0.
    expect(on('2026-03-14')).toEqual(
      day('2026-03-14', {
        dau: 1,
        wau: 2,
        mau: 5,
        signups: 1,
        conversion: 0,
        arpu: 0,
      }),
    );
    expect(r.totals).toEqual({ gmv: 210.49, purchases: 5, signups: 5, activeCustomers: 7, arpu: 30.07 });
  });

  test('days follow the time zone: 23:30 UTC is the next morning in Shanghai', async () => {
    const r = await computeKpis(db.orm, { from: '2026-02-01', to: '2026-02-02', tz: 'Asia/Shanghai', now: NOW });
    expect(r.days).toEqual([
      // C signed up at 07:30 on 02-02 local, so the 02-01 cohort is A and B.
      day('2026-02-01', { dau: 2, wau: 2, mau: 3, signups: 2, retention: { d1: 1, d7: 0.5, d30: 0.5 }, conversion: 0.5, arpu: 0 }),
      // C's cohort: nothing on 02-03 or 02-09 local, but 03-03 16:30 UTC is 03-04 local, day 30.
      day('2026-02-02', { dau: 3, wau: 3, mau: 4, signups: 1, retention: { d1: 0, d7: 0, d30: 1 }, conversion: 0, arpu: 0 }),
    ]);
    expect(r.totals).toEqual({ gmv: 0, purchases: 0, signups: 3, activeCustomers: 3, arpu: 0 });
  });

  test('the rollups give the raw figures, in UTC and in a zone added and backfilled later', async () => {
    const ranges = [
      ['2026-02-01', '2026-03-14'],
      ['2026-02-01', '2026-02-02'],
      ['2026-03-01', '2026-03-31'],
      ['2025-12-01', '2026-03-15'],
    ];
    const same = async (tz: string) => {
      for (const [from, to] of ranges) {
        const rollup = await computeKpis(db.orm, { from: from!, to: to!, tz, now: NOW });
        expect(rollup.source).toBe('rollup');
        expect({ ...rollup, source: 'raw' }).toEqual(await computeKpisRaw(db.orm, { from: from!, to: to!, tz, now: NOW }));
      }
    };
    await same('UTC');
    expect(await addKpiZone(db.orm, 'Asia/Shanghai')).toBe(true);
    for (let cursor = await backfillKpiZoneBatch(db.orm, 'Asia/Shanghai', null, 3); cursor;) {
      cursor = await backfillKpiZoneBatch(db.orm, 'Asia/Shanghai', cursor, 3);
    }
    await same('Asia/Shanghai');
  });

  test('a range with no events answers zeros and nulls for every day', async () => {
    const r = await computeKpis(db.orm, { from: '2025-06-01', to: '2025-06-03', now: NOW });
    expect(r.days).toEqual(['2025-06-01', '2025-06-02', '2025-06-03'].map((d) => day(d, {})));
    expect(r.totals).toEqual({ gmv: 0, purchases: 0, signups: 0, activeCustomers: 0, arpu: null });
  });

  test('refuses a range it cannot answer', async () => {
    await expect(computeKpis(db.orm, { from: '2026-02-02', to: '2026-02-01' })).rejects.toThrow('must be on or after from');
    await expect(computeKpis(db.orm, { from: '2026-02-01', to: '2026-02-01', tz: 'Mars/Olympus' })).rejects.toThrow('IANA');
  });
});

describe('GET /kpis', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await seed(stack.db.orm);
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('analysts read the figures; roles without access get 403', async () => {
    const analyst = await stack.operator(['analyst']);
    const res = await stack.api('GET', '/kpis?from=2026-02-01&to=2026-02-02&tz=Asia/Shanghai', { token: analyst.token });
    expect(res.status).toBe(200);
    // Every day here is long over, so the figures no longer depend on the clock.
    expect(res.body).toEqual({
      // Shanghai is no reporting zone here: the raw events answer, and say so.
      from: '2026-02-01',
      to: '2026-02-02',
      tz: 'Asia/Shanghai',
      source: 'raw',
      days: [
        day('2026-02-01', { dau: 2, wau: 2, mau: 3, signups: 2, retention: { d1: 1, d7: 0.5, d30: 0.5 }, conversion: 0.5, arpu: 0 }),
        day('2026-02-02', { dau: 3, wau: 3, mau: 4, signups: 1, retention: { d1: 0, d7: 0, d30: 1 }, conversion: 0, arpu: 0 }),
      ],
      totals: { gmv: 0, purchases: 0, signups: 3, activeCustomers: 3, arpu: 0 },
    });
    const utc = await stack.api('GET', '/kpis?from=2026-02-01&to=2026-03-14', { token: analyst.token });
    expect(utc.body).toMatchObject({ tz: 'UTC', source: 'rollup' });
    expect(utc.body.totals).toEqual({ gmv: 210.49, purchases: 5, signups: 5, activeCustomers: 7, arpu: 30.07 });

    const reviewer = await stack.operator(['reviewer']);
    expect((await stack.api('GET', '/kpis?from=2026-02-01&to=2026-02-02', { token: reviewer.token })).status).toBe(403);
  });

  test.each([
    ['from after to', 'from=2026-02-02&to=2026-02-01', 'query.to'],
    ['a date that does not exist', 'from=2026-02-30&to=2026-03-01', 'query.from'],
    ['367 days', 'from=2025-01-01&to=2026-01-02', 'query.to'],
    ['an unknown time zone', 'from=2026-02-01&to=2026-02-02&tz=Mars/Olympus', 'query.tz'],
    ['an offset instead of a zone', 'from=2026-02-01&to=2026-02-02&tz=%2B08:00', 'query.tz'],
    ['a zone only ICU still knows', 'from=2026-02-01&to=2026-02-02&tz=US/Pacific-New', 'query.tz'],
    ['an unknown parameter', 'from=2026-02-01&to=2026-02-02&day=1', 'query'],
  ])('400 for %s, naming the field', async (_name, qs, field) => {
    const res = await stack.api('GET', `/kpis?${qs}`);
    expect(res.status).toBe(400);
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  test('an admin adds a reporting zone: backfilled in the background, then GET /kpis answers from its rollups', async () => {
    const analyst = await stack.operator(['analyst']);
    expect((await stack.api('POST', '/kpis/zones', { token: analyst.token, body: { tz: 'Asia/Shanghai' } })).status).toBe(403);
    const bad = await stack.api('POST', '/kpis/zones', { body: { tz: 'US/Pacific-New' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toContain('body.tz');

    const added = await stack.api('POST', '/kpis/zones', { body: { tz: 'Asia/Shanghai' } });
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ tz: 'Asia/Shanghai' });
    await eventually(
      async () => {
        const zones = await stack.api('GET', '/kpis/zones', { token: analyst.token });
        return zones.body.items.find((z: { tz: string; ready: boolean }) => z.tz === 'Asia/Shanghai')?.ready === true;
      },
      'the zone backfilled',
      30_000,
    );
    await stack.env.client.workflow.getHandle(kpiZoneBackfillId('Asia/Shanghai')).result();
    await recordHistory(stack.env.client, kpiZoneBackfillId('Asia/Shanghai'), 'kpi-zone-backfilled');
    const res = await stack.api('GET', '/kpis?from=2026-02-01&to=2026-02-02&tz=Asia/Shanghai', { token: analyst.token });
    expect(res.body).toMatchObject({ source: 'rollup', totals: { gmv: 0, purchases: 0, signups: 3, activeCustomers: 3, arpu: 0 } });
    expect(res.body.days[1]).toEqual(
      day('2026-02-02', { dau: 3, wau: 3, mau: 4, signups: 1, retention: { d1: 0, d7: 0, d30: 1 }, conversion: 0, arpu: 0 }),
    );
    // Again: nothing new to do, the same zone answered.
    expect((await stack.api('POST', '/kpis/zones', { body: { tz: 'Asia/Shanghai' } })).body).toMatchObject({
      tz: 'Asia/Shanghai',
      ready: true,
    });
  });

  test('366 days, counting both ends, is allowed', async () => {
    expect((await stack.api('GET', '/kpis?from=2025-01-01&to=2026-01-01')).status).toBe(200);
  });
});
