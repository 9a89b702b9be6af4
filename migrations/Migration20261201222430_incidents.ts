import { Migration } from '@mikro-orm/migrations';

/** Incidents (the read model behind lists, stats and the rule dedup) and escalation policies. */
export class Migration20261201222430_incidents extends Migration {
  override name = 'Migration20261201222430_incidents';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "escalation_policies" ("id" uuid not null, "name" text not null, "service" text null, "labels" jsonb not null, "levels" jsonb not null, "repeat" int not null default 0, "created_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`alter table "escalation_policies" add constraint "escalation_policies_name_unique" unique ("name");`);

    this.addSql(
      `create table "incidents" ("id" uuid not null, "workflow_id" text not null, "title" text not null, "severity" varchar(255) not null, "service" text null, "labels" jsonb not null, "status" varchar(255) not null, "source" jsonb not null, "rule_id" uuid null, "opened_by" text not null, "commander_id" uuid null, "policy_id" uuid null, "level" int not null default 0, "pages" int not null default 0, "firings" int not null default 0, "triggered_at" timestamptz not null, "ack_due_at" timestamptz null, "acknowledged_at" timestamptz null, "acknowledged_by" uuid null, "resolved_at" timestamptz null, "resolved_by" uuid null, "closed_at" timestamptz null, "postmortem_required" boolean not null default false, "postmortem_due_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`alter table "incidents" add constraint "incidents_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "incidents_severity_index" on "incidents" ("severity");`);
    this.addSql(`create index "incidents_service_index" on "incidents" ("service");`);
    this.addSql(`create index "incidents_status_index" on "incidents" ("status");`);
    this.addSql(`create index "incidents_rule_id_index" on "incidents" ("rule_id");`);
    this.addSql(`create index "incidents_triggered_at_index" on "incidents" ("triggered_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "escalation_policies" cascade;`);
    this.addSql(`drop table if exists "incidents" cascade;`);
  }
}
