// Pure workflow-id builders: the API and the workflows agree on ids through these alone.
export const contentReviewId = (contentId: string): string => `content-review:${contentId}`;
export const customerLifecycleId = (customerId: string): string => `customer-lifecycle:${customerId}`;
/** Every RFM run, scheduled or on demand, gets its own id under this prefix. */
export const rfmScoringId = (runKey: string): string => `rfm-scoring:${runKey}`;
/** The backfill of one KPI reporting zone: one per zone. */
export const kpiZoneBackfillId = (tz: string) => `kpi-zone:${tz}`;
export const RFM_SCHEDULE_ID = 'rfm-nightly';
export const REDELIVERY_SCHEDULE_ID = 'redeliver-events';
export const campaignWorkflowId = (campaignId: string): string => `campaign:${campaignId}`;
export const ruleMonitorId = (ruleId: string): string => `rule-monitor:${ruleId}`;
export const incidentWorkflowId = (incidentId: string): string => `incident:${incidentId}`;
export const contractWorkflowId = (contractId: string): string => `contract:${contractId}`;
export const templateReviewId = (versionId: string): string => `template-review:${versionId}`;
/** One confirmation per unsubscription: a later unsubscription (after resubscribing) is another. */
export const unsubscribeConfirmationId = (customerId: string, unsubscribedAt: string): string =>
  `unsubscribe-confirmation:${customerId}:${Date.parse(unsubscribedAt)}`;

/** The entity a workflow id belongs to (for audit events written outside the workflow), or null for other ids. */
export function entityOfWorkflowId(workflowId: string): { type: string; id: string } | null {
  const types: Record<string, string> = {
    'content-review': 'content', 'customer-lifecycle': 'customer', campaign: 'campaign', 'rule-monitor': 'rule', incident: 'incident', contract: 'contract',
    'template-review': 'template',
  };
  const at = workflowId.indexOf(':');
  const type = at > 0 ? types[workflowId.slice(0, at)] : undefined;
  return type ? { type, id: workflowId.slice(at + 1) } : null;
}
