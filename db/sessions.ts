// Console sign-in: one-time sign-in links and server-side sessions, known by the hashes of their tokens only.
import type { Role } from '../domain/actors.ts';
import type { Orm } from './orm.ts';

export interface SessionOperator {
  id: string;
  name: string;
  email: string;
  roles: Role[];
}

export interface LiveSession {
  id: string;
  csrfToken: string;
  expiresAt: Date;
  operator: SessionOperator;
}

type Em = Orm['em'];
// Raw rows carry timestamps as PostgreSQL's text (the driver's date parsing is off), hence the new Date()s below.
const run = <T>(em: Em, sql: string, params: unknown[]): Promise<T> =>
  em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T>;

/** The active operator with this email (emails are stored lowercased), or undefined. */
export async function activeOperatorByEmail(orm: Orm, email: string): Promise<SessionOperator | undefined> {
  const [operator] = await run<SessionOperator[]>(orm.em, 'select id, name, email, roles from operators where email = ? and not disabled', [
    email.trim().toLowerCase(),
  ]);
  return operator;
}

/** The active operator whose bearer token has this hash, or undefined. */
export async function activeOperatorByTokenHash(orm: Orm, tokenHash: string): Promise<SessionOperator | undefined> {
  const [operator] = await run<SessionOperator[]>(
    orm.em,
    'select id, name, email, roles from operators where token_hash = ? and not disabled',
    [tokenHash],
  );
  return operator;
}

/** Stores a new link for the operator, replacing any older one (used or not); answers when it expires. */
export async function storeSignInLink(orm: Orm, operatorId: string, tokenHash: string, validMs: number): Promise<Date> {
  const [row] = await run<{ expires_at: string }[]>(
    orm.em,
    `insert into sign_in_links (operator_id, token_hash, expires_at, used_at, created_at)
     values (?, ?, now() + ? * interval '1 millisecond', null, now())
     on conflict (operator_id) do update set token_hash = excluded.token_hash, expires_at = excluded.expires_at,
       used_at = null, created_at = excluded.created_at
     returning expires_at`,
    [operatorId, tokenHash, validMs],
  );
  return new Date(row!.expires_at);
}

export type SignInLinkProblem = 'used' | 'expired' | 'disabled' | 'not_valid';

/**
 * Uses the link once: one statement marks it used, so two requests with the same link cannot both sign in. Answers
 * the operator, or why the link does not sign in.
 */
export async function useSignInLink(orm: Orm, tokenHash: string): Promise<SessionOperator | SignInLinkProblem> {
  const [operator] = await run<SessionOperator[]>(
    orm.em,
    `update sign_in_links l set used_at = now() from operators o
     where l.token_hash = ? and o.id = l.operator_id and l.used_at is null and l.expires_at > now() and not o.disabled
     returning o.id, o.name, o.email, o.roles`,
    [tokenHash],
  );
  if (operator) return operator;
  const [link] = await run<{ used_at: Date | null; expired: boolean; disabled: boolean }[]>(
    orm.em,
    `select l.used_at, l.expires_at <= now() as expired, o.disabled from sign_in_links l
     join operators o on o.id = l.operator_id where l.token_hash = ?`,
    [tokenHash],
  );
  if (!link) return 'not_valid';
  return link.used_at ? 'used' : link.expired ? 'expired' : 'disabled';
}

export async function createSession(
  orm: Orm,
  s: {
    id: string;
    tokenHash: string;
    operatorId: string;
    csrfToken: string;
    method: 'link' | 'token';
    ttlMs: number;
  },
): Promise<Date> {
  const [row] = await run<{ expires_at: string }[]>(
    orm.em,
    `insert into sessions (id, token_hash, operator_id, csrf_token, method, created_at, expires_at, last_seen_at, revoked_at)
     values (?, ?, ?, ?, ?, now(), now() + ? * interval '1 millisecond', now(), null) returning expires_at`,
    [s.id, s.tokenHash, s.operatorId, s.csrfToken, s.method, s.ttlMs],
  );
  return new Date(row!.expires_at);
}

/**
 * The session with this cookie hash when it is live (not expired, not revoked) and its operator active, with the
 * operator's roles as they are now. Marks it seen (at most once a minute, so a busy console does not write each time).
 */
export async function liveSession(orm: Orm, tokenHash: string): Promise<LiveSession | undefined> {
  const [row] = await run<
    {
      id: string;
      csrf_token: string;
      expires_at: string;
      stale: boolean;
      operator_id: string;
      name: string;
      email: string;
      roles: Role[];
    }[]
  >(
    orm.em,
    `select s.id, s.csrf_token, s.expires_at, s.last_seen_at < now() - interval '1 minute' as stale,
       o.id as operator_id, o.name, o.email, o.roles
     from sessions s join operators o on o.id = s.operator_id
     where s.token_hash = ? and s.revoked_at is null and s.expires_at > now() and not o.disabled`,
    [tokenHash],
  );
  if (!row) return undefined;
  if (row.stale) await run(orm.em, 'update sessions set last_seen_at = now() where id = ?', [row.id]);
  return {
    id: row.id,
    csrfToken: row.csrf_token,
    expiresAt: new Date(row.expires_at),
    operator: { id: row.operator_id, name: row.name, email: row.email, roles: row.roles },
  };
}

/** Signs one session out; answers whether it was live. */
export async function revokeSession(orm: Orm, id: string): Promise<boolean> {
  const rows = await run<{ id: string }[]>(
    orm.em,
    'update sessions set revoked_at = now() where id = ? and revoked_at is null returning id',
    [id],
  );
  return rows.length > 0;
}

/**
 * Ends every session of the operator and forgets their unused sign-in link (their access changed: disabled, new
 * roles, a new token). Runs in the caller's transaction when `em` is in one; answers how many sessions ended.
 */
export async function revokeOperatorSessions(em: Em, operatorId: string): Promise<number> {
  await run(em, 'delete from sign_in_links where operator_id = ? and used_at is null', [operatorId]);
  const rows = await run<{ id: string }[]>(
    em,
    'update sessions set revoked_at = now() where operator_id = ? and revoked_at is null and expires_at > now() returning id',
    [operatorId],
  );
  return rows.length;
}
