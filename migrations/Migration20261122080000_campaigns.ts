import { Migration } from '@mikro-orm/migrations';

/** Campaigns (read model and send gate), their send ledger (one row per recipient) and their retrospectives. */
export class Migration20261122080000_campaigns extends Migration {
  override name = 'Migration20261122080000_campaigns';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "campaigns" ("id" uuid not null, "workflow_id" text not null, "name" text not null, "owner_id" uuid not null, "stage" varchar(255) not null, "currency" varchar(3) not null, "budget_total" numeric(14,2) not null, "cost_per_send" numeric(14,4) not null, "start_at" timestamptz not null, "end_at" timestamptz not null, "ab_test" boolean not null default false, "pause_reason" varchar(255) null, "launched_at" timestamptz null, "ended_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`alter table "campaigns" add constraint "campaigns_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "campaigns_owner_id_index" on "campaigns" ("owner_id");`);
    this.addSql(`create index "campaigns_stage_index" on "campaigns" ("stage");`);

    this.addSql(
      `create table "campaign_recipients" ("id" bigserial primary key, "campaign_id" uuid not null, "seq" int not null, "customer_id" uuid not null, "phase" varchar(255) not null, "variant" text null, "status" varchar(255) not null, "reason" text null, "deferred_until" timestamptz null, "ever_deferred" boolean not null default false, "cost" numeric(14,4) not null default 0, "sent_at" timestamptz null);`,
    );
    this.addSql(`create index "campaign_recipients_campaign_id_status_index" on "campaign_recipients" ("campaign_id", "status");`);
    this.addSql(
      `alter table "campaign_recipients" add constraint "campaign_recipients_campaign_id_seq_unique" unique ("campaign_id", "seq");`,
    );
    this.addSql(
      `alter table "campaign_recipients" add constraint "campaign_recipients_campaign_id_customer_id_unique" unique ("campaign_id", "customer_id");`,
    );

    this.addSql(
      `create table "campaign_reports" ("campaign_id" uuid not null, "report" jsonb not null, "created_at" timestamptz not null, primary key ("campaign_id"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "campaigns" cascade;`);
    this.addSql(`drop table if exists "campaign_recipients" cascade;`);
    this.addSql(`drop table if exists "campaign_reports" cascade;`);
  }
}
