// The partners area's shapes, from the generated API types.
import type { paths } from '../../api/schema.d.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Partner = Json<paths['/partners/{id}']['get']['responses']['200']>;
export type PartnerType = Partner['type'];
export type ContractItem = Json<paths['/contracts']['get']['responses']['200']>['items'][number];
export type Stage = ContractItem['stage'];
export type Contract = Json<paths['/contracts/{id}']['get']['responses']['200']>;
export type Payouts = Json<paths['/contracts/{id}/payouts']['get']['responses']['200']>;
export type Brief = NonNullable<paths['/partners/score']['post']['requestBody']>['content']['application/json']['brief'];
export type Ranked = Json<paths['/partners/score']['post']['responses']['200']>['ranking'][number];
export type Goal = Brief['goal'];
export type Factor = Ranked['factors'][number]['factor'];

export const PARTNER_TYPES: PartnerType[] = ['channel', 'content', 'kol', 'tech'];
export const STAGES: Stage[] = ['draft', 'in_approval', 'awaiting_signatures', 'active', 'renegotiating', 'ended', 'expired', 'terminated'];
export const GOALS: Goal[] = ['awareness', 'engagement', 'conversion'];
export const PAGE = 25;
