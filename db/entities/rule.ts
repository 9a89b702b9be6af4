import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { RuleAction, RuleSeverity } from '../../workflows/monitor.rules.ts';

/** Metric-threshold rules: what to watch, when it breaches, and what firing does. */
export const Rule = defineEntity({
  name: 'Rule',
  tableName: 'rules',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    metric: p.text().index(),
    labels: p.json<Record<string, string>>(),
    aggregation: p.string(),
    window: p.string(),
    comparison: p.string(),
    threshold: p.double(),
    for: p.string(),
    keepFiring: p.string(),
    noData: p.string(),
    severity: p.string().$type<RuleSeverity>(),
    action: p.json<RuleAction>(),
    enabled: p.boolean().default(true),
    createdBy: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(1),
  },
});
export type Rule = InferEntity<typeof Rule>;
