import { Migration } from '@mikro-orm/migrations';

/** Each operator's own setting: email me when a task opens for one of my roles or is assigned to me (on by default). */
export class Migration20261203132658_task_emails extends Migration {
  override name = 'Migration20261203132658_task_emails';

  override up(): void | Promise<void> {
    this.addSql(`alter table "operators" add column "task_emails" boolean not null default true;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "operators" drop column "task_emails";`);
  }
}
