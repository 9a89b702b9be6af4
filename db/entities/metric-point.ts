import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * Pushed metric points. A series is a name with its labels; `seriesKey` identifies it, and one value per series and
 * instant is kept (a point sent again replaces the value), so a retried push does not count twice.
 */
export const MetricPoint = defineEntity({
  name: 'MetricPoint',
  tableName: 'metric_points',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    name: p.text(),
    seriesKey: p.text(),
    labels: p.json<Record<string, string>>(),
    at: p.datetime(),
    value: p.double(),
    receivedAt: p.datetime(),
  },
  uniques: [{ properties: ['seriesKey', 'at'] }],
  indexes: [{ properties: ['name', 'at'] }],
});
export type MetricPoint = InferEntity<typeof MetricPoint>;
