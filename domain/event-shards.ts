// Pure: which event shard a customer belongs to. Each shard has one dispatcher workflow delivering its stored events
// in order; a customer is always in the same shard, so their events stay ordered.

/**
 * The number of shards. The partial index of Migration20261203160000_event_ingest is built on this expression with
 * 8: changing it needs a migration that rebuilds the index.
 */
export const EVENT_SHARDS = 8;

/** The last byte of the id (random in v4 and v7 UUIDs): `get_byte(uuid_send(customer_id), 15) % 8` in SQL. */
export const eventShardOf = (customerId: string): number => Number.parseInt(customerId.slice(-2), 16) % EVENT_SHARDS;
