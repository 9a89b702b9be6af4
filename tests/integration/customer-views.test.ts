// The reads the console's Customers area needs beyond the lists: a customer's coupons and the RFM R×F grid.
import { randomUUID } from 'node:crypto';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';

let stack: Stack;
let manager: TestOperator;
let analyst: TestOperator;
const run = randomUUID().slice(0, 8);
const sql = (text: string, params: unknown[] = []) => stack.db.orm.em.getConnection().execute(text, params);

beforeAll(async () => {
  stack = await startStack();
  manager = await stack.operator(['ops_manager'], 'Mia');
  analyst = await stack.operator(['analyst'], 'Ana');
});

afterAll(async () => {
  await stack?.close();
});

async function customers(names: string[]): Promise<string[]> {
  const res = await stack.api('POST', '/customers', {
    token: manager.token,
    body: {
      customers: names.map((n) => ({ externalId: `${n}-${run}`, email: `${n}-${run}@example.com` })),
    },
  });
  expect(res.status).toBe(200);
  return res.body.items.map((i: { id: string }) => i.id);
}

test("a customer's coupons, newest first and paged; read-only staff see a shortened code", async () => {
  const [ada, bob] = await customers(['ada', 'bob']);
  await sql(
    `insert into coupons (code, idempotency_key, customer_id, purpose, created_at, expires_at, redeemed_at) values
     ('WB-OLD-123', ?, ?, 'winback', '2026-01-01T00:00Z', '2026-01-31T00:00Z', '2026-01-10T00:00Z'),
     ('WB-NEW-456', ?, ?, 'winback', '2026-03-01T00:00Z', '2026-03-31T00:00Z', null),
     ('WB-BOB-789', ?, ?, 'winback', '2026-03-02T00:00Z', null, null)`,
    [`k1-${run}`, ada, `k2-${run}`, ada, `k3-${run}`, bob],
  );

  const mine = await stack.api('GET', `/customers/${ada}/coupons`, { token: manager.token });
  expect(mine.status).toBe(200);
  expect(mine.body).toEqual({
    total: 2,
    items: [
      {
        code: 'WB-NEW-456',
        purpose: 'winback',
        issuedAt: '2026-03-01T00:00:00.000Z',
        expiresAt: '2026-03-31T00:00:00.000Z',
        redeemedAt: null,
      },
      {
        code: 'WB-OLD-123',
        purpose: 'winback',
        issuedAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2026-01-31T00:00:00.000Z',
        redeemedAt: '2026-01-10T00:00:00.000Z',
      },
    ],
  });
  const page2 = await stack.api('GET', `/customers/${ada}/coupons?limit=1&offset=1`, { token: analyst.token });
  expect(page2.body).toMatchObject({ total: 2, items: [{ code: 'WB-…', redeemedAt: '2026-01-10T00:00:00.000Z' }] });

  expect((await stack.api('GET', `/customers/${randomUUID()}/coupons`, { token: analyst.token })).status).toBe(404);
  const ingest = await stack.operator(['ingest']);
  expect((await stack.api('GET', `/customers/${ada}/coupons`, { token: ingest.token })).status).toBe(403);
});

test('GET /segments counts scored customers per R and F score pair (the R×F grid)', async () => {
  const ids = await customers(['r5f5a', 'r5f5b', 'r1f2', 'r3f1', 'unscored']);
  const score = (id: string, r: number, f: number, m: number, segment: string) =>
    sql('update customers set rfm_recency = ?, rfm_frequency = ?, rfm_monetary = ?, segment = ?, scored_at = now() where id = ?', [
      r,
      f,
      m,
      segment,
      id,
    ]);
  await score(ids[0]!, 5, 5, 5, 'champions');
  await score(ids[1]!, 5, 5, 1, 'loyal');
  await score(ids[2]!, 1, 2, 1, 'lost');
  await score(ids[3]!, 3, 1, 2, 'potential');

  const res = await stack.api('GET', '/segments', { token: analyst.token });
  expect(res.status).toBe(200);
  expect(res.body.grid).toEqual([
    { recency: 5, frequency: 5, count: 2 },
    { recency: 3, frequency: 1, count: 1 },
    { recency: 1, frequency: 2, count: 1 },
  ]);
  // The grid and the segment counts describe the same customers.
  const inGrid = res.body.grid.reduce((n: number, c: { count: number }) => n + c.count, 0);
  expect(res.body.segments.reduce((n: number, s: { count: number }) => n + s.count, 0)).toBe(inGrid);
});

test('GET /customers?q= finds text in the name, email or externalId, in any case; LIKE wildcards match themselves', async () => {
  const res = await stack.api('POST', '/customers', {
    token: manager.token,
    body: {
      customers: [
        { externalId: `ZHANG-${run}`, email: `wei-${run}@example.com`, name: 'Zhang Wei' },
        { externalId: `li-${run}`, email: `li_na-${run}@example.com`, name: 'Li Na' },
        { externalId: `wang-${run}`, email: `wang-${run}@example.com`, name: '王芳' },
      ],
    },
  });
  expect(res.status).toBe(200);
  const find = async (q: string, extra = '') => {
    const list = await stack.api('GET', `/customers?q=${encodeURIComponent(q)}${extra}`, { token: analyst.token });
    expect(list.status).toBe(200);
    return list.body.items.map((c: { externalId: string }) => c.externalId).sort();
  };
  expect(await find('zhang w')).toEqual([`ZHANG-${run}`]); // the name, any case
  expect(await find(`WEI-${run}@`)).toEqual([`ZHANG-${run}`]); // the email
  expect(await find(`zhang-${run}`)).toEqual([`ZHANG-${run}`]); // the externalId
  expect(await find('王')).toEqual([`wang-${run}`]);
  // '_' is a character here, not LIKE's any-one-character: "n_-" is not the "ng-" of wang-.
  expect(await find(`_na-${run}`)).toEqual([`li-${run}`]);
  expect(await find(`n_-${run}`)).toEqual([]);
  expect(await find(`%-${run}@`)).toEqual([]);
  expect(await find(run, '&limit=2')).toHaveLength(2);
  const counted = await stack.api('GET', `/customers?q=${run}&limit=1`, { token: analyst.token });
  expect(counted.body.total).toBeGreaterThanOrEqual(3);
  expect((await stack.api('GET', '/customers?q=', { token: analyst.token })).status).toBe(400);
});
