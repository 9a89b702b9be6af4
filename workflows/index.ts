// The workflow bundle entry: every workflow the worker runs.
export { contentReview } from './content.ts';
export { customerLifecycle } from './lifecycle.ts';
export { rfmScoring } from './rfm.ts';
export { redeliverEvents } from './event-redelivery.ts';
export { campaign } from './campaign.ts';
export { ruleMonitor } from './monitor.ts';
export { incident } from './incident.ts';
export { contract } from './contract.ts';
export { templateReview } from './template-review.ts';
export { unsubscribeConfirmation } from './unsubscribe-confirmation.ts';
export { eventDispatcher } from './event-dispatch.ts';
export { kpiZoneBackfill } from './kpi-zones.ts';
