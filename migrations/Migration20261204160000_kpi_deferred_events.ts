import { Migration } from '@mikro-orm/migrations';

/**
 * The KPI trigger never waits for another batch's customers (issue 15: the API's p99 per 1,000-event batch). It
 * locked every customer of its statement, waiting for each in turn, and two concurrent batches nearly always share a
 * few customers, so one waited for the other's commit before doing any of its own work. Now it takes the customers
 * whose locks are free, folds their events in at once, and puts the events of customers another writer holds in
 * kpi_deferred_events. (The day's shared kpi_days and kpi_cohorts rows are still written last, so a batch writing the
 * same day as an uncommitted one waits for that commit there, at its end.)
 * kpi_fold_deferred applies those later: a reader's fold waits for their customers' writers like any other writer, a
 * dispatcher's passes over the customers still held. The rollups
 * tolerate events arriving in any order, so applying an event late gives the same figures as applying it in its
 * statement.
 *
 * - kpi_apply_events is the trigger's former body over arrays, so the trigger and the fold run the same code.
 * - Writers that wait (the fold, kpi_rebuild_customers) take the customer locks in key order. The trigger only tries
 *   them, so it never waits while holding one, and no cycle of waits can form.
 * - kpi_rebuild_customers leaves out the events still in kpi_deferred_events: the fold will apply them.
 * - Whoever reads the rollups folds first (db/kpi-rollups.ts), so an answer holds every committed event. The event
 *   dispatchers also fold after each run, so the table stays short.
 *
 * The previous trigger and rebuild functions are kept under *_waiting names for down().
 */
export class Migration20261204160000_kpi_deferred_events extends Migration {
  override name = 'Migration20261204160000_kpi_deferred_events';

  override up(): void | Promise<void> {
    this.addSql(`create table "kpi_deferred_events" ("event_id" bigint not null, "customer_id" uuid not null, primary key ("event_id"));`);
    this.addSql(`alter function kpi_rollup_events() rename to kpi_rollup_events_waiting;`);
    this.addSql(`alter function kpi_rebuild_customers(text, uuid[]) rename to kpi_rebuild_customers_waiting;`);
    for (const sql of FUNCTIONS) this.addSql(sql);
    // The trigger names its function by oid: point it at the new one.
    this.addSql(`drop trigger "customer_events_kpi_rollups" on "customer_events";`);
    this.addSql(TRIGGER);
  }

  override down(): void | Promise<void> {
    // What was deferred goes in first, while kpi_fold_deferred still exists.
    this.addSql(`select kpi_fold_deferred(null, true);`);
    this.addSql(`drop trigger "customer_events_kpi_rollups" on "customer_events";`);
    for (const f of [
      'kpi_rollup_events()',
      'kpi_rebuild_customers(text, uuid[])',
      'kpi_fold_deferred(int, boolean)',
      'kpi_claim_customers(uuid[])',
      'kpi_apply_events(uuid[], text[], timestamptz[], numeric[])',
    ]) {
      this.addSql(`drop function ${f};`);
    }
    this.addSql(`alter function kpi_rollup_events_waiting() rename to kpi_rollup_events;`);
    this.addSql(`alter function kpi_rebuild_customers_waiting(text, uuid[]) rename to kpi_rebuild_customers;`);
    this.addSql(TRIGGER);
    this.addSql(`drop table "kpi_deferred_events";`);
  }
}

const TRIGGER = `create trigger "customer_events_kpi_rollups" after insert on "customer_events" referencing new table as new_events for each statement execute function kpi_rollup_events();`;

