// Pure workflow-id builders: the API, the activities, db/ and the workflows agree on ids through these alone.
// Each kind of workflow is declared once, with its prefix and the entity its id names (a new family adds one line).

const entityOfPrefix = new Map<string, string>();

/**
 * A builder for ids `<prefix>:<key>`. With `entity`, entityOfWorkflowId maps these ids back to that entity.
 * Called only at this module's top level, so the map is complete before anything can read it.
 */
function defineWorkflowId(prefix: string, entity?: string): (key: string) => string {
  if (entity) entityOfPrefix.set(prefix, entity);
  return (key) => `${prefix}:${key}`;
}

export const contentReviewId = defineWorkflowId('content-review', 'content');
export const customerLifecycleId = defineWorkflowId('customer-lifecycle', 'customer');
export const campaignWorkflowId = defineWorkflowId('campaign', 'campaign');
export const ruleMonitorId = defineWorkflowId('rule-monitor', 'rule');
export const incidentWorkflowId = defineWorkflowId('incident', 'incident');
export const contractWorkflowId = defineWorkflowId('contract', 'contract');
export const templateReviewId = defineWorkflowId('template-review', 'template');
/** Every RFM run, scheduled or on demand, gets its own id under this prefix. */
export const rfmScoringId = defineWorkflowId('rfm-scoring');
/** The backfill of one KPI reporting zone: one per zone. */
export const kpiZoneBackfillId = defineWorkflowId('kpi-zone');
const unsubscribeConfirmation = defineWorkflowId('unsubscribe-confirmation');
/** One confirmation per unsubscription: a later unsubscription (after resubscribing) is another. */
export const unsubscribeConfirmationId = (customerId: string, unsubscribedAt: string): string =>
  unsubscribeConfirmation(`${customerId}:${Date.parse(unsubscribedAt)}`);
const eventDispatcher = defineWorkflowId('event-dispatch');
/** Per task queue: two deployments sharing a Temporal namespace keep their own dispatchers. */
export const eventDispatcherId = (taskQueue: string, shard: number): string => eventDispatcher(`${taskQueue}:${shard}`);

export const RFM_SCHEDULE_ID = 'rfm-nightly';
export const REDELIVERY_SCHEDULE_ID = 'redeliver-events';

/** The entity a workflow id belongs to (for audit events written outside the workflow), or null for other ids. */
export function entityOfWorkflowId(workflowId: string): { type: string; id: string } | null {
  const at = workflowId.indexOf(':');
  const type = at > 0 ? entityOfPrefix.get(workflowId.slice(0, at)) : undefined;
  return type ? { type, id: workflowId.slice(at + 1) } : null;
}
