// Pure: shared by workflows, activities and the API.
export const ROLES = ['admin', 'ops_manager', 'reviewer', 'legal', 'oncall', 'analyst', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

/** Who acts: an authenticated operator as the API saw them. Workflows receive it with every human decision. */
export interface Actor {
  id: string;
  name: string;
  roles: Role[];
}

export const hasRole = (actor: Actor, role: Role): boolean => actor.roles.includes(role);
