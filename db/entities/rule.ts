import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { MonitorState, RuleAction, RuleSeverity } from '../../domain/monitor.ts';

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
    /** How often the rule's monitor evaluates it ('30s'). */
    every: p.string().default('30s'),
    enabled: p.boolean().default(true),
    /** The monitor's view, written at each evaluation: normal, pending, firing or resolved. */
    state: p.string().$type<MonitorState>().default('normal'),
    stateSince: p.datetime().nullable(),
    episodes: p.integer().default(0),
    lastValue: p.double().nullable(),
    lastEvaluatedAt: p.datetime().nullable(),
    createdBy: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(1),
  },
});
export type Rule = InferEntity<typeof Rule>;
