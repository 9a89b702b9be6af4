// The partner's signing token against the newest link stored for a contract (its hash and expiry, written when the
// link was issued), compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import { ContractSignLink } from './entities/index.ts';
import type { Orm } from './orm.ts';

/** replaced: an earlier link of this contract (a newer one was sent); not_valid: no link of this contract. */
export type SignLinkProblem = 'not_valid' | 'replaced' | 'expired';
/** The link's expiry when the token is the contract's newest (even if expired: a used link still says so). */
export interface SignLinkCheck { problem?: SignLinkProblem; expiresAt?: Date }

export async function checkSignLink(orm: Orm, contractId: string, tokenHash: string): Promise<SignLinkCheck> {
  const em = orm.em.fork();
  const link = await em.findOne(ContractSignLink, { contractId }, { fields: ['tokenHash', 'expiresAt'], orderBy: { createdAt: 'desc' } });
  const given = Buffer.from(tokenHash, 'hex');
  const stored = Buffer.from(link?.tokenHash ?? '', 'hex');
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) {
    // Only a link this contract really had is called replaced; the lookup is by a 192-bit token's hash.
    const earlier = link && await em.count(ContractSignLink, { contractId, tokenHash });
    return { problem: earlier ? 'replaced' : 'not_valid' };
  }
  const { expiresAt } = link!;
  return expiresAt.getTime() <= Date.now() ? { problem: 'expired', expiresAt } : { expiresAt };
}

export async function signLinkProblem(orm: Orm, contractId: string, tokenHash: string): Promise<SignLinkProblem | undefined> {
  return (await checkSignLink(orm, contractId, tokenHash)).problem;
}
