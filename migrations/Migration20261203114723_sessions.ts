import { Migration } from '@mikro-orm/migrations';

/** Console sign-in: one-time sign-in links (hashes only) and server-side sessions. */
export class Migration20261203114723_sessions extends Migration {
  override name = 'Migration20261203114723_sessions';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "sessions" ("id" uuid not null, "token_hash" text not null, "operator_id" uuid not null, "csrf_token" text not null, "method" varchar(255) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "last_seen_at" timestamptz not null, "revoked_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_operator_id_index" on "sessions" ("operator_id");`);

    this.addSql(
      `create table "sign_in_links" ("operator_id" uuid not null, "token_hash" text not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "created_at" timestamptz not null, primary key ("operator_id"));`,
    );
    this.addSql(`alter table "sign_in_links" add constraint "sign_in_links_token_hash_unique" unique ("token_hash");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "sessions" cascade;`);
    this.addSql(`drop table if exists "sign_in_links" cascade;`);
  }
}
