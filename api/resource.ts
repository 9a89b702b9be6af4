// A workflow-backed resource: an item with a read-model row (lists, find or 404) and a workflow holding its live
// state. What the workflow answers is mapped to HTTP by the error middleware (errors.ts), the same for every router:
// an Update validator's ApplicationFailure by its type (403/404/409/422), a finished or forgotten workflow 409, no
// worker before the deadline 504, Temporal unreachable 503 (with Retry-After).
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Router } from 'express';
import type { z } from 'zod';
import type { ApiDeps } from './app.ts';
import { notFound } from './errors.ts';
import type { TemporalCall } from './temporal.ts';
import { defineRoute, type RouteContext, type RouteRegistry, type RouteSpec } from './http.ts';
import { idParams } from './schemas.ts';

/**
 * The workflow's live answer under the API's deadline, shown by `live`; `gone()` once Temporal no longer keeps the
 * workflow (past the namespace's retention): the read model, or a 404 where there is none.
 */
export async function liveOr<S, O>(
  deadline: TemporalCall,
  query: () => Promise<S>,
  live: (state: S) => O | Promise<O>,
  gone: () => O | Promise<O>,
): Promise<O> {
  let state: S;
  try {
    state = await deadline(query);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return gone();
    throw err;
  }
  return live(state);
}

export interface ResourceOptions<Row, State, Out> {
  entity: EntityName<Row>;
  /** Names the item in the 404: 'campaign' answers "campaign was not found". */
  what: string;
  /** The workflow's query for its whole state. */
  state: QueryDefinition<State>;
  /** The answer from the workflow's state (the same shape Updates answer with). */
  present: (row: Row, state: State) => Out | Promise<Out>;
  /** The answer from the row alone, once the workflow's history has expired. */
  archived: (row: Row) => Out | Promise<Out>;
}

/** A route on one item (`/…/:id`): the row is found (or 404) before `run`. */
export type ItemRouteSpec<B extends z.ZodType> = Omit<RouteSpec<typeof idParams, z.ZodType, B>, 'params'>;
export type ItemContext<Row, B extends z.ZodType> = RouteContext<z.infer<typeof idParams>, unknown, z.infer<B>> & { row: Row };

export function workflowResource<Row extends { workflowId: string }, State, Out>(
  { orm, temporal, deadline }: Pick<ApiDeps, 'orm' | 'temporal' | 'deadline'>,
  options: ResourceOptions<Row, State, Out>,
) {
  const handle = (row: Row): WorkflowHandle => temporal.workflow.getHandle(row.workflowId);
  const resource = {
    async find(id: string): Promise<Row> {
      const row = await orm.em.findOne(options.entity, { id } as FilterQuery<Row>);
      if (!row) throw notFound(options.what);
      return row as Row;
    },
    /** The live state only (a PATCH merges into it): a workflow Temporal no longer keeps is a 409 here. */
    state: (row: Row): Promise<State> => deadline(() => handle(row).query(options.state)),
    /** Live state from the workflow, else the read model. */
    read: (row: Row): Promise<Out> =>
      liveOr(
        deadline,
        () => handle(row).query(options.state),
        (s) => options.present(row, s),
        () => options.archived(row),
      ),
    /** An Update under the API's deadline; its validator answers at once and the workflow audits with the actor. */
    update: <Args extends [unknown, ...unknown[]]>(row: Row, update: UpdateDefinition<State, Args>, ...args: Args): Promise<State> =>
      deadline(() => handle(row).executeUpdate(update, { args })),
    /**
     * A route changing one item: find the row (404), `run` checks what the router checks and sends its Update, and
     * the workflow's new state is the answer.
     */
    updateRoute<B extends z.ZodType>(
      router: Router,
      registry: RouteRegistry,
      spec: ItemRouteSpec<B>,
      run: (ctx: ItemContext<Row, B>) => Promise<State>,
    ): void {
      defineRoute(router, registry, { ...spec, params: idParams }, async (ctx) => {
        const row = await resource.find(ctx.params.id);
        return options.present(row, await run({ ...ctx, row }));
      });
    },
  };
  return resource;
}
