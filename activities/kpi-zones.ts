// A new KPI reporting zone's backfill: every customer's rollups rebuilt in that zone, a batch of customers per
// transaction, the cursor heartbeated and resumed from after a retry or a worker's crash (a customer rebuilt twice
// ends the same). The trigger keeps the zone for new events meanwhile.
import { Context } from '@temporalio/activity';
import { backfillKpiZoneBatch } from '../db/kpi-rollups.ts';
import type { Orm } from '../db/orm.ts';

export function createKpiZoneActivities({ orm }: { orm: Orm }) {
  return {
    async backfillKpiZone(args: { tz: string; batch?: number }): Promise<{ customers: number }> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as { cursor: string | null; customers: number } | undefined;
      let cursor = resumed?.cursor ?? null;
      let customers = resumed?.customers ?? 0;
      const batch = args.batch ?? 2000;
      for (;;) {
        const next = await backfillKpiZoneBatch(orm, args.tz, cursor, batch);
        if (next === null) return { customers };
        cursor = next;
        customers += batch;
        ctx.heartbeat({ cursor, customers });
      }
    },
  };
}
