import { Migration } from '@mikro-orm/migrations';

/** Customers, their events and stage changes, the customer messaging ledger, coupons, settings and RFM runs. */
export class Migration20261122060000_customers extends Migration {
  override name = 'Migration20261122060000_customers';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "coupons" ("code" text not null, "idempotency_key" text not null, "customer_id" uuid not null, "purpose" text not null, "workflow_id" text null, "created_at" timestamptz not null, "expires_at" timestamptz null, "redeemed_at" timestamptz null, primary key ("code"));`,
    );
    this.addSql(`alter table "coupons" add constraint "coupons_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "coupons_customer_id_index" on "coupons" ("customer_id");`);

    this.addSql(
      `create table "customers" ("id" uuid not null, "external_id" text not null, "email" text not null, "name" text null, "timezone" text not null default 'UTC', "tags" text[] not null default '{}', "marketing_consent" boolean not null default false, "unsubscribed_at" timestamptz null, "unsubscribe_token" text not null, "stage" varchar(255) null, "stage_since" timestamptz null, "lifecycle_version" int not null default 0, "last_active_at" timestamptz null, "rfm_recency" smallint null, "rfm_frequency" smallint null, "rfm_monetary" smallint null, "segment" varchar(255) null, "scored_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "customers" add constraint "customers_external_id_unique" unique ("external_id");`);
    this.addSql(`create index "customers_email_index" on "customers" ("email");`);
    this.addSql(`alter table "customers" add constraint "customers_unsubscribe_token_unique" unique ("unsubscribe_token");`);
    this.addSql(`create index "customers_stage_index" on "customers" ("stage");`);
    this.addSql(`create index "customers_segment_index" on "customers" ("segment");`);
    this.addSql(`create index "customers_tags_index" on "customers" using gin ("tags");`);

    this.addSql(
      `create table "customer_events" ("id" bigserial primary key, "customer_id" uuid not null, "type" varchar(255) not null, "at" timestamptz not null, "amount" numeric(14,2) null, "campaign_id" text null, "idempotency_key" text not null, "received_at" timestamptz not null, "delivered_at" timestamptz null);`,
    );
    this.addSql(`create index "customer_events_at_index" on "customer_events" ("at");`);
    this.addSql(`create index "customer_events_campaign_id_index" on "customer_events" ("campaign_id");`);
    this.addSql(`alter table "customer_events" add constraint "customer_events_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "customer_events_customer_id_at_index" on "customer_events" ("customer_id", "at");`);
    this.addSql(`create index "customer_events_type_at_index" on "customer_events" ("type", "at");`);
    this.addSql(`create index "customer_events_undelivered_index" on "customer_events" ("received_at") where "delivered_at" is null;`);

    this.addSql(
      `create table "customer_messages" ("id" bigserial primary key, "idempotency_key" text not null, "customer_id" uuid not null, "workflow_id" text null, "campaign_id" text null, "category" varchar(255) not null, "template" text not null, "status" varchar(255) not null, "reason" text null, "deferred_until" timestamptz null, "decided_at" timestamptz not null, "sent_at" timestamptz null);`,
    );
    this.addSql(`alter table "customer_messages" add constraint "customer_messages_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "customer_messages_campaign_id_index" on "customer_messages" ("campaign_id");`);
    this.addSql(
      `create index "customer_messages_customer_id_category_decided_at_index" on "customer_messages" ("customer_id", "category", "decided_at");`,
    );

    this.addSql(
      `create table "rfm_runs" ("id" text not null, "trigger" varchar(255) not null, "as_of" timestamptz not null, "started_at" timestamptz not null, "finished_at" timestamptz null, "scored" int not null default 0, "segments" jsonb not null default '{}', primary key ("id"));`,
    );

    this.addSql(
      `create table "settings" ("key" text not null, "value" jsonb not null, "version" int not null default 1, "updated_by" text null, "updated_at" timestamptz not null, primary key ("key"));`,
    );

    this.addSql(
      `create table "customer_stage_changes" ("id" bigserial primary key, "customer_id" uuid not null, "seq" int not null, "from_stage" varchar(255) null, "to_stage" varchar(255) not null, "cause" text not null, "at" timestamptz not null);`,
    );
    this.addSql(`create index "customer_stage_changes_at_index" on "customer_stage_changes" ("at");`);
    this.addSql(
      `alter table "customer_stage_changes" add constraint "customer_stage_changes_customer_id_seq_unique" unique ("customer_id", "seq");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "coupons" cascade;`);
    this.addSql(`drop table if exists "customers" cascade;`);
    this.addSql(`drop table if exists "customer_events" cascade;`);
    this.addSql(`drop table if exists "customer_messages" cascade;`);
    this.addSql(`drop table if exists "rfm_runs" cascade;`);
    this.addSql(`drop table if exists "settings" cascade;`);
    this.addSql(`drop table if exists "customer_stage_changes" cascade;`);
  }
}
