import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign sends at 100,000 recipients (issue 15).
 *
 * - The counters' update trigger plans its statement at every run (EXECUTE) instead of once per connection. PL/pgSQL
 *   kept the plan made at a connection's first large update (a 100,000-row freeze or winner assignment: transition
 *   tables estimated at 100,000 rows, a merge join costed at millions), so every later one-row update of a sent
 *   recipient on that connection ran that plan and JIT-compiled it: 150-220 ms per send instead of under 1 ms.
 * - The pages a send pass walks come from a partial index of the rows still to decide, in ledger order: the page
 *   query read every pending row of the campaign and sorted them for each page of 500 (24-41 ms at 100,000
 *   recipients, growing with the audience), and now reads the page (0.2 ms).
 */
export class Migration20261203230000_campaign_send_pages extends Migration {
  override name = 'Migration20261203230000_campaign_send_pages';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "campaign_recipients_counted_update"() returns trigger language plpgsql as $$
      begin
        -- EXECUTE: planned for this statement's transition tables, not for the first statement of the connection.
        execute $q$select campaign_counts_add(array(
          with moved as (
            select o, n from old_rows o join new_rows n on n.id = o.id
            where (o.campaign_id, o.customer_id, o.status, o.reason, o.ever_deferred, o.cost, o.sent_at)
              is distinct from (n.campaign_id, n.customer_id, n.status, n.reason, n.ever_deferred, n.cost, n.sent_at))
          select row((o).campaign_id, (o).customer_id, -1, (o).status, (o).reason, (o).ever_deferred, (o).cost,
            (o).sent_at)::campaign_recipient_change from moved
          union all
          select row((n).campaign_id, (n).customer_id, 1, (n).status, (n).reason, (n).ever_deferred, (n).cost,
            (n).sent_at)::campaign_recipient_change from moved))$q$;
        return null;
      end $$;`);
    this.addSql(`create index "campaign_recipients_sendable_index" on "campaign_recipients" ("campaign_id", "phase", "seq")
      where "status" in ('pending', 'deferred');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "campaign_recipients_sendable_index";`);
    this.addSql(`create or replace function "campaign_recipients_counted_update"() returns trigger language plpgsql as $$
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
  }
}
