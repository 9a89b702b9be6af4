import { Migration } from '@mikro-orm/migrations';

/** Pushed metric points: one value per series (name and labels) and instant. */
export class Migration20261122100000_metrics extends Migration {
  override name = 'Migration20261122100000_metrics';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "metric_points" ("id" bigserial primary key, "name" text not null, "series_key" text not null, "labels" jsonb not null, "at" timestamptz not null, "value" double precision not null, "received_at" timestamptz not null);`,
    );
    this.addSql(`create index "metric_points_name_at_index" on "metric_points" ("name", "at");`);
    this.addSql(`alter table "metric_points" add constraint "metric_points_series_key_at_unique" unique ("series_key", "at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "metric_points" cascade;`);
  }
}
