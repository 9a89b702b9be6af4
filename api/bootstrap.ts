import { randomUUID } from 'node:crypto';
import { appendAudit } from '../db/audit.ts';
import { Operator } from '../db/entities/index.ts';
import { migrate, type Orm } from '../db/orm.ts';
import type { Logger } from '../runtime/logger.ts';
import { hashToken, newToken } from './tokens.ts';

export const BOOTSTRAP_ADMIN_EMAIL = 'admin@opsflow.local';

/**
 * The first admin. OPSFLOW_ADMIN_TOKEN, when given, is that admin's token, set again on every start so the variable
 * stays authoritative (it also restores that admin if it was disabled or demoted). Without it a token is generated
 * on first start and returned once to be printed.
 */
export async function ensureAdmin(orm: Orm, configured?: string): Promise<{ token?: string; created: boolean }> {
  const em = orm.em.fork();
  const existing = await em.findOne(Operator, { email: BOOTSTRAP_ADMIN_EMAIL });
  if (existing) {
    // The variable is authoritative: it also gives a locked-out first admin back its access.
    if (configured && (existing.tokenHash !== hashToken(configured) || existing.disabled || !existing.roles.includes('admin'))) {
      existing.tokenHash = hashToken(configured);
      existing.disabled = false;
      if (!existing.roles.includes('admin')) existing.roles = [...existing.roles, 'admin'];
      await em.flush();
      await appendAudit(orm, {
        actorType: 'system',
        actorId: null,
        action: 'operator.token_set_from_env',
        entityType: 'operator',
        entityId: existing.id,
      });
    }
    return { created: false };
  }
  const token = configured ?? newToken();
  const admin = em.create(Operator, {
    id: randomUUID(),
    name: 'Administrator',
    email: BOOTSTRAP_ADMIN_EMAIL,
    roles: ['admin'],
    tokenHash: hashToken(token),
    disabled: false,
  });
  await em.flush();
  await appendAudit(orm, {
    actorType: 'system',
    actorId: null,
    action: 'operator.bootstrap_admin',
    entityType: 'operator',
    entityId: admin.id,
  });
  return { created: true, ...(configured ? {} : { token }) };
}

/** Start-up of every process that serves the API: pending migrations, then the first admin. */
export async function prepareDatabase(orm: Orm, adminToken: string | undefined, log: Logger) {
  const applied = await migrate(orm);
  if (applied.length) log.info({ applied }, 'migrations applied');
  return ensureAdmin(orm, adminToken);
}
