import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign sends at 100,000 recipients (issue 15): campaign_counts_add, which every statement that changes the send
 * ledger runs once (the counters' triggers), keeps one plan per connection instead of planning its upsert at every call.
 *
 * Its statement takes the changes as an array parameter, and PL/pgSQL's plan cache compares a plan made for the
 * array's actual length (unnest's estimate) with the generic one (10 rows): the generic plan never looked cheaper, so
 * the upsert, with its aggregates and subplans, was planned again at every call. A mark statement of one sent recipient
 * took 0.55-0.85 ms of database time with it, 0.15-0.40 ms with the plan kept; the counters' trigger cost most of a
 * send's mark. The plan's shape does not depend on the length (a sort and an aggregate over the array, a key probe
 * per sent row, one upsert per campaign), so a 100,000-row freeze runs the same plan in linear time.
 */
export class Migration20261204110000_campaign_counts_generic_plan extends Migration {
  override name = 'Migration20261204110000_campaign_counts_generic_plan';

  override up(): void | Promise<void> {
    this.addSql(`alter function "campaign_counts_add"(campaign_recipient_change[]) set plan_cache_mode = force_generic_plan;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter function "campaign_counts_add"(campaign_recipient_change[]) reset plan_cache_mode;`);
  }
}
