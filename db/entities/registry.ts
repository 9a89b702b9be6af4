import { EntitySchema } from '@mikro-orm/core';
import * as model from './index.ts';

const exported: unknown[] = Object.values(model);

/** Every entity index.ts exports, registered explicitly with the ORM (no folder discovery). */
export const entities = exported.filter((value): value is EntitySchema => value instanceof EntitySchema);
