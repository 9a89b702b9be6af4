// Backfills a KPI reporting zone (POST /kpis/zones): one durable, heartbeated activity; GET /kpis answers from the
// zone's rollups once it is ready (from the raw events until then).
import { proxyActivities } from '@temporalio/workflow';
import type { createKpiZoneActivities } from '../activities/kpi-zones.ts';
import { profiles } from './lib/activity-profiles.ts';
import { audit } from './lib/audit.ts';

const { backfillKpiZone } = proxyActivities<ReturnType<typeof createKpiZoneActivities>>(profiles.fanOut);

export async function kpiZoneBackfill(input: { tz: string; batch?: number }): Promise<{ customers: number }> {
  const result = await backfillKpiZone(input);
  await audit('kpis.zone_ready', { type: 'kpi_zone', id: input.tz }, result);
  return result;
}
