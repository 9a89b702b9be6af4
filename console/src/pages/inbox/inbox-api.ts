// The inbox's reads and writes through the typed client, with their query keys.
import { api, unwrap } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';

export type TaskStatusFilter = NonNullable<paths['/tasks']['get']['parameters']['query']>['status'];
export const STATUSES = ['active', 'open', 'escalated', 'completed', 'cancelled'] as const satisfies readonly TaskStatusFilter[];
export type Status = (typeof STATUSES)[number];
export const KINDS = [
  'content_review',
  'campaign_approval',
  'contract_approval',
  'contract_renewal',
  'postmortem',
  'template_review',
] as const;

export const keys = {
  tasks: ['tasks'] as const,
  task: (id: string) => ['tasks', 'one', id] as const,
  tasksOf: (of: { entityType: string; entityId: string }) => ['tasks', 'of', of] as const,
  preferences: ['operator-preferences'] as const,
};

/** A page of the tasks the operator may see; `entityType` and `entityId` narrow it to one item's. */
export async function listTasks(query: {
  status: Status;
  kind?: string;
  entityType?: string;
  entityId?: string;
  limit: number;
  offset: number;
}) {
  return unwrap(await api.GET('/tasks', { params: { query } }));
}

export async function getTask(id: string) {
  return unwrap(await api.GET('/tasks/{id}', { params: { path: { id } } }));
}

export type Content = Awaited<ReturnType<typeof getContent>>;
export async function getContent(id: string) {
  return unwrap(await api.GET('/content/{id}', { params: { path: { id } } }));
}
export async function getCampaign(id: string) {
  return unwrap(await api.GET('/campaigns/{id}', { params: { path: { id } } }));
}
export async function getContract(id: string) {
  return unwrap(await api.GET('/contracts/{id}', { params: { path: { id } } }));
}
export async function getIncident(id: string) {
  return unwrap(await api.GET('/incidents/{id}', { params: { path: { id } } }));
}

export async function getPreferences() {
  return unwrap(await api.GET('/operators/me/preferences'));
}
export async function setPreferences(body: { taskEmails: boolean }) {
  return unwrap(await api.PATCH('/operators/me/preferences', { body }));
}
