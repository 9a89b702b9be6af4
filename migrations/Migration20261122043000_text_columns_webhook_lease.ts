import { Migration } from '@mikro-orm/migrations';

/**
 * Titles, names, addresses and keys are text: their limits are the API's validation, not a varchar(255) that fails
 * late; and webhook deliveries get a lease column.
 */
export class Migration20261122043000_text_columns_webhook_lease extends Migration {
  override name = 'Migration20261122043000_text_columns_webhook_lease';

  override up(): void {
    this.addSql(`alter table "content" alter column "title" type text;`);
    this.addSql(`alter table "tasks" alter column "title" type text;`);
    this.addSql(`alter table "operators" alter column "name" type text, alter column "email" type text;`);
    this.addSql(
      `alter table "audit_events" alter column "entity_id" type text, alter column "workflow_id" type text, alter column "action" type text;`,
    );
    this.addSql(`alter table "email_outbox" alter column "idempotency_key" type text, alter column "message_id" type text;`);
    this.addSql(`alter table "webhook_deliveries" alter column "idempotency_key" type text;`);
    // Webhook deliveries are claimed with a lease, like emails.
    this.addSql(`alter table "webhook_deliveries" add column "lease_until" timestamptz null;`);
  }

  override down(): void {
    this.addSql(`alter table "content" alter column "title" type varchar(255);`);
    this.addSql(`alter table "tasks" alter column "title" type varchar(255);`);
    this.addSql(`alter table "operators" alter column "name" type varchar(255), alter column "email" type varchar(255);`);
    this.addSql(
      `alter table "audit_events" alter column "entity_id" type varchar(255), alter column "workflow_id" type varchar(255), alter column "action" type varchar(255);`,
    );
    this.addSql(
      `alter table "email_outbox" alter column "idempotency_key" type varchar(255), alter column "message_id" type varchar(255);`,
    );
    this.addSql(`alter table "webhook_deliveries" alter column "idempotency_key" type varchar(255);`);
    this.addSql(`alter table "webhook_deliveries" drop column "lease_until";`);
  }
}
