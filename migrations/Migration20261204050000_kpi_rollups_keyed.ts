import { Migration } from '@mikro-orm/migrations';

/**
 * The rollup triggers on customer_events (issue 15) with every read of a rollup table a keyed probe by construction,
 * and the KPI trigger's shared per-day rows written last.
 *
 * - The joins from a statement's events to kpi_cohort_members, kpi_active_days and campaign_attribution_customers
 *   were left to the planner. The triggers run with hash and merge joins off, and a plan made while those tables had
 *   no statistics (autovacuum off, or not yet run) joined each event against every row of the zone: 1,000 signups
 *   took 0.2 s at 5,000 cohort members and 0.9 s at 40,000, growing with the customer count. Each customer is now
 *   found with a LATERAL ... LIMIT 1 probe of the primary key (a subquery the planner cannot flatten into a join),
 *   and per-customer updates are upserts, whose conflict check is a probe of the key.
 * - kpi_days and kpi_cohorts hold one row per day that every batch of the day updates, so concurrent batches queue on
 *   it until the holder commits. The trigger gathers the statement's changes to them and writes them at its end, in
 *   one statement per table in key order (the order every batch takes them in: no deadlock), so a batch holds them only
 *   from its last statement to its commit.
 *
 * The previous functions are kept under *_by_joins names for down().
 */
export class Migration20261204050000_kpi_rollups_keyed extends Migration {
  override name = 'Migration20261204050000_kpi_rollups_keyed';

