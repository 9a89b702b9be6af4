// The OpenAPI 3.1 document, generated from the route declarations' zod schemas (zod's own JSON Schema output).
import { z } from 'zod';
import { DEFAULT_BODY_LIMIT, type RouteRegistry, type RouteSpec } from './http.ts';

/** What a route answers that its RouteSpec cannot say: HTML pages instead of JSON, a form body it accepts. */
export interface RouteDoc {
  /** Statuses answered with an HTML page, and what each page tells the reader. */
  pages?: Record<number, string>;
  /** A form body the route accepts (and may ignore), sent as application/x-www-form-urlencoded or multipart/form-data. */
  form?: z.ZodType;
}

/** `defineRoute(router, registry, documented({...spec}, {pages}), handler)`: the spec with its document-only details. */
export function documented<S extends RouteSpec>(spec: S, doc: RouteDoc): S {
  return Object.assign(spec, { doc });
}

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z
      .array(
        z.object({
          field: z.string(),
          message: z.string().describe('in English'),
          code: z
            .string()
            .optional()
            .describe(
              "what is wrong, for a client that says it in its own words: a check's code (too_small, too_big, invalid_type, invalid_format, invalid_value, unrecognized_keys) or a refusal's own (in_past, not_after, over_budget)",
            ),
          params: z
            .record(z.string(), z.unknown())
            .optional()
            .describe('its figures: origin (string, number, array), minimum, maximum, inclusive, format, values, keys, missing, other'),
        }),
      )
      .optional(),
  }),
});

/**
 * Ids that the derivation below would word badly ('postUnsubscribe', 'createEvent' for a batch). Keyed by method
 * and documented path; a test checks that each names a route.
 */
export const OPERATION_IDS: Record<string, string> = {
  'get /operators/me': 'getCurrentOperator',
  'post /operators/{id}/token': 'rotateOperatorToken',
  'post /customers': 'upsertCustomers',
  'post /events': 'recordEvents',
  'post /metrics': 'pushMetricPoints',
  'post /segments/rfm-runs': 'startRfmRun',
  'get /segments/rfm-runs/{runId}': 'getRfmRun',
  'post /incidents': 'openIncident',
  'get /incidents/stats': 'getIncidentStats',
  'post /incidents/{id}/commander': 'handOverIncidentCommand',
  'post /incidents/{id}/postmortem': 'submitIncidentPostmortem',
  'get /audit': 'listAuditEvents',
  'get /content': 'listContent',
  'get /unsubscribe/{token}': 'getUnsubscribePage',
  'post /unsubscribe/{token}': 'unsubscribeByLink',
  'post /auth/email-link': 'requestSignInLink',
  'post /auth/sessions': 'signIn',
  'get /auth/session': 'getSession',
  'delete /auth/session': 'signOut',
};

