import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign counters instead of ledger scans (issue 15): campaign_counts holds what the send ledger adds up to
 * (db/campaign-counts.ts reads it), kept by triggers in the statements that change the ledger or a customer's
 * unsubscription, and backfilled here for the campaigns that exist.
 *
 * - A campaign's figures are the sum of its rows, one per shard (the writing backend's pid modulo 16), so the sends of
 *   one campaign, committing in parallel, do not queue on one counter row.
 * - campaign_recipients: statement-level triggers with transition tables add each statement's changes at once (a
 *   100,000-row freeze is one upsert; an update that changes no counted column, like a variant's assignment, none).
 *   The counts follow each row's actual old and new values, so a retried or racing update of a row counts once.
 * - unsubscribed: sent recipients whose customer's unsubscribed_at is at or after their sent_at, as the guard's scan
 *   counted them. A customer's unsubscription (or resubscription) changes it for the rows of that customer, locking
 *   them first: a send being recorded at that moment is waited for and then counted here, and a send recorded after
 *   the lock sees the committed unsubscription in its own trigger; never both, never neither.
 */
export class Migration20261203161000_campaign_counts extends Migration {
  override name = 'Migration20261203161000_campaign_counts';

  override up(): void | Promise<void> {
    this.addSql(`create table "campaign_counts" ("campaign_id" uuid not null, "shard" smallint not null,
      "audience" bigint not null default 0, "pending" bigint not null default 0, "sent" bigint not null default 0,
      "deferred" bigint not null default 0, "failed" bigint not null default 0, "ever_deferred" bigint not null default 0,
      "spend" numeric not null default 0, "unsubscribed" bigint not null default 0, "skipped" jsonb not null default '{}',
      primary key ("campaign_id", "shard"));`);
    // The unsubscription trigger finds a customer's ledger rows by customer.
    this.addSql(`create index "campaign_recipients_customer_id_index" on "campaign_recipients" ("customer_id");`);

    // Adds per-key counts of two objects, dropping keys that come to zero.
    this.addSql(`create function "campaign_counts_merge"(a jsonb, b jsonb) returns jsonb language sql immutable as $$
      select coalesce(jsonb_object_agg(key, n), '{}'::jsonb) from (
        select key, sum(value::bigint) as n from (select * from jsonb_each_text(a) union all select * from jsonb_each_text(b)) e
        group by key having sum(value::bigint) <> 0) s $$;`);

    // One counted change of a ledger row: its values then, with +1 (the new values) or -1 (the old ones).
    this.addSql(`create type "campaign_recipient_change" as ("campaign_id" uuid, "customer_id" uuid, "sign" int, "status" text,
      "reason" text, "ever_deferred" boolean, "cost" numeric, "sent_at" timestamptz);`);

    this.addSql(`create function "campaign_counts_add"(changes campaign_recipient_change[]) returns void language plpgsql as $$
      begin
        if coalesce(cardinality(changes), 0) = 0 then return; end if;
        insert into campaign_counts as k (campaign_id, shard, audience, pending, sent, deferred, failed, ever_deferred, spend,
          unsubscribed, skipped)
        select c.campaign_id, pg_backend_pid() % 16, sum(c.sign),
          coalesce(sum(c.sign) filter (where c.status = 'pending'), 0),
          coalesce(sum(c.sign) filter (where c.status = 'sent'), 0),
          coalesce(sum(c.sign) filter (where c.status = 'deferred'), 0),
          coalesce(sum(c.sign) filter (where c.status = 'failed'), 0),
          coalesce(sum(c.sign) filter (where c.ever_deferred), 0),
          coalesce(sum(c.sign * c.cost), 0),
          coalesce(sum(c.sign) filter (where c.status = 'sent' and exists (
            select 1 from customers u where u.id = c.customer_id and u.unsubscribed_at >= c.sent_at)), 0),
          coalesce((select jsonb_object_agg(s.reason, s.n) from (
            select coalesce(x.reason, 'unknown') as reason, sum(x.sign) as n from unnest(changes) x
            where x.campaign_id = c.campaign_id and x.status = 'skipped' group by 1 having sum(x.sign) <> 0) s), '{}'::jsonb)
        from unnest(changes) c
        group by c.campaign_id
        order by c.campaign_id
        on conflict (campaign_id, shard) do update set audience = k.audience + excluded.audience,
          pending = k.pending + excluded.pending, sent = k.sent + excluded.sent, deferred = k.deferred + excluded.deferred,
          failed = k.failed + excluded.failed, ever_deferred = k.ever_deferred + excluded.ever_deferred,
          spend = k.spend + excluded.spend, unsubscribed = k.unsubscribed + excluded.unsubscribed,
          skipped = case when excluded.skipped = '{}'::jsonb then k.skipped else campaign_counts_merge(k.skipped, excluded.skipped) end;
      end $$;`);

    this.addSql(`create function "campaign_recipients_counted_insert"() returns trigger language plpgsql as $$
      begin
        perform campaign_counts_add(array(select row(n.campaign_id, n.customer_id, 1, n.status, n.reason, n.ever_deferred, n.cost,
          n.sent_at)::campaign_recipient_change from new_rows n));
        return null;
      end $$;`);
    this.addSql(`create function "campaign_recipients_counted_delete"() returns trigger language plpgsql as $$
      begin
        perform campaign_counts_add(array(select row(o.campaign_id, o.customer_id, -1, o.status, o.reason, o.ever_deferred, o.cost,
          o.sent_at)::campaign_recipient_change from old_rows o));
        return null;
      end $$;`);
    // Only rows whose counted values changed: an update that rewrites the same values (a retried send) adds nothing.
    this.addSql(`create function "campaign_recipients_counted_update"() returns trigger language plpgsql as $$
      begin
        perform campaign_counts_add(array(
          with moved as (
            select o, n from old_rows o join new_rows n on n.id = o.id
            where (o.campaign_id, o.customer_id, o.status, o.reason, o.ever_deferred, o.cost, o.sent_at)
              is distinct from (n.campaign_id, n.customer_id, n.status, n.reason, n.ever_deferred, n.cost, n.sent_at))
          select row((o).campaign_id, (o).customer_id, -1, (o).status, (o).reason, (o).ever_deferred, (o).cost,
            (o).sent_at)::campaign_recipient_change from moved
          union all
          select row((n).campaign_id, (n).customer_id, 1, (n).status, (n).reason, (n).ever_deferred, (n).cost,
            (n).sent_at)::campaign_recipient_change from moved));
        return null;
      end $$;`);
    this.addSql(`create trigger "campaign_recipients_counted_insert" after insert on "campaign_recipients"
      referencing new table as new_rows for each statement execute function campaign_recipients_counted_insert();`);
    this.addSql(`create trigger "campaign_recipients_counted_update" after update on "campaign_recipients"
      referencing old table as old_rows new table as new_rows for each statement execute function campaign_recipients_counted_update();`);
    this.addSql(`create trigger "campaign_recipients_counted_delete" after delete on "campaign_recipients"
      referencing old table as old_rows for each statement execute function campaign_recipients_counted_delete();`);

    // A customer's unsubscription moves the unsubscribed count of every campaign that had sent to them. Their ledger
    // rows are locked first (see above); the new snapshot of the next statement then sees every committed send.
    this.addSql(`create function "customers_unsubscription_counted"() returns trigger language plpgsql as $$
      begin
        perform 1 from campaign_recipients where customer_id = new.id for no key update;
        insert into campaign_counts as k (campaign_id, shard, unsubscribed)
        select r.campaign_id, pg_backend_pid() % 16,
          sum((coalesce(new.unsubscribed_at >= r.sent_at, false))::int - (coalesce(old.unsubscribed_at >= r.sent_at, false))::int)
        from campaign_recipients r where r.customer_id = new.id and r.status = 'sent'
        group by r.campaign_id
        having sum((coalesce(new.unsubscribed_at >= r.sent_at, false))::int - (coalesce(old.unsubscribed_at >= r.sent_at, false))::int) <> 0
        order by r.campaign_id
        on conflict (campaign_id, shard) do update set unsubscribed = k.unsubscribed + excluded.unsubscribed;
        return null;
      end $$;`);
    this.addSql(`create trigger "customers_unsubscription_counted" after update of unsubscribed_at on "customers" for each row
      when (old.unsubscribed_at is distinct from new.unsubscribed_at) execute function customers_unsubscription_counted();`);

    // The campaigns that exist: their counts from the ledger as it is (the triggers above hold its writers until commit).
    this.addSql(`insert into campaign_counts (campaign_id, shard, audience, pending, sent, deferred, failed, ever_deferred, spend,
        unsubscribed, skipped)
      select r.campaign_id, 0, count(*), count(*) filter (where r.status = 'pending'), count(*) filter (where r.status = 'sent'),
        count(*) filter (where r.status = 'deferred'), count(*) filter (where r.status = 'failed'),
        count(*) filter (where r.ever_deferred), coalesce(sum(r.cost), 0),
        count(*) filter (where r.status = 'sent' and u.unsubscribed_at >= r.sent_at),
        coalesce((select jsonb_object_agg(s.reason, s.n) from (
          select coalesce(x.reason, 'unknown') as reason, count(*) as n from campaign_recipients x
          where x.campaign_id = r.campaign_id and x.status = 'skipped' group by 1) s), '{}'::jsonb)
      from campaign_recipients r left join customers u on u.id = r.customer_id
      group by r.campaign_id;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "customers_unsubscription_counted" on "customers";`);
    this.addSql(`drop trigger if exists "campaign_recipients_counted_insert" on "campaign_recipients";`);
    this.addSql(`drop trigger if exists "campaign_recipients_counted_update" on "campaign_recipients";`);
    this.addSql(`drop trigger if exists "campaign_recipients_counted_delete" on "campaign_recipients";`);
    this.addSql(`drop function if exists "customers_unsubscription_counted"();`);
    this.addSql(`drop function if exists "campaign_recipients_counted_insert"();`);
    this.addSql(`drop function if exists "campaign_recipients_counted_update"();`);
    this.addSql(`drop function if exists "campaign_recipients_counted_delete"();`);
    this.addSql(`drop function if exists "campaign_counts_add"(campaign_recipient_change[]);`);
    this.addSql(`drop type if exists "campaign_recipient_change";`);
    this.addSql(`drop function if exists "campaign_counts_merge"(jsonb, jsonb);`);
    this.addSql(`drop index if exists "campaign_recipients_customer_id_index";`);
    this.addSql(`drop table if exists "campaign_counts";`);
  }
}
