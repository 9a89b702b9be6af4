import { Migration } from '@mikro-orm/migrations';

/**
 * KPI rollups (issue 15): the active-customer figures move from kpi_day_gaps (one row per day and previous active
 * day, up to about 400 per day) into one array per day on kpi_days, so a 90-day report reads about 120 rows whatever
 * the event count. kpi_days.actives[i] counts the customers active that day whose previous active day is i or more
 * days before (or who have none), i = 1..366: DAU is actives[1], and the customers active at all in [F, T] (WAU, MAU,
 * a range's total) are the sum over d in [F, T] of actives_d[d - F + 1] (db/kpi-rollups.ts).
 *
 * The previous trigger and rebuild functions are kept under *_by_gaps names for down().
 */
export class Migration20261203224000_kpi_day_actives extends Migration {
  override name = 'Migration20261203224000_kpi_day_actives';

  override up(): void | Promise<void> {
    this.addSql(`alter table "kpi_days" add column "actives" int[] not null default '{}';`);
    this.addSql(`drop trigger "customer_events_kpi_rollups" on "customer_events";`);
    this.addSql(`alter function kpi_rollup_events() rename to kpi_rollup_events_by_gaps;`);
    this.addSql(`alter function kpi_rebuild_customers(text, uuid[]) rename to kpi_rebuild_customers_by_gaps;`);
    for (const sql of FUNCTIONS) this.addSql(sql);
    this.addSql(
      `create trigger "customer_events_kpi_rollups" after insert on "customer_events" referencing new table as new_events for each statement execute function kpi_rollup_events();`,
    );
    // Every zone's arrays from the active days already stored (a zone still being backfilled gets its partial
    // customers' share, which its backfill's rebuilds then replace).
    this.addSql(`insert into kpi_days as k (tz, day, actives)
      select tz, day, kpi_actives_from_gaps(array_agg(gap), array_agg(n)) from (
        select tz, day, gap, count(*) as n from (
          select tz, day, day - lag(day) over (partition by tz, customer_id order by day) as gap from kpi_active_days
        ) c group by 1, 2, 3
      ) g group by 1, 2 order by 1, 2
      on conflict (tz, day) do update set actives = excluded.actives;`);
    this.addSql(`drop table "kpi_day_gaps";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger "customer_events_kpi_rollups" on "customer_events";`);
    for (const f of [
      'kpi_rollup_events()',
      'kpi_rebuild_customers(text, uuid[])',
      'kpi_bump_days(text, date[], int[], int[], bigint[], numeric[])',
      'kpi_actives_from_gaps(int[], bigint[])',
      'kpi_sum_arrays(int[], int[])',
    ]) {
      this.addSql(`drop function ${f};`);
    }
    this.addSql(`alter function kpi_rollup_events_by_gaps() rename to kpi_rollup_events;`);
    this.addSql(`alter function kpi_rebuild_customers_by_gaps(text, uuid[]) rename to kpi_rebuild_customers;`);
    this.addSql(
      `create trigger "customer_events_kpi_rollups" after insert on "customer_events" referencing new table as new_events for each statement execute function kpi_rollup_events();`,
    );
    this.addSql(
      `create table "kpi_day_gaps" ("tz" text not null, "day" date not null, "prev_day" date not null, "n" int not null, primary key ("tz", "day", "prev_day"));`,
    );
    this.addSql(`create index "kpi_day_gaps_prev_day_index" on "kpi_day_gaps" ("tz", "prev_day");`);
    this.addSql(`select kpi_bump_gaps(array_agg(tz), array_agg(day), array_agg(prev_day), array_agg(n)) from (
      select tz, day, prev_day, count(*) as n from (
        select tz, day, coalesce(lag(day) over w, '-infinity') as prev_day from kpi_active_days window w as (partition by tz, customer_id order by day)
        union all select tz, 'infinity', max(day) from kpi_active_days group by tz, customer_id
      ) p group by 1, 2, 3
    ) s;`);
    this.addSql(`alter table "kpi_days" drop column "actives";`);
  }
}

