import { Migration } from '@mikro-orm/migrations';

/** A message's own default language (a customer whose locale it lacks gets this one before the platform's default). */
export class Migration20261203152000_template_default_locale extends Migration {
  override name = 'Migration20261203152000_template_default_locale';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "message_templates" ("key" text not null, "default_locale" text not null, "updated_by" uuid null, "updated_at" timestamptz not null, primary key ("key"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "message_templates" cascade;`);
  }
}
