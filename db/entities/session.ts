import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * One-time sign-in links for the console: only the hash of the emailed token is kept, one per operator (a new link
 * replaces the older one). Used links stay until replaced, so a second use can be told apart from a forgery.
 */
export const SignInLink = defineEntity({
  name: 'SignInLink',
  tableName: 'sign_in_links',
  properties: {
    operatorId: p.uuid().primary(),
    tokenHash: p.text().unique(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type SignInLink = InferEntity<typeof SignInLink>;

/** Console sessions: the cookie's value is known by its hash only; the CSRF token is sent back to the console. */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: p.uuid().primary(),
    tokenHash: p.text().unique(),
    operatorId: p.uuid().index(),
    csrfToken: p.text(),
    /** How the operator signed in: 'link' or 'token'. */
    method: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime(),
    lastSeenAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
  },
});
export type Session = InferEntity<typeof Session>;