// Words that are not collections of items; everything else ending in s is a plural.
const MASS_NOUNS = new Set(['content', 'stats', 'kpis', 'audit', 'health', 'lifecycle']);
const isParam = (segment: string) => segment.startsWith('{');
const isPlural = (word: string) => !MASS_NOUNS.has(word) && word.endsWith('s');
const singular = (word: string) => (!isPlural(word) ? word : word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.slice(0, -1));
const pascal = (word: string) =>
  word
    .split(/[-_]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/**
 * A readable, stable camelCase id from the method and the path: `GET /campaigns` listCampaigns, `GET /campaigns/{id}`
 * getCampaign, `PATCH /campaigns/{id}` updateCampaign, `POST /tasks/{id}/complete` completeTask, `POST
 * /content/{id}/revisions` createContentRevision, `PUT /policies/lifecycle` setLifecyclePolicy.
 */
export function operationId(method: RouteSpec['method'], path: string): string {
  const known = OPERATION_IDS[`${method} ${path}`];
  if (known) return known;
  const segments = path.split('/').filter(Boolean);
  // A collection followed by an id names one of its items.
  const nouns = segments.flatMap((s, i) => (isParam(s) ? [] : [isParam(segments[i + 1] ?? '') ? singular(s) : s]));
  const last = segments.at(-1)!;
  const verbs = { get: 'get', put: 'set', patch: 'update', delete: 'delete', post: 'create' } as const;
  let verb: string = verbs[method];
  if (isParam(last)) {
    // An item: getCampaign, updateCampaign, deleteRule.
  } else if (segments.length === 2 && !isParam(segments[0]!) && method !== 'post') {
    // A named item of a collection: /policies/lifecycle is the lifecycle policy.
    nouns.splice(0, 2, singular(last), singular(segments[0]!));
  } else if (method === 'post' && isPlural(last)) {
    // Adding to a collection: createCampaign, createContentRevision.
    nouns.splice(-1, 1, singular(last));
  } else if (method === 'post' && segments.length > 1) {
    // An action on an item or a collection: completeTask, scorePartners.
    verb = last;
    nouns.pop();
  } else if (method === 'get' && isPlural(last)) {
    verb = 'list';
  }
  const id = [verb, ...nouns].map(pascal).join('');
  return id.charAt(0).toLowerCase() + id.slice(1);
}

/**
 * zod's JSON Schema without what OpenAPI tools stumble on: each schema's own `$schema` (the document sets the
 * dialect), and a record over an enum written as `propertyNames` + `required` with no `properties` (redocly's
 * no-required-schema-properties-undefined; client generators make a free-form map of it), written as properties.
 */
function schema(s: z.ZodType, io: 'input' | 'output'): object {
  const json = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return tidy(json) as object;
}

function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, tidy(v)])) as Record<string, unknown>;
  const keys = (out.propertyNames as { enum?: unknown[] } | undefined)?.enum;
  if (keys && !out.properties && out.additionalProperties && typeof out.additionalProperties === 'object') {
    out.properties = Object.fromEntries(keys.map((k) => [String(k), out.additionalProperties]));
    out.additionalProperties = false;
    delete out.propertyNames;
  }
  return out;
}

/** A PATCH changes at least one field: every PATCH route answers 400 to `{}` (mergePatch, or its own refinement). */
function bodySchema(spec: RouteSpec): object {
  const json = schema(spec.body!, 'input') as { type?: string; minProperties?: number };
  return spec.method === 'patch' && json.type === 'object' ? { ...json, minProperties: json.minProperties ?? 1 } : json;
}

function parameters(spec: RouteSpec) {
  const out: object[] = [];
  for (const [where, s] of [
    ['path', spec.params],
    ['query', spec.query],
  ] as const) {
    if (!s) continue;
    const json = schema(s, 'input') as { properties?: Record<string, object>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: prop });
    }
  }
  return out;
}

/** '1mb' as people read it: '1 MB'. */
const readableSize = (limit: string) =>
  limit.replace(/^(\d+(?:\.\d+)?)\s*([kmg]?b)$/i, (_, n: string, unit: string) => `${n} ${unit.toUpperCase()}`);

function reason(code: number, spec: RouteSpec): string {
  switch (code) {
    case 400:
      return 'Malformed input; `fields` names each bad field';
    case 401:
      return 'No token or a bad token';
    case 403:
      return Array.isArray(spec.access)
        ? `The caller has none of the roles ${spec.access.join(', ')}${spec.errors?.includes(403) ? ', or may not act on this item' : ''}`
        : 'The caller may not act on this item';
    case 404:
      return 'Not found';
    case 409:
      return 'Illegal in the current state';
    case 413:
      return `The body is over ${readableSize(spec.bodyLimit ?? DEFAULT_BODY_LIMIT)}, this route's limit`;
    case 422:
      return 'Well-formed but refused; `fields` names the reason';
    case 429:
      return 'Too many failed attempts from this client (bad bearer tokens; on some routes refused tokens or unknown links); try again after `Retry-After` seconds';
    case 503:
      return 'Temporal or PostgreSQL unavailable; try again after `Retry-After` seconds';
    case 504:
      return 'No worker answered before the deadline; read the item again before retrying';
    default:
      return 'Error';
  }
}

const documentedPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const ref = (kind: 'schemas' | 'headers', name: string) => ({ $ref: `#/components/${kind}/${name}` });
const html = { 'text/html': { schema: { type: 'string' } } };

function operation(spec: RouteSpec) {
  const doc = (spec as RouteSpec & { doc?: RouteDoc }).doc ?? {};
  const pages = doc.pages ?? {};
  const pageStatuses = Object.keys(pages).map(Number);
  const success = spec.status ?? pageStatuses.find((s) => s < 300) ?? (spec.response ? 200 : 204);
  const errors = new Set([
    ...(spec.access === 'public' ? [] : [401]),
    ...(Array.isArray(spec.access) ? [403] : []),
    ...(spec.body || spec.query || spec.params ? [400] : []),
    ...(spec.body ? [413] : []),
    // Every route reads PostgreSQL (authentication does, before any handler), so every route can be unavailable;
    // and a client sending bad bearer tokens is limited on every route (api/rate-limits.ts).
    429,
    503,
    ...(spec.errors ?? []),
    ...pageStatuses.filter((s) => s >= 300),
  ]);
  const body = spec.body
    ? { 'application/json': { schema: bodySchema(spec) } }
    : doc.form
      ? {
          'application/x-www-form-urlencoded': { schema: schema(doc.form, 'input') },
          'multipart/form-data': { schema: schema(doc.form, 'input') },
        }
      : undefined;
  return {
    operationId: operationId(spec.method, documentedPath(spec.path)),
    tags: [spec.tag],
    summary: spec.summary,
    description:
      spec.access === 'public' ? 'Public.' : `Allowed roles: ${spec.access === 'any' ? 'any operator' : spec.access.join(', ')}.`,
    ...(spec.access === 'public' ? { security: [] } : {}),
    parameters: parameters(spec),
    ...(body ? { requestBody: { required: !!spec.body, content: body } } : {}),
    responses: {
      [success]: pages[success]
        ? { description: pages[success], content: html }
        : spec.response
          ? { description: 'Success', content: { 'application/json': { schema: schema(spec.response, 'output') } } }
          : { description: 'Success' },
      ...Object.fromEntries(
        [...errors].sort().map((code) => [
          code,
          {
            description: pages[code] ?? reason(code, spec),
            ...(code === 503 ? { headers: { 'Retry-After': ref('headers', 'Retry-After') } } : {}),
            ...(code === 429
              ? { headers: Object.fromEntries(['Retry-After', 'RateLimit', 'RateLimit-Policy'].map((h) => [h, ref('headers', h)])) }
              : {}),
            content: pages[code]
              ? html
              : {
                  'application/json': {
                    schema: spec.errorBodies?.[code] ? schema(spec.errorBodies[code], 'output') : ref('schemas', 'Error'),
                  },
                },
          },
        ]),
      ),
    },
  };
}

export function openApiDocument(registry: RouteRegistry, info: { version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, object>> = {};
  for (const spec of registry.routes) {
    const path = documentedPath(spec.path);
    paths[path] ??= {};
    paths[path]![spec.method] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'opsflow API',
      version: info.version,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      description: 'Operations engine: content review, campaigns, customer lifecycle, incidents, partner contracts.',
    },
    servers: [{ url: info.serverUrl }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        // The console's session (POST /auth/sessions); its writes also send X-CSRF-Token.
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'opsflow_session',
          description: 'The console session cookie; writes with it need the X-CSRF-Token header from the session.',
        },
      },
      schemas: { Error: schema(errorBody, 'output') },
      headers: {
        'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
        // IETF draft-ietf-httpapi-ratelimit-headers-08, as express-rate-limit sends them.
        RateLimit: {
          description: 'The limit that was hit: its name, remaining requests (`r`) and seconds until reset (`t`)',
          schema: { type: 'string' },
          example: '"requests with a bad bearer token";r=0;t=540',
        },
        'RateLimit-Policy': {
          description: 'The limit: requests allowed (`q`) per window of `w` seconds',
          schema: { type: 'string' },
          example: '"requests with a bad bearer token";q=30;w=600',
        },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
