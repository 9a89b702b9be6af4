import { Migration } from '@mikro-orm/migrations';

/**
 * Customer-facing messages as data: template versions per message and locale with their review, the live version
 * per message and locale, each customer's locale, and the version (and locale) every message in the ledger went out with.
 */
export class Migration20261203140000_message_templates extends Migration {
  override name = 'Migration20261203140000_message_templates';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "message_template_versions" ("id" uuid not null, "key" text not null, "locale" text not null, "version" int not null, "sender_name" text not null, "subject" text not null, "preheader" text null, "html" text not null, "text" text null, "note" text null, "status" varchar(255) not null, "author_id" uuid null, "created_at" timestamptz not null, "reviewed_by" uuid null, "reviewed_at" timestamptz null, "review_comment" text null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "message_template_versions" add constraint "message_template_versions_key_locale_version_unique" unique ("key", "locale", "version");`,
    );
    this.addSql(
      `create table "message_template_live" ("key" text not null, "locale" text not null, "version_id" uuid not null, "since" timestamptz not null, "set_by" uuid null, primary key ("key", "locale"));`,
    );
    this.addSql(`alter table "customers" add column "locale" text null;`);
    this.addSql(`alter table "customer_messages" add column "template_version_id" uuid null, add column "locale" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "message_template_live" cascade;`);
    this.addSql(`drop table if exists "message_template_versions" cascade;`);
    this.addSql(`alter table "customers" drop column "locale";`);
    this.addSql(`alter table "customer_messages" drop column "template_version_id", drop column "locale";`);
  }
}
