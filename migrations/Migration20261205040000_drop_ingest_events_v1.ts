import { Migration } from '@mikro-orm/migrations';
import { INGEST_EVENTS } from './Migration20261204070000_ingest_events_function.ts';

/**
 * Drops the first ingest_events (8 arguments), which Migration20261204120000_ingest_events_audit kept for API processes
 * started before it (they called it until they were replaced). Every API since calls the 9-argument one
 * (db/event-ingest.ts), which writes the batch's audit event in the same transaction.
 */
export class Migration20261205040000_drop_ingest_events_v1 extends Migration {
  override name = 'Migration20261205040000_drop_ingest_events_v1';

  override up(): void | Promise<void> {
    this.addSql(`drop function if exists ingest_events(uuid[], text[], text[], timestamptz[], numeric[], text[], text[], int);`);
  }

  override down(): void | Promise<void> {
    this.addSql(INGEST_EVENTS);
  }
}
