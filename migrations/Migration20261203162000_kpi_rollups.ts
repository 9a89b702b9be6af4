import { Migration } from '@mikro-orm/migrations';

/**
 * KPI and attribution rollups (issue 15), kept by statement-level triggers on customer_events in the same statement
 * that stores the events. KPIs per reporting time zone (kpi_zones; db/kpi-rollups.ts reads them and says how they
 * stay exact), UTC from the start; campaign attribution per campaign and UTC day (db/campaign-attribution.ts). Both
 * are backfilled here from the events already stored.
 */
export class Migration20261203162000_kpi_rollups extends Migration {
  override name = 'Migration20261203162000_kpi_rollups';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "kpi_zones" ("tz" text not null, "ready" boolean not null default false, "added_at" timestamptz not null default now(), "ready_at" timestamptz null, primary key ("tz"));`,
    );
    // One row per customer and active local day, with the day's purchases: what a customer contributes to the
    // aggregates below, so a customer's share can be taken out again exactly (a zone's backfill rebuilds customers).
    this.addSql(
      `create table "kpi_active_days" ("tz" text not null, "customer_id" uuid not null, "day" date not null, "purchases" int not null default 0, "gmv" numeric not null default 0, primary key ("tz", "customer_id", "day"));`,
    );
    // How many customers have active day `day` whose previous active day is `prev_day` ('-infinity': none); each
    // customer's last active day also counts once as the pair ('infinity', last day). A pair further apart than 400
    // days (more than any range) counts as (day, '-infinity') plus ('infinity', prev_day), which keeps the table at
    // most about 400 rows per day.
    this.addSql(
      `create table "kpi_day_gaps" ("tz" text not null, "day" date not null, "prev_day" date not null, "n" int not null, primary key ("tz", "day", "prev_day"));`,
    );
    this.addSql(`create index "kpi_day_gaps_prev_day_index" on "kpi_day_gaps" ("tz", "prev_day");`);
    this.addSql(
      `create table "kpi_days" ("tz" text not null, "day" date not null, "purchases" bigint not null default 0, "gmv" numeric not null default 0, primary key ("tz", "day"));`,
    );
    // A customer's cohort: the local day of their first signup event, and what they did after it.
    this.addSql(
      `create table "kpi_cohort_members" ("tz" text not null, "customer_id" uuid not null, "signup_at" timestamptz not null, "cohort_day" date not null, "r1" boolean not null, "r7" boolean not null, "r30" boolean not null, "converted" boolean not null, primary key ("tz", "customer_id"));`,
    );
    this.addSql(
      `create table "kpi_cohorts" ("tz" text not null, "day" date not null, "size" int not null default 0, "r1" int not null default 0, "r7" int not null default 0, "r30" int not null default 0, "converted" int not null default 0, primary key ("tz", "day"));`,
    );
    // A customer's first event, purchase, signup and click carrying the campaign id; per UTC day, the purchases and
    // the customers whose first (any, purchase, signup, click) it was.
    this.addSql(
      `create table "campaign_attribution_customers" ("campaign_id" text not null, "customer_id" uuid not null, "first_at" timestamptz not null, "first_purchase_at" timestamptz null, "first_signup_at" timestamptz null, "first_click_at" timestamptz null, primary key ("campaign_id", "customer_id"));`,
    );
    this.addSql(
      `create table "campaign_attribution_days" ("campaign_id" text not null, "day" date not null, "purchases" bigint not null default 0, "gmv" numeric not null default 0, "customers" int not null default 0, "converted" int not null default 0, "new_users" int not null default 0, "clickers" int not null default 0, primary key ("campaign_id", "day"));`,
    );
    for (const sql of FUNCTIONS) this.addSql(sql);
    this.addSql(
      `create trigger "customer_events_kpi_rollups" after insert on "customer_events" referencing new table as new_events for each statement execute function kpi_rollup_events();`,
    );
    this.addSql(
      `create trigger "customer_events_campaign_attribution" after insert on "customer_events" referencing new table as new_events for each statement execute function campaign_attribution_events();`,
    );
    this.addSql(`insert into "kpi_zones" ("tz", "ready", "ready_at") values ('UTC', true, now());`);
    this.addSql(`select kpi_rebuild_customers('UTC', array(select distinct customer_id from customer_events));`);
    this.addSql(
      `insert into "campaign_attribution_customers" select campaign_id, customer_id, min(at), min(at) filter (where type = 'purchase'), min(at) filter (where type = 'signup'), min(at) filter (where type = 'click') from customer_events where campaign_id is not null group by 1, 2;`,
    );
    this.addSql(`insert into "campaign_attribution_days" (campaign_id, day, purchases, gmv, customers, converted, new_users, clickers)
      select campaign_id, day, sum(purchases), sum(gmv), sum(customers), sum(converted), sum(new_users), sum(clickers) from (
        select campaign_id, (at at time zone 'UTC')::date as day, count(*) as purchases, sum(amount) as gmv, 0 as customers, 0 as converted, 0 as new_users, 0 as clickers
        from customer_events where campaign_id is not null and type = 'purchase' group by 1, 2
        union all select campaign_id, (first_at at time zone 'UTC')::date, 0, 0, 1, 0, 0, 0 from campaign_attribution_customers
        union all select campaign_id, (first_purchase_at at time zone 'UTC')::date, 0, 0, 0, 1, 0, 0 from campaign_attribution_customers where first_purchase_at is not null
        union all select campaign_id, (first_signup_at at time zone 'UTC')::date, 0, 0, 0, 0, 1, 0 from campaign_attribution_customers where first_signup_at is not null
        union all select campaign_id, (first_click_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 1 from campaign_attribution_customers where first_click_at is not null
      ) x group by 1, 2;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "customer_events_kpi_rollups" on "customer_events";`);
    this.addSql(`drop trigger if exists "customer_events_campaign_attribution" on "customer_events";`);
    for (const f of [
      'campaign_attribution_events()',
      'kpi_rollup_events()',
      'kpi_rebuild_customers(text, uuid[])',
      'kpi_bump_gaps(text[], date[], date[], bigint[])',
      'kpi_lock_customers(uuid[])',
    ]) {
      this.addSql(`drop function if exists ${f};`);
    }
    for (const t of [
      'campaign_attribution_days',
      'campaign_attribution_customers',
      'kpi_cohorts',
      'kpi_cohort_members',
      'kpi_days',
      'kpi_day_gaps',
      'kpi_active_days',
      'kpi_zones',
    ]) {
      this.addSql(`drop table if exists "${t}" cascade;`);
    }
  }
}

const FUNCTIONS = [
  // Writers of one customer's rollups go one at a time (locks in key order, so two batches cannot deadlock); a
  // statement naming more customers than the lock table should hold for one transaction (a bulk load) locks out
  // every other writer instead.
  `create function kpi_lock_customers(ids uuid[]) returns void language plpgsql as $$
begin
  if cardinality(ids) > 1000 then
    perform pg_advisory_xact_lock(hashtext('kpi-rollups'), 0);
  else
    perform pg_advisory_xact_lock_shared(hashtext('kpi-rollups'), 0);
    perform pg_advisory_xact_lock(hashtext('kpi-rollups:customer'), k)
    from (select distinct hashtext(c::text) as k from unnest(ids) c order by 1) s;
  end if;
end $$;`,

  // Adds n to each (tz, day, prev_day) pair, splitting pairs more than 400 days apart; rows in key order.
  `create function kpi_bump_gaps(tzs text[], days date[], prevs date[], ns bigint[]) returns bigint language sql as $$
with p as (select * from unnest(tzs, days, prevs, ns) as p(tz, day, prev_day, n)),
near as (select day = 'infinity' or prev_day = '-infinity' or prev_day >= day - 400 as near, * from p),
split as (
  select tz, day, prev_day, n from near where near
  union all select tz, day, '-infinity'::date, n from near where not near
  union all select tz, 'infinity'::date, prev_day, n from near where not near
),
bumped as (
  insert into kpi_day_gaps as g (tz, day, prev_day, n)
  select tz, day, prev_day, sum(n) from split group by 1, 2, 3 having sum(n) <> 0 order by 1, 2, 3
  on conflict (tz, day, prev_day) do update set n = g.n + excluded.n
  returning 1
)
select count(*) from bumped
$$;`,

  // The trigger: folds one statement's new events into every reporting zone's rollups. Every read is a keyed probe;
  // the SET options keep it one even before the rollups' statistics exist (a freshly loaded table once planned as a
  // scan of all its rows per 1,000-event batch).
  `create function kpi_rollup_events() returns trigger language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare
  bumped bigint;
  z text;
begin
  if not exists (select 1 from kpi_zones) or not exists (select 1 from new_events) then return null; end if;
  perform kpi_lock_customers(array(select distinct customer_id from new_events));
  -- One zone at a time: a zone name that is a constant of the statement converts times far faster than one read
  -- from a table row.
  for z in select tz from kpi_zones order by tz loop

    -- Active days: a new day d between a customer's existing days p and n turns the pair (n, p) into (d, p) and
    -- (n, d); several new days in one gap chain up.
    with b as (
      select z as tz, e.customer_id, (e.at at time zone z)::date as day,
        count(*) filter (where e.type = 'purchase') as purchases,
        coalesce(sum(e.amount) filter (where e.type = 'purchase'), 0) as gmv
      from new_events e group by 1, 2, 3
    ),
    fresh as (
      -- One probe finds the day itself (then it is not new) or the next one; the previous one only for new days.
      select b.tz, b.customer_id, b.day, p.day as p_e, n.day as n_e from b
      left join lateral (select a.day from kpi_active_days a where a.tz = b.tz and a.customer_id = b.customer_id and a.day >= b.day
        order by a.day limit 1) n on true
      left join lateral (select a.day from kpi_active_days a where a.tz = b.tz and a.customer_id = b.customer_id and a.day < b.day
        order by a.day desc limit 1) p on true
      where n.day is distinct from b.day
    ),
    chain as (
      select tz, day, p_e, n_e, lag(day) over g as prev_new, lead(day) over g as next_new
      from fresh window g as (partition by tz, customer_id, p_e order by day)
    ),
    pairs as (
      select tz, day, coalesce(prev_new, p_e, '-infinity') as prev_day, 1 as n from chain
      union all select tz, coalesce(n_e, 'infinity'), day, 1 from chain where next_new is null
      union all select tz, coalesce(n_e, 'infinity'), coalesce(p_e, '-infinity'), -1 from chain
        where next_new is null and (p_e is not null or n_e is not null)
    ),
    days as (
      insert into kpi_active_days as a (tz, customer_id, day, purchases, gmv)
      select tz, customer_id, day, purchases, gmv from b order by 1, 2, 3
      on conflict (tz, customer_id, day) do update set purchases = a.purchases + excluded.purchases, gmv = a.gmv + excluded.gmv
        where excluded.purchases > 0
    ),
    sales as (
      insert into kpi_days as k (tz, day, purchases, gmv)
      select tz, day, sum(purchases), sum(gmv) from b where purchases > 0 group by 1, 2 order by 1, 2
      on conflict (tz, day) do update set purchases = k.purchases + excluded.purchases, gmv = k.gmv + excluded.gmv
    )
    select kpi_bump_gaps(array_agg(tz), array_agg(day), array_agg(prev_day), array_agg(n)) into bumped
    from (select tz, day, prev_day, sum(n) as n from pairs group by 1, 2, 3) s;

    -- A signup earlier than the customer's known first one (or their first): the customer joins that day's cohort,
    -- with their retention and conversion worked out from what is stored (this statement sees the days added above).
    if exists (select 1 from new_events where type = 'signup') then
      with cand as (select customer_id, min(at) as signup_at from new_events where type = 'signup' group by 1),
      changed as (
        select z as tz, c.customer_id, c.signup_at, (c.signup_at at time zone z)::date as cohort_day,
          m.cohort_day as old_day, m.r1 as o1, m.r7 as o7, m.r30 as o30, m.converted as oc
        from cand c
        left join kpi_cohort_members m on m.tz = z and m.customer_id = c.customer_id
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
        select tz, cohort_day as day, 1 as size, r1::int as r1, r7::int as r7, r30::int as r30, converted::int as converted from computed
        union all select tz, old_day, -1, -o1::int, -o7::int, -o30::int, -oc::int from computed where old_day is not null
      )
      insert into kpi_cohorts as k (tz, day, size, r1, r7, r30, converted)
      select tz, day, sum(size), sum(r1), sum(r7), sum(r30), sum(converted) from deltas group by 1, 2 order by 1, 2
      on conflict (tz, day) do update set size = k.size + excluded.size, r1 = k.r1 + excluded.r1, r7 = k.r7 + excluded.r7,
        r30 = k.r30 + excluded.r30, converted = k.converted + excluded.converted;
    end if;

    -- Known cohort members back on day 1, 7 or 30, or buying within their conversion window, in any order.
    with hits as (
      select m.tz, m.customer_id, m.cohort_day,
        not m.r1 and bool_or((e.at at time zone z)::date = m.cohort_day + 1) as h1,
        not m.r7 and bool_or((e.at at time zone z)::date = m.cohort_day + 7) as h7,
        not m.r30 and bool_or((e.at at time zone z)::date = m.cohort_day + 30) as h30,
        not m.converted and bool_or(e.type = 'purchase' and e.at >= m.signup_at
          and e.at < (m.cohort_day + 31)::timestamp at time zone z) as hc
      from new_events e join kpi_cohort_members m on m.tz = z and m.customer_id = e.customer_id
      group by m.tz, m.customer_id, m.cohort_day, m.r1, m.r7, m.r30, m.converted
    ),
    flagged as (select * from hits where h1 or h7 or h30 or hc),
    members as (
      update kpi_cohort_members m set r1 = m.r1 or f.h1, r7 = m.r7 or f.h7, r30 = m.r30 or f.h30, converted = m.converted or f.hc
      from flagged f where m.tz = f.tz and m.customer_id = f.customer_id
    )
    insert into kpi_cohorts as k (tz, day, size, r1, r7, r30, converted)
    select tz, cohort_day, 0, sum(h1::int), sum(h7::int), sum(h30::int), sum(hc::int) from flagged group by 1, 2 order by 1, 2
    on conflict (tz, day) do update set r1 = k.r1 + excluded.r1, r7 = k.r7 + excluded.r7, r30 = k.r30 + excluded.r30,
      converted = k.converted + excluded.converted;
  end loop;
  return null;
end $$;`,

  // Rebuilds some customers' share of one zone's rollups from all their stored events: what they contribute now is
  // taken out, what their events say is put in. Backfills a new zone (the trigger keeps it meanwhile) and repairs.
  `create function kpi_rebuild_customers(p_tz text, p_ids uuid[]) returns void language plpgsql as $$
declare bumped bigint;
begin
  perform kpi_lock_customers(p_ids);

  -- Out: the customers' pairs, purchases and cohort places as stored.
  with d as (
    select a.customer_id, a.day, a.purchases, a.gmv from kpi_active_days a join unnest(p_ids) i(id) on a.customer_id = i.id
    where a.tz = p_tz
  ),
  chain as (select day, lag(day) over w as prev_day, lead(day) over w as next_day from d window w as (partition by customer_id order by day)),
  pairs as (
    select day, coalesce(prev_day, '-infinity') as prev_day from chain
    union all select 'infinity', day from chain where next_day is null
  ),
  sales as (
    insert into kpi_days as k (tz, day, purchases, gmv)
    select p_tz, day, -sum(purchases), -sum(gmv) from d where purchases > 0 group by 2 order by 2
    on conflict (tz, day) do update set purchases = k.purchases + excluded.purchases, gmv = k.gmv + excluded.gmv
  ),
  gone as (delete from kpi_active_days a using unnest(p_ids) i(id) where a.tz = p_tz and a.customer_id = i.id)
  select kpi_bump_gaps(array_agg(p_tz), array_agg(day), array_agg(prev_day), array_agg(-n)) into bumped
  from (select day, prev_day, count(*) as n from pairs group by 1, 2) s;

  with m as (
    delete from kpi_cohort_members m using unnest(p_ids) i(id) where m.tz = p_tz and m.customer_id = i.id
    returning m.cohort_day, m.r1, m.r7, m.r30, m.converted
  )
  insert into kpi_cohorts as k (tz, day, size, r1, r7, r30, converted)
  select p_tz, cohort_day, -count(*), -count(*) filter (where r1), -count(*) filter (where r7), -count(*) filter (where r30),
    -count(*) filter (where converted)
  from m group by 2 order by 2
  on conflict (tz, day) do update set size = k.size + excluded.size, r1 = k.r1 + excluded.r1, r7 = k.r7 + excluded.r7,
    r30 = k.r30 + excluded.r30, converted = k.converted + excluded.converted;

  -- In: the same figures from all their stored events.
  with b as (
    select e.customer_id, (e.at at time zone p_tz)::date as day,
      min(e.at) filter (where e.type = 'signup') as signup_at,
      count(*) filter (where e.type = 'purchase') as purchases,
      coalesce(sum(e.amount) filter (where e.type = 'purchase'), 0) as gmv,
      max(e.at) filter (where e.type = 'purchase') as last_purchase_at
    from customer_events e join unnest(p_ids) i(id) on e.customer_id = i.id group by 1, 2
  ),
  days as (
    insert into kpi_active_days (tz, customer_id, day, purchases, gmv)
    select p_tz, customer_id, day, purchases, gmv from b order by 2, 3
  ),
  sales as (
    insert into kpi_days as k (tz, day, purchases, gmv)
    select p_tz, day, sum(purchases), sum(gmv) from b where purchases > 0 group by 2 order by 2
    on conflict (tz, day) do update set purchases = k.purchases + excluded.purchases, gmv = k.gmv + excluded.gmv
  ),
  firsts as (
    select distinct on (customer_id) customer_id, day as cohort_day, signup_at from b where signup_at is not null
    order by customer_id, day
  ),
  computed as (
    select f.customer_id, f.cohort_day, f.signup_at,
      coalesce(bool_or(a.day = f.cohort_day + 1), false) as r1, coalesce(bool_or(a.day = f.cohort_day + 7), false) as r7,
      coalesce(bool_or(a.day = f.cohort_day + 30), false) as r30,
      coalesce(bool_or(a.last_purchase_at >= f.signup_at), false) as converted
    from firsts f left join b a on a.customer_id = f.customer_id and a.day between f.cohort_day and f.cohort_day + 30
    group by 1, 2, 3
  ),
  members as (
    insert into kpi_cohort_members (tz, customer_id, signup_at, cohort_day, r1, r7, r30, converted)
    select p_tz, customer_id, signup_at, cohort_day, r1, r7, r30, converted from computed order by 2
  ),
  cohorts as (
    insert into kpi_cohorts as k (tz, day, size, r1, r7, r30, converted)
    select p_tz, cohort_day, count(*), count(*) filter (where r1), count(*) filter (where r7), count(*) filter (where r30),
      count(*) filter (where converted)
    from computed group by 2 order by 2
    on conflict (tz, day) do update set size = k.size + excluded.size, r1 = k.r1 + excluded.r1, r7 = k.r7 + excluded.r7,
      r30 = k.r30 + excluded.r30, converted = k.converted + excluded.converted
  ),
  chain as (select day, lag(day) over w as prev_day, lead(day) over w as next_day from b window w as (partition by customer_id order by day)),
  pairs as (
    select day, coalesce(prev_day, '-infinity') as prev_day from chain
    union all select 'infinity', day from chain where next_day is null
  )
  select kpi_bump_gaps(array_agg(p_tz), array_agg(day), array_agg(prev_day), array_agg(n)) into bumped
  from (select day, prev_day, count(*) as n from pairs group by 1, 2) s;
end $$;`,

  // Campaign attribution: a new first (of any event, a purchase, a signup, a click) moves the customer from the old
  // first's day to the new one's; purchases add up by day. Under the same customer locks as the KPIs.
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
    from b left join campaign_attribution_customers o on o.campaign_id = b.campaign_id and o.customer_id = b.customer_id
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
