// The partner's signing token against the newest link stored for a contract (its hash and expiry, written when the
// link was issued), compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import { ContractSignLink } from './entities/index.ts';
import type { Orm } from './orm.ts';

export type SignLinkProblem = 'not_valid' | 'expired';

export async function signLinkProblem(orm: Orm, contractId: string, tokenHash: string): Promise<SignLinkProblem | undefined> {
  const link = await orm.em.fork().findOne(ContractSignLink, { contractId }, { fields: ['tokenHash', 'expiresAt'], orderBy: { createdAt: 'desc' } });
  const given = Buffer.from(tokenHash, 'hex');
  const stored = Buffer.from(link?.tokenHash ?? '', 'hex');
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return 'not_valid';
  return link!.expiresAt.getTime() <= Date.now() ? 'expired' : undefined;
}
