import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign sends at 100,000 recipients (issue 15).
 *
 * - The counters' update trigger runs without JIT and without nested loops. PL/pgSQL plans its statement once per
 *   connection, for the transition tables of the first update that connection runs, and keeps that plan:
 *   - after a large first update (a 100,000-row freeze or winner assignment: a merge join costed at millions), every
 *     later one-row update of a sent recipient on that connection JIT-compiled the plan again: 150-220 ms per send
 *     instead of under 1 ms;
 *   - after a one-row first update (a nested loop over both tables), a later large update on that connection compared
 *     every old row with every new one: 14 s for 5,000 rows, hours for 100,000.
 *   Without nested loops the plan is a hash or merge join whatever the estimate (linear at any size), and without JIT
 *   a plan costed for 100,000 rows runs a one-row update in a fraction of a millisecond. (Planning at every run
 *   instead, with EXECUTE, costs about 0.4 ms more per send.)
 * - The pages a send pass walks come from a partial index of the rows still to decide, in ledger order: the page
 *   query read every pending row of the campaign and sorted them for each page of 500 (24-41 ms at 100,000
 *   recipients, growing with the audience), and now reads the page (0.2 ms).
 */
export class Migration20261203230000_campaign_send_pages extends Migration {
  override name = 'Migration20261203230000_campaign_send_pages';

  override up(): void | Promise<void> {
    this.addSql(`alter function "campaign_recipients_counted_update"() set jit = off;`);
    this.addSql(`alter function "campaign_recipients_counted_update"() set enable_nestloop = off;`);
    this.addSql(`create index "campaign_recipients_sendable_index" on "campaign_recipients" ("campaign_id", "phase", "seq")
      where "status" in ('pending', 'deferred');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "campaign_recipients_sendable_index";`);
    this.addSql(`alter function "campaign_recipients_counted_update"() reset all;`);
  }
}
