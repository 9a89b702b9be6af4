import { Migration } from '@mikro-orm/migrations';

/**
 * When a customer's unsubscription was confirmed by email. Customers unsubscribed before this release count as
 * confirmed: nobody gets a confirmation for an unsubscription made long ago.
 */
export class Migration20261203150000_unsubscribe_confirmations extends Migration {
  override name = 'Migration20261203150000_unsubscribe_confirmations';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customers" add column "unsubscribe_confirmed_at" timestamptz null;`);
    this.addSql(`update "customers" set "unsubscribe_confirmed_at" = "unsubscribed_at" where "unsubscribed_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "customers" drop column "unsubscribe_confirmed_at";`);
  }
}
