import {
  campaignWorkflowId,
  contentReviewId,
  contractWorkflowId,
  customerLifecycleId,
  entityOfWorkflowId,
  eventDispatcherId,
  incidentWorkflowId,
  kpiZoneBackfillId,
  rfmScoringId,
  ruleMonitorId,
  templateReviewId,
  unsubscribeConfirmationId,
} from '../../domain/ids.ts';

// Workflow ids are a wire contract: runs in flight, recorded histories and audit rows carry them.
describe('workflow ids', () => {
  it('keep their prefixes', () => {
    expect([
      contentReviewId('c1'),
      customerLifecycleId('u1'),
      campaignWorkflowId('k1'),
      ruleMonitorId('r1'),
      incidentWorkflowId('i1'),
      contractWorkflowId('p1'),
      templateReviewId('v1'),
      rfmScoringId('manual-1'),
      kpiZoneBackfillId('Asia/Shanghai'),
      unsubscribeConfirmationId('u1', '2026-01-02T03:04:05.000Z'),
      eventDispatcherId('opsflow', 3),
    ]).toEqual([
      'content-review:c1',
      'customer-lifecycle:u1',
      'campaign:k1',
      'rule-monitor:r1',
      'incident:i1',
      'contract:p1',
      'template-review:v1',
      'rfm-scoring:manual-1',
      'kpi-zone:Asia/Shanghai',
      'unsubscribe-confirmation:u1:1767323045000',
      'event-dispatch:opsflow:3',
    ]);
  });

  it('map an entity workflow back to its entity, and nothing else', () => {
    expect(entityOfWorkflowId(contentReviewId('a:b'))).toEqual({ type: 'content', id: 'a:b' });
    expect(entityOfWorkflowId(customerLifecycleId('u1'))).toEqual({ type: 'customer', id: 'u1' });
    expect(entityOfWorkflowId(campaignWorkflowId('k1'))).toEqual({ type: 'campaign', id: 'k1' });
    expect(entityOfWorkflowId(ruleMonitorId('r1'))).toEqual({ type: 'rule', id: 'r1' });
    expect(entityOfWorkflowId(incidentWorkflowId('i1'))).toEqual({ type: 'incident', id: 'i1' });
    expect(entityOfWorkflowId(contractWorkflowId('p1'))).toEqual({ type: 'contract', id: 'p1' });
    expect(entityOfWorkflowId(templateReviewId('v1'))).toEqual({ type: 'template', id: 'v1' });
    expect(entityOfWorkflowId(rfmScoringId('x'))).toBeNull();
    expect(entityOfWorkflowId(unsubscribeConfirmationId('u1', '2026-01-02T03:04:05.000Z'))).toBeNull();
    expect(entityOfWorkflowId(eventDispatcherId('opsflow', 3))).toBeNull();
    expect(entityOfWorkflowId('constructor:x')).toBeNull();
    expect(entityOfWorkflowId('no-colon')).toBeNull();
  });
});
