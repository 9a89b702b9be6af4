import { createHash, randomBytes } from 'node:crypto';

/** Bearer tokens: 32 random bytes; only their SHA-256 is stored (they carry full entropy, so no slow hash is needed). */
export function newToken(): string {
  return `opf_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