  override up(): void | Promise<void> {
    this.addSql(`drop trigger "customer_events_kpi_rollups" on "customer_events";`);
    this.addSql(`drop trigger "customer_events_campaign_attribution" on "customer_events";`);
    this.addSql(`alter function kpi_rollup_events() rename to kpi_rollup_events_by_joins;`);
    this.addSql(`alter function campaign_attribution_events() rename to campaign_attribution_events_by_joins;`);
    for (const sql of FUNCTIONS) this.addSql(sql);
    for (const sql of TRIGGERS) this.addSql(sql);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger "customer_events_kpi_rollups" on "customer_events";`);
    this.addSql(`drop trigger "customer_events_campaign_attribution" on "customer_events";`);
    this.addSql(`drop function kpi_rollup_events();`);
    this.addSql(`drop function campaign_attribution_events();`);
    this.addSql(`alter function kpi_rollup_events_by_joins() rename to kpi_rollup_events;`);
    this.addSql(`alter function campaign_attribution_events_by_joins() rename to campaign_attribution_events;`);
    for (const sql of TRIGGERS) this.addSql(sql);
  }
}

const TRIGGERS = [
  `create trigger "customer_events_kpi_rollups" after insert on "customer_events" referencing new table as new_events for each statement execute function kpi_rollup_events();`,
  `create trigger "customer_events_campaign_attribution" after insert on "customer_events" referencing new table as new_events for each statement execute function campaign_attribution_events();`,
];

const FUNCTIONS = [
  // The trigger: folds one statement's new events into every reporting zone's rollups (the figures as
  // Migration20261203224000_kpi_day_actives defines them). The SET options keep the planner from scanning a rollup
  // table; the LATERAL ... LIMIT 1 probes leave it nothing else to choose.
  `create function kpi_rollup_events() returns trigger language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare
  z text;
  r record;
  last_day date;
  -- The statement's changes to kpi_days (per zone and day: customers after a gap, purchases) and kpi_cohorts.
  d_tz text[] := '{}'; d_day date[] := '{}'; d_gap int[] := '{}'; d_n int[] := '{}'; d_purchases bigint[] := '{}';
  d_gmv numeric[] := '{}';
  c_tz text[] := '{}'; c_day date[] := '{}'; c_size int[] := '{}'; c_r1 int[] := '{}'; c_r7 int[] := '{}';
  c_r30 int[] := '{}'; c_converted int[] := '{}';
begin
  if not exists (select 1 from kpi_zones) or not exists (select 1 from new_events) then return null; end if;
  perform kpi_lock_customers(array(select distinct customer_id from new_events));
  -- One zone at a time: a zone name that is a constant of the statement converts times far faster than one read
  -- from a table row.
  for z in select tz from kpi_zones order by tz loop
    select max(day) into last_day from kpi_days where tz = z;

    -- Active days: a new day d between a customer's existing days p and n turns n's gap (n - p) into (n - d) and
    -- adds d's (d - p); several new days in one gap chain up.
    with b as (
      select e.customer_id, (e.at at time zone z)::date as day,
        count(*) filter (where e.type = 'purchase') as purchases,
        coalesce(sum(e.amount) filter (where e.type = 'purchase'), 0) as gmv
      from new_events e group by 1, 2
    ),
    probe as (
      -- One probe finds the day itself (then it is not new) or the previous one.
      select b.*, p.day as p_e from b
      left join lateral (select a.day from kpi_active_days a where a.tz = z and a.customer_id = b.customer_id and a.day <= b.day
        order by a.day desc limit 1) p on true
    ),
    fresh as (
      -- The next one is looked for only when some customer has a later day at all (live events are the latest).
      select b.customer_id, b.day, b.p_e, n.day as n_e from probe b
      left join lateral (select a.day from kpi_active_days a where b.day < last_day and a.tz = z and a.customer_id = b.customer_id
        and a.day > b.day order by a.day limit 1) n on true
      where b.p_e is distinct from b.day
    ),
    chain as (
      select day, p_e, n_e, lag(day) over g as prev_new, lead(day) over g as next_new
      from fresh window g as (partition by customer_id, p_e order by day)
    ),
    moves as (
      select day, day - coalesce(prev_new, p_e) as gap, 1 as n, 0::bigint as purchases, 0::numeric as gmv from chain
      union all select n_e, n_e - day, 1, 0, 0 from chain where next_new is null and n_e is not null
      union all select n_e, n_e - p_e, -1, 0, 0 from chain where next_new is null and n_e is not null
      union all select day, null, 0, sum(purchases), sum(gmv) from b where purchases > 0 group by 1
    ),
    -- New days are inserted (the customers' locks keep out any other writer), known days take their purchases.
    days as (
      insert into kpi_active_days as a (tz, customer_id, day, purchases, gmv)
      select z, customer_id, day, purchases, gmv from probe where p_e is distinct from day or purchases > 0 order by 2, 3
      on conflict (tz, customer_id, day) do update set purchases = a.purchases + excluded.purchases, gmv = a.gmv + excluded.gmv
    )
    select array_agg(day) as days, array_agg(gap) as gaps, array_agg(n) as ns, array_agg(purchases) as purchases, array_agg(gmv) as gmvs
    into r from (select day, gap, sum(n)::int as n, sum(purchases)::bigint as purchases, sum(gmv) as gmv from moves group by 1, 2) s
    where n <> 0 or purchases <> 0;
    if r.days is not null then
      d_tz := d_tz || array_fill(z, array[cardinality(r.days)]);
      d_day := d_day || r.days; d_gap := d_gap || r.gaps; d_n := d_n || r.ns; d_purchases := d_purchases || r.purchases;
      d_gmv := d_gmv || r.gmvs;
    end if;

    -- A signup earlier than the customer's known first one (or their first): the customer joins that day's cohort,
    -- with their retention and conversion worked out from what is stored (this statement sees the days added above).
    if exists (select 1 from new_events where type = 'signup') then
      with cand as (select customer_id, min(at) as signup_at from new_events where type = 'signup' group by 1),
      changed as (
        select z as tz, c.customer_id, c.signup_at, (c.signup_at at time zone z)::date as cohort_day,
          m.cohort_day as old_day, m.r1 as o1, m.r7 as o7, m.r30 as o30, m.converted as oc
        from cand c
        left join lateral (select * from kpi_cohort_members m where m.tz = z and m.customer_id = c.customer_id limit 1) m on true
        where m.signup_at is null or c.signup_at < m.signup_at
      ),
      computed as (
        select x.*,
          exists (select 1 from kpi_active_days a where a.tz = x.tz and a.customer_id = x.customer_id and a.day = x.cohort_day + 1) as r1,
          exists (select 1 from kpi_active_days a where a.tz = x.tz and a.customer_id = x.customer_id and a.day = x.cohort_day + 7) as r7,
          exists (select 1 from kpi_active_days a where a.tz = x.tz and a.customer_id = x.customer_id and a.day = x.cohort_day + 30) as r30,
          -- coalesce: found through (customer_id, at), not the type's index
          exists (select 1 from customer_events e where e.customer_id = x.customer_id and coalesce(e.type, '') = 'purchase'
            and e.at >= x.signup_at and e.at < (x.cohort_day + 31)::timestamp at time zone z) as converted
        from changed x
      ),
      members as (
        insert into kpi_cohort_members as m (tz, customer_id, signup_at, cohort_day, r1, r7, r30, converted)
        select tz, customer_id, signup_at, cohort_day, r1, r7, r30, converted from computed order by 1, 2
        on conflict (tz, customer_id) do update set signup_at = excluded.signup_at, cohort_day = excluded.cohort_day,
          r1 = excluded.r1, r7 = excluded.r7, r30 = excluded.r30, converted = excluded.converted
      ),
      deltas as (
        select cohort_day as day, 1 as size, r1::int as r1, r7::int as r7, r30::int as r30, converted::int as converted from computed
        union all select old_day, -1, -o1::int, -o7::int, -o30::int, -oc::int from computed where old_day is not null
      )
      select array_agg(day) as days, array_agg(size) as sizes, array_agg(r1) as r1s, array_agg(r7) as r7s, array_agg(r30) as r30s,
        array_agg(converted) as converteds
      into r from (select day, sum(size)::int as size, sum(r1)::int as r1, sum(r7)::int as r7, sum(r30)::int as r30,
        sum(converted)::int as converted from deltas group by 1) s;
      if r.days is not null then
        c_tz := c_tz || array_fill(z, array[cardinality(r.days)]);
        c_day := c_day || r.days; c_size := c_size || r.sizes; c_r1 := c_r1 || r.r1s; c_r7 := c_r7 || r.r7s;
        c_r30 := c_r30 || r.r30s; c_converted := c_converted || r.converteds;
      end if;
    end if;

    -- Known cohort members back on day 1, 7 or 30, or buying within their conversion window, in any order. Per
    -- customer and local day, the day's last purchase: the window holds a purchase at or after the signup exactly
    -- when some day in it has its last one there.
    with d as (
      select e.customer_id, (e.at at time zone z)::date as day, max(e.at) filter (where e.type = 'purchase') as bought_at
      from new_events e group by 1, 2
    ),
    hits as (
      select m.customer_id, m.signup_at, m.cohort_day,
        not m.r1 and bool_or(d.day = m.cohort_day + 1) as h1,
        not m.r7 and bool_or(d.day = m.cohort_day + 7) as h7,
        not m.r30 and bool_or(d.day = m.cohort_day + 30) as h30,
        not m.converted and coalesce(bool_or(d.day <= m.cohort_day + 30 and d.bought_at >= m.signup_at), false) as hc
      from d cross join lateral (select * from kpi_cohort_members m where m.tz = z and m.customer_id = d.customer_id limit 1) m
      group by m.customer_id, m.signup_at, m.cohort_day, m.r1, m.r7, m.r30, m.converted
    ),
    flagged as (select * from hits where h1 or h7 or h30 or hc),
    members as (
      insert into kpi_cohort_members as m (tz, customer_id, signup_at, cohort_day, r1, r7, r30, converted)
      select z, customer_id, signup_at, cohort_day, h1, h7, h30, hc from flagged order by 2
      on conflict (tz, customer_id) do update set r1 = m.r1 or excluded.r1, r7 = m.r7 or excluded.r7,
        r30 = m.r30 or excluded.r30, converted = m.converted or excluded.converted
    )
    select array_agg(cohort_day) as days, array_agg(h1) as r1s, array_agg(h7) as r7s, array_agg(h30) as r30s, array_agg(hc) as converteds
    into r from (select cohort_day, sum(h1::int)::int as h1, sum(h7::int)::int as h7, sum(h30::int)::int as h30,
      sum(hc::int)::int as hc from flagged group by 1) s;
    if r.days is not null then
      c_tz := c_tz || array_fill(z, array[cardinality(r.days)]);
      c_day := c_day || r.days; c_size := c_size || array_fill(0, array[cardinality(r.days)]); c_r1 := c_r1 || r.r1s;
      c_r7 := c_r7 || r.r7s; c_r30 := c_r30 || r.r30s; c_converted := c_converted || r.converteds;
    end if;
  end loop;

  -- The shared per-day rows, last: kpi_days, then kpi_cohorts, each in (zone, day) order.
  if cardinality(d_day) > 0 then
    with r as (select * from unnest(d_tz, d_day, d_gap, d_n, d_purchases, d_gmv) r(tz, day, gap, n, purchases, gmv)),
    d as (
      select tz, day, sum(purchases) as purchases, sum(gmv) as gmv,
        case when bool_or(n <> 0) then kpi_actives_from_gaps(array_agg(gap) filter (where n <> 0), array_agg(n::bigint) filter (where n <> 0)) end as actives
      from r group by 1, 2
    )
    insert into kpi_days as k (tz, day, purchases, gmv, actives)
    select tz, day, purchases, gmv, coalesce(actives, '{}') from d order by 1, 2
    on conflict (tz, day) do update set purchases = k.purchases + excluded.purchases, gmv = k.gmv + excluded.gmv,
      actives = case when excluded.actives = '{}' then k.actives else kpi_sum_arrays(k.actives, excluded.actives) end;
  end if;
  if cardinality(c_day) > 0 then
    insert into kpi_cohorts as k (tz, day, size, r1, r7, r30, converted)
    select tz, day, sum(size), sum(r1), sum(r7), sum(r30), sum(converted)
    from unnest(c_tz, c_day, c_size, c_r1, c_r7, c_r30, c_converted) c(tz, day, size, r1, r7, r30, converted)
    group by 1, 2 order by 1, 2
    on conflict (tz, day) do update set size = k.size + excluded.size, r1 = k.r1 + excluded.r1, r7 = k.r7 + excluded.r7,
      r30 = k.r30 + excluded.r30, converted = k.converted + excluded.converted;
  end if;
  return null;
end $$;`,

  `create function campaign_attribution_events() returns trigger language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
begin
  if not exists (select 1 from new_events where campaign_id is not null) then return null; end if;
  -- Every customer of the statement, as the KPI trigger locks them: one set in one order, whichever trigger runs first.
  perform kpi_lock_customers(array(select distinct customer_id from new_events));
  with b as (
    select campaign_id, customer_id, min(at) as first_at, min(at) filter (where type = 'purchase') as fp,
      min(at) filter (where type = 'signup') as fs, min(at) filter (where type = 'click') as fc
    from new_events where campaign_id is not null group by 1, 2
  ),
  merged as (
    select b.campaign_id, b.customer_id, o.first_at as o_at, o.first_purchase_at as o_p, o.first_signup_at as o_s,
      o.first_click_at as o_c, least(o.first_at, b.first_at) as n_at, least(o.first_purchase_at, b.fp) as n_p,
      least(o.first_signup_at, b.fs) as n_s, least(o.first_click_at, b.fc) as n_c
    from b left join lateral (select * from campaign_attribution_customers o
      where o.campaign_id = b.campaign_id and o.customer_id = b.customer_id limit 1) o on true
  ),
  changed as (
    select * from merged
    where n_at is distinct from o_at or n_p is distinct from o_p or n_s is distinct from o_s or n_c is distinct from o_c
  ),
  saved as (
    insert into campaign_attribution_customers as a (campaign_id, customer_id, first_at, first_purchase_at, first_signup_at, first_click_at)
    select campaign_id, customer_id, n_at, n_p, n_s, n_c from changed order by 1, 2
    on conflict (campaign_id, customer_id) do update set first_at = excluded.first_at, first_purchase_at = excluded.first_purchase_at,
      first_signup_at = excluded.first_signup_at, first_click_at = excluded.first_click_at
  ),
  moves as (
    select campaign_id, at, d, kind from changed
    cross join lateral (values (n_at, 1, 0), (o_at, -1, 0), (n_p, 1, 1), (o_p, -1, 1), (n_s, 1, 2), (o_s, -1, 2), (n_c, 1, 3), (o_c, -1, 3)) v(at, d, kind)
    where v.at is not null
      and (case kind when 0 then n_at is distinct from o_at when 1 then n_p is distinct from o_p
             when 2 then n_s is distinct from o_s else n_c is distinct from o_c end)
  ),
  deltas as (
    select campaign_id, (at at time zone 'UTC')::date as day, 0 as purchases, 0 as gmv, sum(d) filter (where kind = 0) as customers,
      sum(d) filter (where kind = 1) as converted, sum(d) filter (where kind = 2) as new_users, sum(d) filter (where kind = 3) as clickers
    from moves group by 1, 2
    union all select campaign_id, (at at time zone 'UTC')::date, count(*), sum(amount), 0, 0, 0, 0
    from new_events where campaign_id is not null and type = 'purchase' group by 1, 2
  )
  insert into campaign_attribution_days as k (campaign_id, day, purchases, gmv, customers, converted, new_users, clickers)
  select campaign_id, day, sum(purchases), coalesce(sum(gmv), 0), coalesce(sum(customers), 0), coalesce(sum(converted), 0),
    coalesce(sum(new_users), 0), coalesce(sum(clickers), 0)
  from deltas group by 1, 2 order by 1, 2
  on conflict (campaign_id, day) do update set purchases = k.purchases + excluded.purchases, gmv = k.gmv + excluded.gmv,
    customers = k.customers + excluded.customers, converted = k.converted + excluded.converted,
    new_users = k.new_users + excluded.new_users, clickers = k.clickers + excluded.clickers;
  return null;
end $$;`,
];
