import { Migration } from '@mikro-orm/migrations';

/** Partners, contracts (read model), the payouts ledger, one-time signing links and partner tracking codes. */
export class Migration20261201230058_contracts extends Migration {
  override name = 'Migration20261201230058_contracts';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "contracts" ("id" uuid not null, "workflow_id" text not null, "partner_id" uuid not null, "owner_id" uuid not null, "stage" varchar(255) not null, "terms_version" int not null default 1, "term" int not null default 1, "terms" jsonb not null, "value" numeric(14,2) not null, "currency" varchar(3) not null, "start_at" timestamptz not null, "end_at" timestamptz not null, "activated_at" timestamptz null, "ended_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`alter table "contracts" add constraint "contracts_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "contracts_partner_id_index" on "contracts" ("partner_id");`);
    this.addSql(`create index "contracts_owner_id_index" on "contracts" ("owner_id");`);
    this.addSql(`create index "contracts_stage_index" on "contracts" ("stage");`);

    this.addSql(
      `create table "contract_payouts" ("id" bigserial primary key, "contract_id" uuid not null, "partner_id" uuid not null, "term" int not null, "period_index" int not null, "period_from" timestamptz not null, "period_to" timestamptz not null, "fraction" double precision not null, "currency" varchar(3) not null, "fee" numeric(14,2) not null, "share" numeric(14,2) not null, "milestones" numeric(14,2) not null, "total" numeric(14,2) not null, "tier" int null, "capped" boolean not null, "evaluation" jsonb not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "contract_payouts_contract_id_index" on "contract_payouts" ("contract_id");`);
    this.addSql(
      `alter table "contract_payouts" add constraint "contract_payouts_contract_id_term_period_index_unique" unique ("contract_id", "term", "period_index");`,
    );

    this.addSql(
      `create table "contract_sign_links" ("idempotency_key" text not null, "contract_id" uuid not null, "token_hash" text not null, "token" text null, "expires_at" timestamptz not null, "created_at" timestamptz not null, primary key ("idempotency_key"));`,
    );
    this.addSql(`create index "contract_sign_links_contract_id_index" on "contract_sign_links" ("contract_id");`);
    this.addSql(`alter table "contract_sign_links" add constraint "contract_sign_links_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `create table "partners" ("id" uuid not null, "name" text not null, "type" varchar(255) not null, "contact_email" text not null, "figures" jsonb not null, "notes" text null, "created_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`create index "partners_type_index" on "partners" ("type");`);

    this.addSql(
      `create table "partner_codes" ("code" text not null, "contract_id" uuid not null, "partner_id" uuid not null, "term" int not null, "active" boolean not null, "created_at" timestamptz not null, "revoked_at" timestamptz null, primary key ("code"));`,
    );
    this.addSql(`create index "partner_codes_contract_id_index" on "partner_codes" ("contract_id");`);
    this.addSql(`create index "partner_codes_partner_id_index" on "partner_codes" ("partner_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "contracts" cascade;`);
    this.addSql(`drop table if exists "contract_payouts" cascade;`);
    this.addSql(`drop table if exists "contract_sign_links" cascade;`);
    this.addSql(`drop table if exists "partners" cascade;`);
    this.addSql(`drop table if exists "partner_codes" cascade;`);
  }
}
