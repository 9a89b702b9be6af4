// Operators by name: the API's answers name the people they mention (owners, approvers, reviewers, actors), so the
// console shows names, not ids. And the operators a notification goes to.
import { performance } from 'node:perf_hooks';
import { Operator } from './entities/index.ts';
import type { Role } from '../domain/actors.ts';
import type { Orm } from './orm.ts';
import { changeCache, type CacheSpec } from './change-cache.ts';
import { prepared, runPrepared } from './prepared.ts';
import { textArray } from './sql.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const BY_TOKEN = prepared('operator_by_token', 'select id, name, roles from operators where token_hash = $1 and not disabled');

export interface TokenOperator {
  id: string;
  name: string;
  roles: Role[];
}

/** Active operators by token hash (unknown tokens are not kept: guessing cannot fill it). */
const TOKEN_CACHE: CacheSpec = { table: 'operators', max: 10_000 };

/**
 * The active operator holding the API token with this hash, or undefined. Runs before every authenticated call: kept
 * in a cache that any change to the operators table empties (see change-cache.ts), answered from it only once every
 * change committed before `asOf` (performance.now() when the request arrived) has been heard, so a disabled
 * operator, a rotated token or new roles are refused or seen at once by every process; read while the cache is off.
 */
export async function operatorByToken(orm: Orm, tokenHash: string, asOf = performance.now()): Promise<TokenOperator | undefined> {
  const cache = await changeCache<TokenOperator>(orm, TOKEN_CACHE);
  const hit = (await cache?.fresh([tokenHash], asOf))?.get(tokenHash);
  if (hit) return { ...hit, roles: [...hit.roles] };
  const stamp = cache?.stamp();
  const [operator] = await runPrepared<TokenOperator>(orm, BY_TOKEN, [tokenHash]);
  if (operator && stamp) cache!.set(stamp, [[tokenHash, { ...operator, roles: [...operator.roles] }]]);
  return operator;
}

/** id -> name of the operators among `ids` (anything that is not an operator's id is left out). */
export async function operatorNames(orm: Orm, ids: Iterable<string | null | undefined>): Promise<Record<string, string>> {
  const known = [...new Set([...ids].filter((id): id is string => typeof id === 'string' && UUID.test(id)))];
  if (known.length === 0) return {};
  const found = await orm.em.find(Operator, { id: { $in: known } }, { fields: ['id', 'name'] });
  return Object.fromEntries(found.map((o) => [o.id, o.name]));
}

/** The email addresses of the active operators named by id or holding one of the roles. */
export async function operatorEmails(orm: Orm, ids: string[], roles: string[]): Promise<{ email: string }[]> {
  return orm.em
    .getConnection()
    .execute<{ email: string }[]>(
      `select email from operators where not disabled and (id::text = any(?::text[]) or roles && ?::text[]) order by email`,
      [textArray(ids), textArray(roles)],
    );
}

export interface TaskMailOperator {
  id: string;
  name: string;
  email: string;
}

/** The operators to tell of a task: active, holding its role or assigned to it, with task emails on, not in `skip`. */
export async function taskMailRecipients(
  orm: Orm,
  t: { candidateRole: string; assigneeId: string | null; skip?: string[] },
): Promise<TaskMailOperator[]> {
  return orm.em.getConnection().execute<TaskMailOperator[]>(
    `select id, name, email from operators
     where not disabled and task_emails and (roles && ?::text[] or id::text = ?) and not (id::text = any(?::text[]))
     order by email`,
    [textArray([t.candidateRole]), t.assigneeId ?? '', textArray(t.skip ?? [])],
  );
}

/** The active operators among two ids (a task's assignee and who assigned it), with their task email setting. */
export async function activeOperatorsByIds(orm: Orm, a: string, b: string): Promise<(TaskMailOperator & { task_emails: boolean })[]> {
  return orm.em
    .getConnection()
    .execute<(TaskMailOperator & { task_emails: boolean })[]>(
      'select id, name, email, task_emails from operators where id in (?, ?) and not disabled',
      [a, b],
    );
}

/**
 * Makes operator changes in the transaction `em` runs one at a time (held until it ends): taken before any row lock,
 * so two changes cannot lock rows in opposite orders.
 */
export async function lockOperatorChanges(em: Orm['em']): Promise<void> {
  await em.getConnection().execute('select pg_advisory_xact_lock(727002)', [], 'all', em.getTransactionContext());
}