const FUNCTIONS = [
  // Folds events into every reporting zone's rollups (Migration20261204050000_kpi_rollups_keyed's trigger body, with
  // the statement's transition table as arrays). The caller holds the customers' locks. The SET options keep the
  // planner from scanning a rollup table; the LATERAL ... LIMIT 1 probes leave it nothing else to choose.
  `create function kpi_apply_events(p_customer_ids uuid[], p_types text[], p_ats timestamptz[], p_amounts numeric[])
returns void language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare
  z text;
  r record;
  last_day date;
  -- The events' changes to kpi_days (per zone and day: customers after a gap, purchases) and kpi_cohorts.
  d_tz text[] := '{}'; d_day date[] := '{}'; d_gap int[] := '{}'; d_n int[] := '{}'; d_purchases bigint[] := '{}';
  d_gmv numeric[] := '{}';
  c_tz text[] := '{}'; c_day date[] := '{}'; c_size int[] := '{}'; c_r1 int[] := '{}'; c_r7 int[] := '{}';
  c_r30 int[] := '{}'; c_converted int[] := '{}';
begin
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
      from unnest(p_customer_ids, p_types, p_ats, p_amounts) e(customer_id, type, at, amount) group by 1, 2
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
    if 'signup' = any(p_types) then
      with cand as (
        select customer_id, min(at) as signup_at from unnest(p_customer_ids, p_types, p_ats, p_amounts) e(customer_id, type, at, amount) where type = 'signup' group by 1
      ),
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
      from unnest(p_customer_ids, p_types, p_ats, p_amounts) e(customer_id, type, at, amount) group by 1, 2
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
end $$;`,

  // Takes the locks of the customers no other writer holds, without waiting, and answers the others. More customers
  // than the lock table should hold for one transaction (a bulk load): every other writer is locked out instead,
  // waiting for them as kpi_lock_customers does, and nobody is left over.
  `create function kpi_claim_customers(ids uuid[]) returns uuid[] language plpgsql as $$
declare
  busy int[];
begin
  if cardinality(ids) > 1000 then
    perform pg_advisory_xact_lock(hashtext('kpi-rollups'), 0);
    return '{}';
  end if;
  perform pg_advisory_xact_lock_shared(hashtext('kpi-rollups'), 0);
  select coalesce(array_agg(k), '{}') into busy
  from (select distinct hashtext(c::text) as k from unnest(ids) c) s
  where not pg_try_advisory_xact_lock(hashtext('kpi-rollups:customer'), k);
  if cardinality(busy) = 0 then return '{}'; end if;
  return array(select c from unnest(ids) c where hashtext(c::text) = any(busy));
end $$;`,

  // The trigger: the statement's events of the customers it could lock go into the rollups now, the rest wait in
  // kpi_deferred_events for kpi_fold_deferred.
  `create function kpi_rollup_events() returns trigger language plpgsql as $$
declare
  busy uuid[];
  a record;
begin
  if not exists (select 1 from kpi_zones) or not exists (select 1 from new_events) then return null; end if;
  busy := kpi_claim_customers(array(select distinct customer_id from new_events));
  if cardinality(busy) > 0 then
    insert into kpi_deferred_events (event_id, customer_id)
    select id, customer_id from new_events where customer_id = any(busy) order by id;
  end if;
  select array_agg(customer_id) as customers, array_agg(type) as types, array_agg(at) as ats, array_agg(amount) as amounts
  into a from new_events where customer_id <> all(busy);
  if a.customers is not null then perform kpi_apply_events(a.customers, a.types, a.ats, a.amounts); end if;
  return null;
end $$;`,

  // Applies up to p_limit deferred events (all of them: null), oldest first, and answers how many it took. p_wait, for a
  // reader that needs every committed event in: waits for another fold's rows and for the customers' locks (in key
  // order). Otherwise (the dispatchers) rows another fold holds are passed over, and so are the events of customers
  // another writer holds, left for a later fold: background upkeep never waits. A fold holds only rows of this table
  // (taken in key order) and customer locks while it waits, and the trigger never waits for either, so no cycle can
  // form.
  `create function kpi_fold_deferred(p_limit int, p_wait boolean) returns int language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare
  ids bigint[];
  held uuid[];
  busy uuid[];
  a record;
begin
  if p_wait then
    select array_agg(event_id order by event_id) into ids
    from (select event_id from kpi_deferred_events order by event_id limit p_limit for update) s;
  else
    select array_agg(event_id order by event_id) into ids
    from (select event_id from kpi_deferred_events order by event_id limit p_limit for update skip locked) s;
  end if;
  if ids is null then return 0; end if;
  held := array(select distinct customer_id from kpi_deferred_events where event_id = any(ids));
  if p_wait then
    perform kpi_lock_customers(held);
  else
    -- At most p_limit customers: never the bulk path's exclusive lock.
    busy := kpi_claim_customers(held);
    if cardinality(busy) > 0 then
      ids := array(select event_id from kpi_deferred_events where event_id = any(ids) and customer_id <> all(busy));
    end if;
  end if;
  select array_agg(e.customer_id) as customers, array_agg(e.type) as types, array_agg(e.at) as ats, array_agg(e.amount) as amounts
  into a from customer_events e where e.id = any(ids);
  if a.customers is not null then perform kpi_apply_events(a.customers, a.types, a.ats, a.amounts); end if;
  delete from kpi_deferred_events where event_id = any(ids);
  return cardinality(ids);
end $$;`,

  // Rebuilds some customers' share of one zone's rollups from their stored events (Migration20261203224000's), less
  // the events still deferred: the fold applies those, in every zone, after this commits (it waits for the locks).
  `create function kpi_rebuild_customers(p_tz text, p_ids uuid[]) returns void language plpgsql as $$
declare r record;
begin
  perform kpi_lock_customers(p_ids);

  -- Out: the customers' active days and purchases, and their cohort places, as stored.
  with gone as (
    delete from kpi_active_days a using unnest(p_ids) i(id) where a.tz = p_tz and a.customer_id = i.id
    returning a.customer_id, a.day, a.purchases, a.gmv
  ),
  moves as (
    select day, day - lag(day) over (partition by customer_id order by day) as gap, -1 as n, -purchases as purchases, -gmv as gmv
    from gone
  )
  select array_agg(day) as days, array_agg(gap) as gaps, array_agg(n) as ns, array_agg(purchases) as purchases, array_agg(gmv) as gmvs
  into r from (select day, gap, sum(n)::int as n, sum(purchases)::bigint as purchases, sum(gmv) as gmv from moves group by 1, 2) s;
  if r.days is not null then perform kpi_bump_days(p_tz, r.days, r.gaps, r.ns, r.purchases, r.gmvs); end if;

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
    from customer_events e join unnest(p_ids) i(id) on e.customer_id = i.id
    where not exists (select 1 from kpi_deferred_events d where d.event_id = e.id)
    group by 1, 2
  ),
  days as (
    insert into kpi_active_days (tz, customer_id, day, purchases, gmv)
    select p_tz, customer_id, day, purchases, gmv from b order by 2, 3
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
  moves as (
    select day, day - lag(day) over (partition by customer_id order by day) as gap, 1 as n, purchases, gmv from b
  )
  select array_agg(day) as days, array_agg(gap) as gaps, array_agg(n) as ns, array_agg(purchases) as purchases, array_agg(gmv) as gmvs
  into r from (select day, gap, sum(n)::int as n, sum(purchases)::bigint as purchases, sum(gmv) as gmv from moves group by 1, 2) s;
  if r.days is not null then perform kpi_bump_days(p_tz, r.days, r.gaps, r.ns, r.purchases, r.gmvs); end if;
end $$;`,
];
