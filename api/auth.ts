import type { RequestHandler } from 'express';
import type { Orm } from '../db/orm.ts';
import type { Actor, Role } from '../workflows/lib/actors.ts';
import { toHttpError, unauthorized } from './errors.ts';
import { hashToken } from './tokens.ts';

/**
 * Resolves `Authorization: Bearer <token>` to the operator in `res.locals.actor`. A missing, malformed, unknown or
 * disabled token leaves no actor: public routes (health, docs) still answer, every other route answers 401 with the
 * reason kept in `res.locals.authError`.
 */
export function authenticate(orm: Orm): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.locals.tokenRefused = true;
      res.locals.authError = unauthorized('the Authorization header must be "Bearer <token>"');
      return next();
    }
    // A plain indexed select: this runs on every request, and the actor needs no tracked entity.
    let operator: { id: string; name: string; roles: Role[] } | undefined;
    try {
      [operator] = await orm.em.getConnection().execute<{ id: string; name: string; roles: Role[] }[]>(
        'select id, name, roles from operators where token_hash = ? and not disabled', [hashToken(match[1]!)]);
    } catch (err) {
      // The database is down: public routes (health) still answer; every other route answers 503, not 500.
      res.locals.authError = toHttpError(err) ?? err;
      return next();
    }
    if (!operator) {
      res.locals.tokenRefused = true;
      res.locals.authError = unauthorized('the token is not valid');
      return next();
    }
    const actor: Actor = { id: operator.id, name: operator.name, roles: operator.roles };
    res.locals.actor = actor;
    next();
  };
}
