// Campaigns in PostgreSQL: the list row (also the send gate), the audience query and the stored retrospective. The
// send ledger is campaign-recipients.ts; its counters and the attribution are campaign-counts.ts and
// campaign-attribution.ts.
import type { Audience, CampaignReport, CampaignSpec, CampaignStage } from '../domain/campaign.ts';
import type { Orm } from './orm.ts';
import { textArray } from './sql.ts';
import { NOW, versionedUpsert } from './versioned-upsert.ts';

export interface CampaignRecord {
  id: string;
  workflowId: string;
  name: string;
  ownerId: string;
  stage: CampaignStage;
  spec: CampaignSpec;
  pauseReason: string | null;
  launchedAt: string | null;
  endedAt: string | null;
  version: number;
}

/** Upserts the list row; versions order the writes, so a late older write changes nothing. */
export async function saveCampaignRow(orm: Orm, c: CampaignRecord): Promise<void> {
  const { budget, schedule } = c.spec;
  await versionedUpsert(
    orm,
    'campaigns',
    {
      id: c.id,
      workflow_id: c.workflowId,
      name: c.name,
      owner_id: c.ownerId,
      stage: c.stage,
      currency: budget.currency,
      budget_total: budget.total,
      cost_per_send: budget.costPerSend,
      start_at: schedule.startAt,
      end_at: schedule.endAt,
      ab_test: c.spec.abTest !== null,
      pause_reason: c.pauseReason,
      launched_at: c.launchedAt,
      ended_at: c.endedAt,
      created_at: NOW,
      updated_at: NOW,
      version: c.version,
    },
    ['workflow_id', 'owner_id', 'created_at'],
  );
}

/** The where clause (on customers c) that selects an audience. */
export function audienceWhere(audience: Audience): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const f = audience.filters ?? {};
  if (audience.segment) {
    parts.push('c.segment = ?');
    params.push(audience.segment);
  }
  if (f.stages?.length) {
    parts.push('c.stage = any(?::text[])');
    params.push(textArray(f.stages));
  }
  if (f.tags?.length) {
    parts.push('c.tags @> ?::text[]');
    params.push(textArray(f.tags));
  }
  if (f.rfmSegments?.length) {
    parts.push('c.segment = any(?::text[])');
    params.push(textArray(f.rfmSegments));
  }
  if (f.lastActiveBefore) {
    parts.push('c.last_active_at < ?');
    params.push(f.lastActiveBefore);
  }
  if (f.lastActiveAfter) {
    parts.push('c.last_active_at >= ?');
    params.push(f.lastActiveAfter);
  }
  return { sql: parts.length ? parts.join(' and ') : 'true', params };
}

export async function countAudience(orm: Orm, audience: Audience): Promise<number> {
  const where = audienceWhere(audience);
  const [row] = await orm.em
    .getConnection()
    .execute<{ n: number }[]>(`select count(*)::int as n from customers c where ${where.sql}`, where.params);
  return row!.n;
}

/** The campaign's stage as the list row has it ('gone' when there is no row): the send gate. */
export async function campaignStage(orm: Orm, campaignId: string): Promise<string> {
  const [row] = await orm.em.getConnection().execute<{ stage: string }[]>('select stage from campaigns where id = ?', [campaignId]);
  return row?.stage ?? 'gone';
}

/** The retrospective stored for a campaign, if any. */
export async function storedCampaignReport(orm: Orm, campaignId: string): Promise<CampaignReport | null> {
  const [row] = await orm.em
    .getConnection()
    .execute<{ report: CampaignReport }[]>('select report from campaign_reports where campaign_id = ?', [campaignId]);
  return row?.report ?? null;
}

/** Stores the retrospective once and answers the stored one (a concurrent first write wins). */
export async function storeCampaignReport(orm: Orm, campaignId: string, report: CampaignReport): Promise<CampaignReport> {
  await orm.em
    .getConnection()
    .execute('insert into campaign_reports (campaign_id, report, created_at) values (?, ?, now()) on conflict (campaign_id) do nothing', [
      campaignId,
      JSON.stringify(report),
    ]);
  return (await storedCampaignReport(orm, campaignId))!;
}

/** The customer fields a campaign message preview fills in. */
export interface PreviewCustomer {
  id: string;
  external_id: string;
  name: string | null;
  email: string;
  stage: string | null;
  segment: string | null;
  locale: string | null;
  timezone: string;
}

const PREVIEW_COLUMNS = 'c.id, c.external_id, c.name, c.email, c.stage, c.segment, c.locale, c.timezone';

export async function previewCustomerById(orm: Orm, customerId: string): Promise<PreviewCustomer | undefined> {
  const [row] = await orm.em
    .getConnection()
    .execute<PreviewCustomer[]>(`select ${PREVIEW_COLUMNS} from customers c where c.id = ?`, [customerId]);
  return row;
}

/** The audience's first customer for a preview: named ones first, then the oldest. */
export async function firstOfAudience(orm: Orm, audience: Audience): Promise<PreviewCustomer | undefined> {
  const where = audienceWhere(audience);
  const [row] = await orm.em
    .getConnection()
    .execute<PreviewCustomer[]>(
      `select ${PREVIEW_COLUMNS} from customers c where ${where.sql} order by c.name is null, c.created_at, c.external_id limit 1`,
      where.params,
    );
  return row;
}
