// What customer events carrying a campaign id add up to, for the retrospective, its goals and the A/B test: read from
// the rollups a trigger on customer_events keeps (migrations/Migration20261203162000_kpi_rollups.ts), per campaign
// and UTC day, and per campaign and customer (their first event, purchase, signup and click). A cut-off instant
// inside a day takes the whole days before it from the day rollup and that day's part from the first-times and the
// day's purchases. The raw queries stay as the reference the tests compare against.
import type { Orm } from './orm.ts';
import { cents, type Attribution, type VariantResult } from '../domain/campaign.ts';

type Row = { conversions: number; purchases: number; gmv: number; uv: number; new_users: number; clicks: number };

const toAttribution = (a: Row): Attribution => ({
  conversions: Number(a.conversions),
  purchases: Number(a.purchases),
  gmv: cents(Number(a.gmv)) / 100,
  uv: Number(a.uv),
  newUsers: Number(a.new_users),
  clicks: Number(a.clicks),
});

/** The campaign's attributed figures from its events up to `until` (inclusive; default: all). */
export async function campaignAttribution(orm: Orm, campaignId: string, until?: string): Promise<Attribution> {
  const conn = orm.em.getConnection();
  if (!until) {
    const [a] = await conn.execute<Row[]>(
      `select coalesce(sum(converted), 0)::int as conversions, coalesce(sum(purchases), 0)::int as purchases,
         coalesce(sum(gmv), 0)::float8 as gmv, coalesce(sum(customers), 0)::int as uv,
         coalesce(sum(new_users), 0)::int as new_users, coalesce(sum(clickers), 0)::int as clicks
       from campaign_attribution_days where campaign_id = ?`,
      [campaignId],
    );
    return toAttribution(a!);
  }
  const [a] = await conn.execute<Row[]>(
    `with cut as (select ?::timestamptz as until, (?::timestamptz at time zone 'UTC')::date as day),
     days as (
       select coalesce(sum(converted), 0) as conversions, coalesce(sum(purchases), 0) as purchases, coalesce(sum(gmv), 0) as gmv,
         coalesce(sum(customers), 0) as uv, coalesce(sum(new_users), 0) as new_users, coalesce(sum(clickers), 0) as clicks
       from campaign_attribution_days, cut where campaign_id = ? and campaign_attribution_days.day < cut.day
     ),
     firsts as (
       select count(*) filter (where first_purchase_at >= cut.day::timestamp at time zone 'UTC' and first_purchase_at <= cut.until) as conversions,
         count(*) filter (where first_at >= cut.day::timestamp at time zone 'UTC' and first_at <= cut.until) as uv,
         count(*) filter (where first_signup_at >= cut.day::timestamp at time zone 'UTC' and first_signup_at <= cut.until) as new_users,
         count(*) filter (where first_click_at >= cut.day::timestamp at time zone 'UTC' and first_click_at <= cut.until) as clicks
       from campaign_attribution_customers, cut where campaign_id = ?
     ),
     sales as (
       select count(*) as purchases, coalesce(sum(amount), 0) as gmv from customer_events, cut
       where campaign_id = ? and type = 'purchase' and at >= cut.day::timestamp at time zone 'UTC' and at <= cut.until
     )
     select (d.conversions + f.conversions)::int as conversions, (d.purchases + s.purchases)::int as purchases,
       (d.gmv + s.gmv)::float8 as gmv, (d.uv + f.uv)::int as uv, (d.new_users + f.new_users)::int as new_users,
       (d.clicks + f.clicks)::int as clicks
     from days d, firsts f, sales s`,
    [until, until, campaignId, campaignId, campaignId],
  );
  return toAttribution(a!);
}

/** The same figures from the raw events: the reference for the rollups. */
export async function campaignAttributionRaw(orm: Orm, campaignId: string, until?: string): Promise<Attribution> {
  const [a] = await orm.em.getConnection().execute<Row[]>(
    `select count(distinct customer_id) filter (where type = 'purchase')::int as conversions,
       count(*) filter (where type = 'purchase')::int as purchases,
       coalesce(sum(amount) filter (where type = 'purchase'), 0)::float8 as gmv,
       count(distinct customer_id)::int as uv,
       count(distinct customer_id) filter (where type = 'signup')::int as new_users,
       count(distinct customer_id) filter (where type = 'click')::int as clicks
     from customer_events where campaign_id = ? and (?::timestamptz is null or at <= ?::timestamptz)`,
    [campaignId, until ?? null, until ?? null],
  );
  return toAttribution(a!);
}

export type VariantFigures = Omit<VariantResult, 'rate'>;

/** The A/B test group's sends per variant, and how many of those recipients converted or clicked (campaign events). */
export async function variantFigures(orm: Orm, campaignId: string, variants: string[], raw = false): Promise<VariantFigures[]> {
  const rows = await orm.em.getConnection().execute<{ variant: string; sent: number; conversions: number; clicks: number }[]>(
    raw
      ? `select r.variant, count(*)::int as sent,
         count(*) filter (where exists (select 1 from customer_events e where e.campaign_id = ? and e.customer_id = r.customer_id and e.type = 'purchase'))::int as conversions,
         count(*) filter (where exists (select 1 from customer_events e where e.campaign_id = ? and e.customer_id = r.customer_id and e.type = 'click'))::int as clicks
       from campaign_recipients r where r.campaign_id = ? and r.phase = 'test' and r.status = 'sent' group by r.variant`
      : `select r.variant, count(*)::int as sent, count(a.first_purchase_at)::int as conversions, count(a.first_click_at)::int as clicks
       from campaign_recipients r
       left join campaign_attribution_customers a on a.campaign_id = ? and a.customer_id = r.customer_id
       where r.campaign_id = ? and r.phase = 'test' and r.status = 'sent' group by r.variant`,
    raw ? [campaignId, campaignId, campaignId] : [campaignId, campaignId],
  );
  return variants.map((name) => {
    const r = rows.find((x) => x.variant === name);
    return { name, sent: r?.sent ?? 0, conversions: r?.conversions ?? 0, clicks: r?.clicks ?? 0 };
  });
}
