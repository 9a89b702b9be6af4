// The content API's shapes (from the generated schema) and a refusal that keeps the API's field messages apart, so a
// form shows each one beside its input.
import { unwrapWithFields as unwrapFields, type Answer, type Session } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';

type Json<T> = T extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;

export type ContentPage = Json<paths['/content']['get']>;
export type ContentItem = ContentPage['items'][number];
export type ContentDetail = Json<paths['/content/{id}']['get']>;
export type ContentQuery = NonNullable<paths['/content']['get']['parameters']['query']>;
export type SubmitBody = paths['/content']['post']['requestBody']['content']['application/json'];
export type Stage = ContentItem['stage'];
export type Tier = ContentItem['tier'];
export type Channel = Json<paths['/channels']['get']>['items'][number];

export const STAGES: readonly Stage[] = ['checking', 'in_review', 'changes_requested', 'scheduled', 'published', 'rejected', 'withdrawn'];
export const TIERS: readonly Tier[] = ['S', 'A', 'B'];
export const isFinal = (stage: Stage): boolean => stage === 'published' || stage === 'rejected' || stage === 'withdrawn';

export { FieldRefusal } from '../../api/client.ts';

/** A refusal's field messages by the form input they belong to ('channels[1]' -> channels). */
export const unwrapWithFields = <T>(result: Answer<T>): T => unwrapFields(result, (field) => field.split(/[[.]/)[0] || 'body');

/** The author changes their content, and admins any; the API decides (ops managers and admins only). */
export const canChange = (session: Session, item: { authorId: string }): boolean =>
  session.operator.roles.includes('admin') || (session.operator.id === item.authorId && session.operator.roles.includes('ops_manager'));

export const canSubmit = (session: Session): boolean =>
  session.operator.roles.includes('admin') || session.operator.roles.includes('ops_manager');

/** An ISO instant as a datetime-local value in the operator's timezone (the browser's, as format.ts uses). */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (the operator's local time) as an ISO instant; undefined when empty or unreadable. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
