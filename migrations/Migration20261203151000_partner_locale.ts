import { Migration } from '@mikro-orm/migrations';

/** A partner's language (BCP 47) for the emails opsflow sends them; null: the platform's default. */
export class Migration20261203151000_partner_locale extends Migration {
  override name = 'Migration20261203151000_partner_locale';

  override up(): void | Promise<void> {
    this.addSql(`alter table "partners" add column "locale" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "partners" drop column "locale";`);
  }
}
