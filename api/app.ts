// createApp(deps): the whole HTTP API, with no process concerns (server.ts and start/main.ts listen).
import { RequestContext, type EntityManager } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import { appendAudit } from '../db/audit.ts';
import type { Orm } from '../db/orm.ts';
import { signLinkProblem } from '../db/sign-links.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Actor } from '../domain/actors.ts';
import type { AsyncLocalStorage } from 'node:async_hooks';
import { authenticate } from './auth.ts';
import { consoleFiles } from './console.ts';
import { errorMiddleware, notFound } from './errors.ts';
import { methodNotAllowed } from './methods.ts';
import { installRateLimits, type RateLimits } from './rate-limits.ts';
import { redactUrl } from './redact.ts';
import { hashToken } from './tokens.ts';
import { RouteRegistry } from './http.ts';
import { temporalGate, type TemporalCall } from './temporal.ts';
import { openApiDocument } from './openapi.ts';
import { campaignApprovalPolicy } from './policies/campaign-approval.ts';
import { contractPolicy } from './policies/contract.ts';
import { incidentPolicy } from './policies/incident.ts';
import { lifecyclePolicy } from './policies/lifecycle.ts';
import { messagingPolicy } from './policies/messaging.ts';
import type { PolicyRoute } from './policies/policy.ts';
import { auditRouter } from './routes/audit.ts';
import { authRouter } from './routes/auth.ts';
import { campaignsRouter } from './routes/campaigns.ts';
import { channelsRouter } from './routes/channels.ts';
import { contentRouter } from './routes/content.ts';
import { contractsRouter } from './routes/contracts.ts';
import { customersRouter } from './routes/customers.ts';
import { escalationPoliciesRouter } from './routes/escalation-policies.ts';
import { eventsRouter } from './routes/events.ts';
import { healthRouter } from './routes/health.ts';
import { incidentsRouter } from './routes/incidents.ts';
import { kpisRouter } from './routes/kpis.ts';
import { metricsRouter } from './routes/metrics.ts';
import { operatorsRouter } from './routes/operators.ts';
import { partnersRouter } from './routes/partners.ts';
import { policiesRouter } from './routes/policies.ts';
import { rulesRouter } from './routes/rules.ts';
import { segmentsRouter } from './routes/segments.ts';
import { tasksRouter } from './routes/tasks.ts';
import { templatesRouter } from './routes/templates.ts';
import { unsubscribeRouter } from './routes/unsubscribe.ts';

export interface AppOptions {
  orm: Orm;
  temporal: Client;
  taskQueue: string;
  /** Deadline of every Temporal call the API makes. */
  temporalDeadlineMs: number;
  publicUrl: string;
  log: Logger;
  /** WEBHOOK_ALLOWED_HOSTS: channel URLs to these hosts may be private addresses (none when absent). */
  webhookAllowedHosts?: readonly string[];
  /** Abuse limits (defaults: DEFAULT_RATE_LIMITS). */
  rateLimits?: RateLimits;
  /** Express's 'trust proxy': which proxies' X-Forwarded-For names the client (for the rate limits); none by default. */
  trustProxy?: boolean | number | string;
  /** Sends the console's sign-in links; without it POST /auth/email-link answers 503 (API tokens still sign in). */
  mailer?: Transporter;
  /** The From of the sign-in emails (MAIL_FROM). */
  mailFrom?: string;
  /** How long a console session lasts (SESSION_TTL; 12 hours unless set). */
  sessionTtlMs?: number;
  /** How long an emailed sign-in link works (15 minutes unless set). */
  signInLinkTtlMs?: number;
  /** The console's built files (console/dist unless set). */
  consoleDir?: string;
}

export interface ApiDeps extends AppOptions {
  /**
   * Runs a Temporal call under the API's deadline (or a shorter one): a known-down Temporal answers 503 at once, a
   * stuck call 504 at its deadline; never a hung request.
   */
  deadline: TemporalCall;
  /** Every family's policies (FAMILIES), served by routes/policies.ts. */
  policies: PolicyRoute<{ version: number }>[];
  /** Appends an audit event for an API mutation. */
  audit: (
    actor: Actor,
    action: string,
    entityType: string,
    entityId: string,
    details?: Record<string, unknown>,
    workflowId?: string,
  ) => Promise<void>;
}

/** A family's routers, and the policies it serves at GET and PUT /policies/<name> (declared in api/policies/). */
interface Family {
  routers: ((deps: ApiDeps, registry: RouteRegistry) => Router)[];
  policies?: PolicyRoute<{ version: number }>[];
}

