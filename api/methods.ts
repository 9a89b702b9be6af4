import type { RequestHandler } from 'express';
import { HttpError } from './errors.ts';
import type { RouteRegistry } from './http.ts';

/** A known path asked with a method it does not take: 405 with the methods it does (RFC 9110), not a 404. */
export function methodNotAllowed(registry: RouteRegistry): RequestHandler {
  const paths = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const r of registry.routes) {
    const entry = paths.get(r.path) ?? { pattern: new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}/?$`), methods: new Set<string>() };
    entry.methods.add(r.method.toUpperCase());
    if (r.method === 'get') entry.methods.add('HEAD');
    paths.set(r.path, entry);
  }
  return (req, res, next) => {
    const allowed = [...paths.values()].filter((p) => p.pattern.test(req.path)).flatMap((p) => [...p.methods]);
    if (allowed.length === 0 || allowed.includes(req.method)) return next();
    res.set('Allow', [...new Set(allowed)].join(', '));
    throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${[...new Set(allowed)].join(', ')}`);
  };
}
