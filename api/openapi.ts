// The OpenAPI 3.1 document, generated from the route declarations' zod schemas (zod's own JSON Schema output).
import { z } from 'zod';
import type { RouteRegistry, RouteSpec } from './http.ts';

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });

function parameters(spec: RouteSpec) {
  const out: object[] = [];
  for (const [where, s] of [['path', spec.params], ['query', spec.query]] as const) {
    if (!s) continue;
    const json = schema(s, 'input') as { properties?: Record<string, object>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: prop });
    }
  }
  return out;
}

const REASONS: Record<number, string> = {
  400: 'Malformed input; `fields` names each bad field', 401: 'No token or a bad token', 403: 'Role or object not allowed',
  404: 'Not found', 409: 'Illegal in the current state', 413: 'Body over 1 MB', 422: 'Well-formed but refused; `fields` names the reason',
  503: 'Temporal or PostgreSQL unavailable', 504: 'No worker answered before the deadline',
};

export function openApiDocument(registry: RouteRegistry, info: { version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, object>> = {};
  for (const spec of registry.routes) {
    const path = spec.path.replace(/:(\w+)/g, '{$1}');
    const success = spec.status ?? (spec.response ? 200 : 204);
    const errors = new Set([
      ...(spec.access === 'public' ? [] : [401]),
      ...(spec.body || spec.query || spec.params ? [400] : []),
      ...(spec.body ? [413] : []),
      ...(spec.errors ?? []),
    ]);
    paths[path] ??= {};
    paths[path]![spec.method] = {
      tags: [spec.tag],
      summary: spec.summary,
      description: spec.access === 'public' ? 'Public.' : `Allowed roles: ${spec.access === 'any' ? 'any operator' : spec.access.join(', ')}.`,
      ...(spec.access === 'public' ? { security: [] } : {}),
      parameters: parameters(spec),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(spec.body, 'input') } } } } : {}),
      responses: {
        [success]: spec.response
          ? { description: 'Success', content: { 'application/json': { schema: schema(spec.response, 'output') } } }
          : { description: 'Success' },
        ...Object.fromEntries([...errors].sort().map((code) => [code, {
          description: REASONS[code] ?? 'Error', content: { 'application/json': { schema: schema(errorBody, 'output') } },
        }])),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'opsflow API', version: info.version, description: 'Operations engine: content review, tasks, operators, audit.' },
    servers: [{ url: info.serverUrl }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