const FUNCTIONS = [
  `create function kpi_sum_arrays(a int[], b int[]) returns int[] language sql immutable parallel safe as $$
select array(select coalesce(x, 0) + coalesce(y, 0) from unnest(a, b) with ordinality u(x, y, i) order by i)
$$;`,

  // The actives array of n[k] customers whose active day follows their previous one by gap[k] days (null: none):
  // each counts at indexes 1..gap, so a running sum of +n at 1 and -n at gap + 1.
  `create function kpi_actives_from_gaps(p_gaps int[], p_ns bigint[]) returns int[] language plpgsql immutable parallel safe as $$
begin
  return (
    with p as (select gap, n from unnest(p_gaps, p_ns) p(gap, n))
    select array_agg(v::int order by i) from (
      select i, sum(sum(n)) over (order by i) as v from (
        select 1 as i, n from p
        union all select gap + 1, -n from p where gap < 366
        union all select i, 0 from generate_series(1, 366) i
      ) m group by i
    ) r
  );
end $$;`,

  // Adds to one zone's kpi_days: per row, n customers active on day after a gap of `gap` days (null: none), and
  // purchases and gmv. Rows in key order. PL/pgSQL keeps its plans for the session (a SQL function's are made anew
  // at every call).
  `create function kpi_bump_days(p_tz text, p_days date[], p_gaps int[], p_ns int[], p_purchases bigint[], p_gmvs numeric[]) returns void
language plpgsql as $$
begin
  with r as (select * from unnest(p_days, p_gaps, p_ns, p_purchases, p_gmvs) r(day, gap, n, purchases, gmv)),
  d as (
    select day, sum(purchases) as purchases, sum(gmv) as gmv,
      case when bool_or(n <> 0) then kpi_actives_from_gaps(array_agg(gap) filter (where n <> 0), array_agg(n::bigint) filter (where n <> 0)) end as actives
    from r group by 1
  )
  insert into kpi_days as k (tz, day, purchases, gmv, actives)
  select p_tz, day, purchases, gmv, coalesce(actives, '{}') from d order by 2
  on conflict (tz, day) do update set purchases = k.purchases + excluded.purchases, gmv = k.gmv + excluded.gmv,
    actives = case when excluded.actives = '{}' then k.actives else kpi_sum_arrays(k.actives, excluded.actives) end;
end $$;`,

  // The trigger: folds one statement's new events into every reporting zone's rollups. Every read is a keyed probe;
  // the SET options keep it one even before the rollups' statistics exist (a freshly loaded table once planned as a
  // scan of all its rows per 1,000-event batch).
  `create function kpi_rollup_events() returns trigger language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare
  z text;
  r record;
  last_day date;
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
    fresh as (
      -- One probe finds the day itself (then it is not new) or the previous one; the next one is looked for only when
      -- some customer has a later day at all (live events are the latest).
      select b.customer_id, b.day, b.purchases, b.gmv, p.day as p_e, n.day as n_e from b
      left join lateral (select a.day from kpi_active_days a where a.tz = z and a.customer_id = b.customer_id and a.day <= b.day
        order by a.day desc limit 1) p on true
      left join lateral (select a.day from kpi_active_days a where b.day < last_day and a.tz = z and a.customer_id = b.customer_id
        and a.day > b.day order by a.day limit 1) n on true
      where p.day is distinct from b.day
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
    -- New days are inserted (the customers' locks keep out any other writer); known days only take purchases.
    days as (
      insert into kpi_active_days (tz, customer_id, day, purchases, gmv)
      select z, customer_id, day, purchases, gmv from fresh order by 2, 3
    ),
    sold as (
      update kpi_active_days a set purchases = a.purchases + b.purchases, gmv = a.gmv + b.gmv
      from b where b.purchases > 0 and a.tz = z and a.customer_id = b.customer_id and a.day = b.day
    )
    select array_agg(day) as days, array_agg(gap) as gaps, array_agg(n) as ns, array_agg(purchases) as purchases, array_agg(gmv) as gmvs
    into r from (select day, gap, sum(n)::int as n, sum(purchases)::bigint as purchases, sum(gmv) as gmv from moves group by 1, 2) s
    where n <> 0 or purchases <> 0;
    -- A second statement: the same kpi_days row may be touched again below, and one statement may touch it once.
    if r.days is not null then perform kpi_bump_days(z, r.days, r.gaps, r.ns, r.purchases, r.gmvs); end if;

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
    from customer_events e join unnest(p_ids) i(id) on e.customer_id = i.id group by 1, 2
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
