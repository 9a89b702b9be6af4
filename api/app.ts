// createApp(deps): the whole HTTP API, with no process concerns (server.ts and runtime/start.ts listen).
import { RequestContext } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { appendAudit } from '../activities/audit.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Actor } from '../workflows/lib/actors.ts';
import { authenticate } from './auth.ts';
import { errorMiddleware, notFound } from './errors.ts';
import { RouteRegistry } from './http.ts';
import { openApiDocument } from './openapi.ts';
import { auditRouter } from './routes/audit.ts';
import { channelsRouter } from './routes/channels.ts';
import { contentRouter } from './routes/content.ts';
import { healthRouter } from './routes/health.ts';
import { operatorsRouter } from './routes/operators.ts';
import { tasksRouter } from './routes/tasks.ts';

export interface AppOptions {
  orm: Orm;
  temporal: Client;
  taskQueue: string;
  /** Deadline of every Temporal call the API makes. */
  temporalDeadlineMs: number;
  publicUrl: string;
  log: Logger;
}

export interface ApiDeps extends AppOptions {
  /** Appends an audit event for an API mutation. */
  audit: (actor: Actor, action: string, entityType: string, entityId: string, details?: Record<string, unknown>, workflowId?: string) => Promise<void>;
}

const ROUTERS = [healthRouter, operatorsRouter, channelsRouter, tasksRouter, contentRouter, auditRouter];

export function createApp(options: AppOptions): Express {
  const deps: ApiDeps = {
    ...options,
    audit: (actor, action, entityType, entityId, details, workflowId) => appendAudit(options.orm, {
      actorType: 'operator', actorId: actor.id, action, entityType, entityId, workflowId: workflowId ?? null, details: details ?? {},
    }),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(pinoHttp({
    logger: options.log,
    autoLogging: { ignore: (req) => req.url === '/health' },
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  }));
  app.use(express.json({ limit: '1mb' }));
  app.use((req, res, next) => RequestContext.create(options.orm.em, next));
  app.use(authenticate(options.orm));

  const registry = new RouteRegistry();
  for (const router of ROUTERS) app.use(router(deps, registry));

  const document = openApiDocument(registry, { version: '0.1.0', serverUrl: options.publicUrl });
  app.get('/openapi.json', (_req, res) => { res.json(document); });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document));
  app.use((req) => { throw notFound(`${req.method} ${req.path}`); });
  app.use(errorMiddleware(options.log));
  return app;
}
