import { Migration } from '@mikro-orm/migrations';

/**
 * The append-only trigger, renamed to what the AuditEvent entity declares, so the ORM's schema diff
 * (`mikro-orm migration:check`) sees the database as it is and proposes nothing.
 */
export class Migration20261122051000_audit_trigger_names extends Migration {
  override name = 'Migration20261122051000_audit_trigger_names';

  override up(): void {
    this.addSql(`drop trigger if exists audit_events_no_change on "audit_events";`);
    this.addSql(`drop function if exists audit_events_append_only();`);
    this.addSql(
      `create or replace function "audit_events_audit_events_no_change_fn"() returns trigger as $$ begin raise exception 'audit_events is append-only'; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "audit_events_no_change" BEFORE DELETE OR UPDATE on "audit_events" for each ROW execute function "audit_events_audit_events_no_change_fn"();`,
    );
  }

  override down(): void {
    this.addSql(`drop trigger if exists "audit_events_no_change" on "audit_events";`);
    this.addSql(`drop function if exists "audit_events_audit_events_no_change_fn"();`);
    this.addSql(
      `create function audit_events_append_only() returns trigger language plpgsql as $$ begin raise exception 'audit_events is append-only'; end $$;`,
    );
    this.addSql(
      `create trigger audit_events_no_change before update or delete on "audit_events" for each row execute function audit_events_append_only();`,
    );
  }
}