/**
 * Every family, registered once (the foundation's routers first): a new family adds its entry here. Routers are
 * mounted, and documented in the OpenAPI document, in this order; routes/policies.ts serves every family's policies.
 */
const FAMILIES: Family[] = [
  { routers: [healthRouter, authRouter, operatorsRouter, channelsRouter, tasksRouter] },
  { routers: [contentRouter] },
  { routers: [customersRouter, eventsRouter, policiesRouter, unsubscribeRouter], policies: [lifecyclePolicy, messagingPolicy] },
  { routers: [segmentsRouter, kpisRouter] },
  { routers: [campaignsRouter], policies: [campaignApprovalPolicy] },
  { routers: [metricsRouter, rulesRouter, incidentsRouter, escalationPoliciesRouter], policies: [incidentPolicy] },
  { routers: [partnersRouter, contractsRouter], policies: [contractPolicy] },
  { routers: [templatesRouter] },
  { routers: [auditRouter] },
];

/**
 * MikroORM's RequestContext with the request's EntityManager forked on first use, not up front: a fork builds a unit
 * of work and rewrites process.env, and most requests (auth, the workflow-backed mutations) use plain statements only.
 */
class LazyForks extends Map<string, EntityManager> {
  readonly root: EntityManager;
  constructor(root: EntityManager) {
    super();
    this.root = root;
  }
  override get(name: string): EntityManager | undefined {
    let fork = super.get(name);
    if (!fork && name === this.root.name) {
      // Outside the context, as RequestContext.create forks: the new manager resolving its context would come back here.
      fork = contextStorage.exit(() => this.root.fork({ useContext: true }));
      this.set(name, fork);
    }
    return fork;
  }
}
const contextStorage = (RequestContext as unknown as { storage: AsyncLocalStorage<RequestContext> }).storage;
const requestContext =
  (orm: Orm): express.RequestHandler =>
  (_req, _res, next) =>
    contextStorage.run(new RequestContext(new LazyForks(orm.em)), next);

export function createApp(options: AppOptions): Express {
  const deps: ApiDeps = {
    ...options,
    deadline: temporalGate(options.temporal, options.temporalDeadlineMs),
    policies: FAMILIES.flatMap((family) => family.policies ?? []),
    audit: (actor, action, entityType, entityId, details, workflowId) =>
      appendAudit(options.orm, {
        actorType: 'operator',
        actorId: actor.id,
        action,
        entityType,
        entityId,
        workflowId: workflowId ?? null,
        details: details ?? {},
      }),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', options.trustProxy ?? false);
  // Helmet's defaults on every answer, and no page of ours may be framed (clickjacking the unsubscribe button). Not
  // upgrade-insecure-requests: a plain-HTTP deployment (npm start) would have the unsubscribe form post to https.
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { frameAncestors: ["'none'"], upgradeInsecureRequests: null } },
      frameguard: { action: 'deny' },
    }),
  );
  const requestLog = pinoHttp({
    logger: options.log,
    // Probes and the console's hashed assets are not worth a line each.
    autoLogging: { ignore: (req) => req.url === '/health' || (req.url ?? '').startsWith('/assets/') },
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    // One short line per request: who, what, the answer (not every header: a console polling its inbox would log
    // kilobytes a minute). The query is logged within the redacted URL only (its parsed copy would show a ?token=).
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string; headers?: Record<string, string> }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url ?? ''),
        remoteAddress: req.remoteAddress,
        userAgent: req.headers?.['user-agent'],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  });
  // Its lines are at info: below that level it would only build (and serialize) a child logger per request for nothing.
  app.use((req, res, next) => (requestLog.logger.isLevelEnabled('info') ? requestLog(req, res, next) : next()));
  installRateLimits(
    app,
    {
      validSignToken: async (contractId, token) =>
        z.uuid().safeParse(contractId).success && (await signLinkProblem(options.orm, contractId, hashToken(token))) === undefined,
    },
    options.rateLimits,
  );
  // The console's pages and assets need no database or session: served before either.
  app.use(consoleFiles(options.consoleDir));
  app.use(requestContext(options.orm));
  app.use(authenticate(options.orm, { secure: new URL(options.publicUrl).protocol === 'https:' }));

  const registry = new RouteRegistry();
  // Before the routers: a literal path (/operators/me) asked with a method only its parameter sibling takes is 405.
  app.use(methodNotAllowed(registry));
  for (const family of FAMILIES) for (const router of family.routers) app.use(router(deps, registry));

  const document = openApiDocument(registry, { version: '0.1.0', serverUrl: options.publicUrl });
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document));
  app.use((req) => {
    throw notFound(`${req.method} ${req.path}`);
  });
  app.use(errorMiddleware(options.log));
  return app;
}
