import { Migration } from '@mikro-orm/migrations';

export class Migration20261122025425 extends Migration {
  override name = 'Migration20261122025425_foundation';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "audit_events" ("id" bigserial primary key, "at" timestamptz not null, "actor_type" varchar(255) not null, "actor_id" varchar(255) null, "action" varchar(255) not null, "entity_type" varchar(255) not null, "entity_id" varchar(255) not null, "workflow_id" varchar(255) null, "details" jsonb not null default '{}', "idempotency_key" varchar(255) null);`,
    );
    this.addSql(`create index "audit_events_at_index" on "audit_events" ("at");`);
    this.addSql(`alter table "audit_events" add constraint "audit_events_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "audit_events_entity_type_entity_id_index" on "audit_events" ("entity_type", "entity_id");`);

    this.addSql(
      `create table "channels" ("id" uuid not null, "name" varchar(255) not null, "url" text not null, "secret" varchar(255) not null, "enabled" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "channels" add constraint "channels_name_unique" unique ("name");`);

    this.addSql(
      `create table "content" ("id" uuid not null, "workflow_id" varchar(255) not null, "author_id" uuid not null, "title" varchar(255) not null, "tier" varchar(255) not null, "channels" text[] not null, "stage" varchar(255) not null, "revision" int not null default 1, "check_outcome" varchar(255) null, "publish_at" timestamptz null, "published_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`alter table "content" add constraint "content_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "content_author_id_index" on "content" ("author_id");`);
    this.addSql(`create index "content_stage_index" on "content" ("stage");`);

    this.addSql(
      `create table "email_outbox" ("id" bigserial primary key, "idempotency_key" varchar(255) not null, "message_id" varchar(255) not null, "workflow_id" varchar(255) null, "template" varchar(255) not null, "recipients" text[] not null, "subject" text not null, "status" varchar(255) not null, "attempts" int not null default 0, "lease_until" timestamptz null, "last_error" text null, "sent_at" timestamptz null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "email_outbox" add constraint "email_outbox_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "email_outbox_workflow_id_index" on "email_outbox" ("workflow_id");`);

    this.addSql(
      `create table "operators" ("id" uuid not null, "name" varchar(255) not null, "email" varchar(255) not null, "roles" text[] not null, "token_hash" varchar(255) not null, "disabled" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "operators" add constraint "operators_email_unique" unique ("email");`);
    this.addSql(`alter table "operators" add constraint "operators_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `create table "tasks" ("id" uuid not null, "workflow_id" varchar(255) not null, "kind" varchar(255) not null, "title" varchar(255) not null, "entity_type" varchar(255) not null, "entity_id" varchar(255) not null, "candidate_role" varchar(255) not null, "assignee_id" uuid null, "priority" varchar(255) not null, "due_at" timestamptz null, "decisions" text[] not null, "payload" jsonb not null default '{}', "status" varchar(255) not null, "decision" varchar(255) null, "decided_by" uuid null, "comment" text null, "decided_at" timestamptz null, "escalated_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`create index "tasks_workflow_id_index" on "tasks" ("workflow_id");`);
    this.addSql(`create index "tasks_status_index" on "tasks" ("status");`);
    this.addSql(`create index "tasks_entity_type_entity_id_index" on "tasks" ("entity_type", "entity_id");`);
    this.addSql(`create index "tasks_candidate_role_status_index" on "tasks" ("candidate_role", "status");`);

    this.addSql(
      `create table "webhook_deliveries" ("id" bigserial primary key, "idempotency_key" varchar(255) not null, "workflow_id" varchar(255) not null, "channel" varchar(255) not null, "url" text not null, "status" varchar(255) not null, "attempts" int not null default 0, "response_status" int null, "last_error" text null, "delivered_at" timestamptz null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "webhook_deliveries_workflow_id_index" on "webhook_deliveries" ("workflow_id");`);

    // The audit log is append-only: updates and deletes are refused by the database itself.
    this.addSql(
      `create function audit_events_append_only() returns trigger language plpgsql as $$ begin raise exception 'audit_events is append-only'; end $$;`,
    );
    this.addSql(
      `create trigger audit_events_no_change before update or delete on "audit_events" for each row execute function audit_events_append_only();`,
    );
  }
}
