// Operators by name: the API's answers name the people they mention (owners, approvers, reviewers, actors), so the
// console shows names, not ids. And the operators a notification goes to.
import { Operator } from './entities/index.ts';
import type { Role } from '../domain/actors.ts';
import type { Orm } from './orm.ts';
import { prepared, runPrepared } from './prepared.ts';
import { textArray } from './sql.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const BY_TOKEN = prepared('operator_by_token', 'select id, name, roles from operators where token_hash = $1 and not disabled');

/**
 * The active operator holding the API token with this hash, or undefined. Read at every request (never cached), so a
 * disabled operator is refused at once; a prepared statement, as it runs before every authenticated call.
 */
export async function operatorByToken(orm: Orm, tokenHash: string): Promise<{ id: string; name: string; roles: Role[] } | undefined> {
  const [operator] = await runPrepared<{ id: string; name: string; roles: Role[] }>(orm, BY_TOKEN, [tokenHash]);
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
