// Campaign attribution from its rollups against the raw events: events carrying campaign ids stored out of order, in
// batches of every size and some at once, repeated, with cut-off instants on and between UTC midnights.
import { randomUUID } from 'node:crypto';
import { campaignAttribution, campaignAttributionRaw, variantFigures } from '../../db/campaign-attribution.ts';
import type { Orm } from '../../db/orm.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { random } from '../support/random.ts';

const CAMPAIGNS = [randomUUID(), randomUUID()];
const customer = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

async function store(
  orm: Orm,
  rows: { c: number; type: string; at: string; amount: number | null; campaign: string | null; key: string }[],
) {
  await orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into customer_events (customer_id, type, at, amount, campaign_id, idempotency_key, received_at)
     select x.customer_id, x.type, x.at, x.amount, x.campaign_id, x.key, now()
     from jsonb_to_recordset(?::jsonb) as x(customer_id uuid, type text, at timestamptz, amount numeric, campaign_id text, key text)
     on conflict (idempotency_key) do nothing`,
      [
        JSON.stringify(
          rows.map((r) => ({ customer_id: customer(r.c), type: r.type, at: r.at, amount: r.amount, campaign_id: r.campaign, key: r.key })),
        ),
      ],
    );
}

describe('campaign attribution rollups', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('the same figures as the raw events, whole and up to any instant, and per A/B variant', async () => {
    const rnd = random(15);
    const start = Date.parse('2026-03-01T00:00:00Z');
    const events = Array.from({ length: 1500 }, (_, i) => {
      const type = ['login', 'click', 'click', 'purchase', 'signup', 'key_action'][Math.floor(rnd() * 6)]!;
      return {
        c: Math.floor(rnd() * 120),
        type,
        at: new Date(start + Math.floor(rnd() * 20 * 86_400_000)).toISOString(),
        amount: type === 'purchase' ? Math.round(rnd() * 30_000) / 100 : null,
        campaign: rnd() < 0.15 ? null : CAMPAIGNS[Math.floor(rnd() * 2)]!,
        key: `a${i}`,
      };
    });
    // Two events exactly on a midnight, a cut-off's edge.
    events.push({ c: 1, type: 'purchase', at: '2026-03-05T00:00:00.000Z', amount: 12.34, campaign: CAMPAIGNS[0]!, key: 'edge1' });
    events.push({ c: 2, type: 'click', at: '2026-03-05T00:00:00.000Z', amount: null, campaign: CAMPAIGNS[0]!, key: 'edge2' });
    const batches: (typeof events)[] = [];
    for (let i = 0; i < events.length;) {
      const size = 1 + Math.floor(rnd() * 80);
      batches.push(events.slice(i, i + size));
      i += size;
    }
    for (let i = 0; i < batches.length; i += 3) {
      await Promise.all(batches.slice(i, i + 3).map((b) => store(db.orm, b)));
    }
    await store(db.orm, events.slice(0, 200)); // a retried batch changes nothing

    await db.orm.em.getConnection().execute(
      `insert into campaign_recipients (campaign_id, seq, customer_id, phase, variant, status)
       select ?::uuid, i, ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, case when i < 80 then 'test' else 'main' end,
         case when i % 2 = 0 then 'a' else 'b' end, case when i % 7 = 0 then 'skipped' else 'sent' end
       from generate_series(0, 119) i`,
      [CAMPAIGNS[0]],
    );

    const cuts = [
      undefined,
      '2026-02-01T00:00:00Z',
      '2026-03-05T00:00:00Z',
      '2026-03-04T23:59:59.999Z',
      '2026-03-05T00:00:00.001Z',
      '2026-03-10T13:47:12.345Z',
      '2026-03-20T23:59:59Z',
      '2026-06-01T00:00:00Z',
    ];
    for (const campaign of CAMPAIGNS) {
      for (const until of cuts) {
        const raw = await campaignAttributionRaw(db.orm, campaign, until);
        expect({ campaign, until, ...(await campaignAttribution(db.orm, campaign, until)) }).toEqual({ campaign, until, ...raw });
      }
    }
    const whole = await campaignAttribution(db.orm, CAMPAIGNS[0]!);
    expect(whole.purchases).toBeGreaterThan(50);
    expect(whole.uv).toBeGreaterThan(100);
    expect(await campaignAttribution(db.orm, randomUUID())).toEqual({
      conversions: 0,
      purchases: 0,
      gmv: 0,
      uv: 0,
      newUsers: 0,
      clicks: 0,
    });

    const rolled = await variantFigures(db.orm, CAMPAIGNS[0]!, ['a', 'b', 'c']);
    expect(rolled).toEqual(await variantFigures(db.orm, CAMPAIGNS[0]!, ['a', 'b', 'c'], true));
    expect(rolled[0]!.conversions).toBeGreaterThan(0);
  });
});
