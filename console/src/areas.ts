// The console's areas: each is a lazily loaded chunk under /console/<area> that owns its sub-routes and its messages.
// `roles` only decides what the navigation offers; the API's authorization stays the only authority.
import type { ComponentType } from 'react';
import type { Role, Session } from './api/client.ts';

export type AreaProps = { session: Session };
type Loader = () => Promise<{ default: ComponentType<AreaProps> }>;

export type NavKey =
  | 'nav.inbox'
  | 'nav.content'
  | 'nav.campaigns'
  | 'nav.customers'
  | 'nav.metrics'
  | 'nav.incidents'
  | 'nav.partners'
  | 'nav.templates'
  | 'nav.admin';

export interface Area {
  path: `/console/${string}`;
  label: NavKey;
  roles: 'everyone' | Role[];
  load: Loader;
}

export const AREAS: Area[] = [
  { path: '/console/inbox', label: 'nav.inbox', roles: 'everyone', load: () => import('./pages/inbox/index.tsx') },
  {
    path: '/console/content',
    label: 'nav.content',
    roles: ['admin', 'ops_manager', 'reviewer', 'analyst'],
    load: () => import('./pages/content/index.tsx'),
  },
  {
    path: '/console/campaigns',
    label: 'nav.campaigns',
    roles: ['admin', 'ops_manager', 'analyst'],
    load: () => import('./pages/campaigns/index.tsx'),
  },
  {
    path: '/console/customers',
    label: 'nav.customers',
    roles: ['admin', 'ops_manager', 'analyst'],
    load: () => import('./pages/customers/index.tsx'),
  },
  {
    path: '/console/metrics',
    label: 'nav.metrics',
    roles: ['admin', 'ops_manager', 'oncall', 'analyst'],
    load: () => import('./pages/metrics/index.tsx'),
  },
  {
    path: '/console/incidents',
    label: 'nav.incidents',
    roles: ['admin', 'ops_manager', 'oncall', 'analyst'],
    load: () => import('./pages/incidents/index.tsx'),
  },
  {
    path: '/console/partners',
    label: 'nav.partners',
    roles: ['admin', 'ops_manager', 'legal', 'analyst'],
    load: () => import('./pages/partners/index.tsx'),
  },
  {
    path: '/console/templates',
    label: 'nav.templates',
    roles: ['admin', 'ops_manager', 'reviewer', 'analyst'],
    load: () => import('./pages/templates/index.tsx'),
  },
  { path: '/console/admin', label: 'nav.admin', roles: ['admin'], load: () => import('./pages/admin/index.tsx') },
];

export const areasFor = (roles: readonly Role[]): Area[] =>
  AREAS.filter((area) => area.roles === 'everyone' || area.roles.some((role) => roles.includes(role)));
