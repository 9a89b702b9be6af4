// A contract's one-time signing links: issued once per key (the token kept only until its email is out), and the
// partner's signing token checked against the newest link stored for the contract, compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import { ContractSignLink } from './entities/index.ts';
import type { Orm } from './orm.ts';

/** replaced: an earlier link of this contract (a newer one was sent); not_valid: no link of this contract. */
export type SignLinkProblem = 'not_valid' | 'replaced' | 'expired';
/** The link's expiry when the token is the contract's newest (even if expired: a used link still says so). */
export interface SignLinkCheck {
  problem?: SignLinkProblem;
  expiresAt?: Date;
}

export async function checkSignLink(orm: Orm, contractId: string, tokenHash: string): Promise<SignLinkCheck> {
  const em = orm.em.fork();
  const link = await em.findOne(ContractSignLink, { contractId }, { fields: ['tokenHash', 'expiresAt'], orderBy: { createdAt: 'desc' } });
  const given = Buffer.from(tokenHash, 'hex');
  const stored = Buffer.from(link?.tokenHash ?? '', 'hex');
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) {
    // Only a link this contract really had is called replaced; the lookup is by a 192-bit token's hash.
    const earlier = link && (await em.count(ContractSignLink, { contractId, tokenHash }));
    return { problem: earlier ? 'replaced' : 'not_valid' };
  }
  const { expiresAt } = link!;
  return expiresAt.getTime() <= Date.now() ? { problem: 'expired', expiresAt } : { expiresAt };
}

export async function signLinkProblem(orm: Orm, contractId: string, tokenHash: string): Promise<SignLinkProblem | undefined> {
  return (await checkSignLink(orm, contractId, tokenHash)).problem;
}

export interface SignLink {
  tokenHash: string;
  token: string | null;
  expiresAt: Date;
}

/** The signing link for a key: the first call's link, whatever the retries (the token is null once it was sent). */
export async function signLinkOnce(
  orm: Orm,
  link: { key: string; contractId: string; tokenHash: string; token: string; expiresAt: string },
): Promise<SignLink> {
  const conn = orm.em.getConnection();
  await conn.execute(
    `insert into contract_sign_links (idempotency_key, contract_id, token_hash, token, expires_at, created_at)
     values (?, ?, ?, ?, ?, now()) on conflict (idempotency_key) do nothing`,
    [link.key, link.contractId, link.tokenHash, link.token, link.expiresAt],
  );
  const [row] = await conn.execute<{ token_hash: string; token: string | null; expires_at: Date }[]>(
    'select token_hash, token, expires_at from contract_sign_links where idempotency_key = ?',
    [link.key],
  );
  return { tokenHash: row!.token_hash, token: row!.token, expiresAt: row!.expires_at };
}

/** Only the hash stays once the link's email is out. */
export async function forgetSignLinkToken(orm: Orm, key: string): Promise<void> {
  await orm.em.getConnection().execute('update contract_sign_links set token = null where idempotency_key = ?', [key]);
}
