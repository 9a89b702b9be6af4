import { Migration } from '@mikro-orm/migrations';

/**
 * Every committed change to the operators and channels tables sends NOTIFY opsflow_changes '<table>': the API keeps
 * the operator behind each API token and the enabled channels in per-process caches (db/change-cache.ts) that a
 * listener empties on this notification, so a disabled operator, a new token or a disabled channel is refused at once
 * by every API process. PostgreSQL delivers a notification at commit only (never for a rolled-back change) and folds
 * repeats within one transaction; one per statement, whatever the rows.
 */
export class Migration20261204030000_change_notifications extends Migration {
  override name = 'Migration20261204030000_change_notifications';

  override up(): void | Promise<void> {
    this.addSql(`create function "notify_change"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('opsflow_changes', tg_table_name);
        return null;
      end $$;`);
    for (const table of ['operators', 'channels']) {
      this.addSql(`create trigger "${table}_notify_change" after insert or update or delete or truncate on "${table}"
        for each statement execute function "notify_change"();`);
    }
  }

  override down(): void | Promise<void> {
    for (const table of ['operators', 'channels']) this.addSql(`drop trigger if exists "${table}_notify_change" on "${table}";`);
    this.addSql(`drop function if exists "notify_change"();`);
  }
}
