import { Migration } from '@mikro-orm/migrations';

/** Metric-threshold rules, with their monitor's last view. */
export class Migration20261122100500_rules extends Migration {
  override name = 'Migration20261122100500_rules';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "rules" ("id" uuid not null, "name" text not null, "metric" text not null, "labels" jsonb not null, "aggregation" varchar(255) not null, "window" varchar(255) not null, "comparison" varchar(255) not null, "threshold" double precision not null, "for" varchar(255) not null, "keep_firing" varchar(255) not null, "no_data" varchar(255) not null, "severity" varchar(255) not null, "action" jsonb not null, "every" varchar(255) not null default '30s', "enabled" boolean not null default true, "state" varchar(255) not null default 'normal', "state_since" timestamptz null, "episodes" int not null default 0, "last_value" double precision null, "last_evaluated_at" timestamptz null, "created_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`create index "rules_metric_index" on "rules" ("metric");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "rules" cascade;`);
  }
}
