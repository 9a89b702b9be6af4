// Types from the API's OpenAPI document and the words for the customers area's enums.
import type { paths } from '../../api/schema.d.ts';

type Json<P extends keyof paths, M extends 'get'> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } }
  ? T
  : never;

export type CustomerList = Json<'/customers', 'get'>;
export type Customer = CustomerList['items'][number];
export type Lifecycle = Json<'/customers/{id}/lifecycle', 'get'>;
export type Coupons = Json<'/customers/{id}/coupons', 'get'>;
export type SegmentsReport = Json<'/segments', 'get'>;
export type KpiReport = Json<'/kpis', 'get'>;

export type Stage = NonNullable<Customer['stage']>;
export type Segment = NonNullable<Customer['segment']>;

// The API's enums, in its order (the type-check holds them to the schema).
export const STAGES = [
  'acquired',
  'activated',
  'retained',
  'monetized',
  'referrer',
  'at_risk',
  'churned',
  'recalled',
] as const satisfies readonly Stage[];
export const SEGMENTS = ['champions', 'loyal', 'new', 'potential', 'at_risk', 'hibernating', 'lost'] as const satisfies readonly Segment[];
