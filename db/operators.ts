// Operators by name: the API's answers name the people they mention (owners, approvers, reviewers, actors), so the
// console shows names, not ids.
import { Operator } from './entities/index.ts';
import type { Orm } from './orm.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** id -> name of the operators among `ids` (anything that is not an operator's id is left out). */
export async function operatorNames(orm: Orm, ids: Iterable<string | null | undefined>): Promise<Record<string, string>> {
  const known = [...new Set([...ids].filter((id): id is string => typeof id === 'string' && UUID.test(id)))];
  if (known.length === 0) return {};
  const found = await orm.em.find(Operator, { id: { $in: known } }, { fields: ['id', 'name'] });
  return Object.fromEntries(found.map((o) => [o.id, o.name]));
}
