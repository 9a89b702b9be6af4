import type { RequestHandler } from 'express';
import { HttpError } from './errors.ts';
import type { RouteRegistry } from './http.ts';

interface Shape {
  pattern: RegExp;
  /** 0 for a literal segment, 1 for a parameter: the lower, position by position, the more specific. */
  rank: number[];
  methods: Set<string>;
}

function shapes(registry: RouteRegistry): Shape[] {
  const byPattern = new Map<string, Shape>();
  for (const r of registry.routes) {
    const segments = r.path.split('/').filter(Boolean);
    // Express matches paths case-insensitively and with or without a trailing slash.
    const source = `^/${segments.map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`;
    const shape = byPattern.get(source) ?? {
      pattern: new RegExp(source, 'i'),
      rank: segments.map((s) => (s.startsWith(':') ? 1 : 0)),
      methods: new Set<string>(),
    };
    shape.methods.add(r.method.toUpperCase());
    if (r.method === 'get') shape.methods.add('HEAD');
    byPattern.set(source, shape);
  }
  return [...byPattern.values()];
}

const compareRank = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
};

/**
 * A known path asked with a method it does not take: 405 with the methods it does (RFC 9110), not a 404 or a 400.
 * A literal segment wins over a parameter: `/operators/me` takes GET only, so PATCH /operators/me is 405 even though
 * PATCH /operators/:id exists (which would answer 400, "me" not being an id). Mount it before the routers.
 */
export function methodNotAllowed(registry: RouteRegistry): RequestHandler {
  let known: Shape[] = [];
  let seen = -1;
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    if (seen !== registry.routes.length) {
      known = shapes(registry);
      seen = registry.routes.length;
    }
    const matching = known.filter((s) => s.pattern.test(req.path));
    if (matching.length === 0) return next();
    const best = matching.reduce((a, b) => (compareRank(a.rank, b.rank) <= 0 ? a : b));
    if (best.methods.has(req.method)) return next();
    const allowed = [...best.methods].join(', ');
    res.set('Allow', allowed);
    throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${allowed}`);
  };
}
