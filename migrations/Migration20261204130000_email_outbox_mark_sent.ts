import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign sends at 100,000 recipients (issue 15): the email ledger's mark statement finds its mails through
 * email_outbox_mark_sent, whose plan probes the key's unique index whatever the table's size when it was made.
 *
 * The mark statements are prepared once per connection and group size, and PostgreSQL keeps a generic plan for them
 * from their sixth run. One made in a run's first seconds, with email_outbox a few pages long, read the table
 * (`idempotency_key = any($n)`, 10 keys expected); the plan stays with the connection while the table grows, so
 * each of its marks read the whole ledger: in one bench:campaign run at 100,000 recipients, 3,155 such scans read 129.6
 * million rows and the database's CPU per send grew from 0.6 to 1.0 ms through the run (another run: 594 scans, 2.4
 * million rows; it depends on which statements were planned first). Without sequential scans the function's plan is a
 * probe per key at any size, kept for the connection.
 */
export class Migration20261204130000_email_outbox_mark_sent extends Migration {
  override name = 'Migration20261204130000_email_outbox_mark_sent';

  override up(): void | Promise<void> {
    this.addSql(`create function "email_outbox_mark_sent"(keys text[]) returns void language plpgsql
      set enable_seqscan = off as $$
      begin
        update email_outbox set status = 'sent', sent_at = now(), lease_until = null, last_error = null
        where idempotency_key = any(keys);
      end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists "email_outbox_mark_sent"(text[]);`);
  }
}
