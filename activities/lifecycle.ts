// Lifecycle side effects: the customers read model and stage history, the policy, coupons.
import { randomBytes } from 'node:crypto';
import { appendAudit } from '../db/audit.ts';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { durationToMs } from '../domain/durations.ts';
import { DEFAULT_LIFECYCLE_POLICY, type LifecyclePolicy, type LifecycleStage, type StageChange } from '../domain/lifecycle.types.ts';

export interface LifecycleSnapshot {
  customerId: string;
  workflowId: string;
  stage: LifecycleStage | null;
  stageSince: string | null;
  /** The customers row keeps the highest version: a late retry never undoes a newer stage. */
  version: number;
  changes: StageChange[];
}

export interface CouponRequest {
  /** Workflow id + step: the same key always answers the same code. */
  idempotencyKey: string;
  customerId: string;
  workflowId: string;
  purpose: string;
  validFor: string;
}

// Unambiguous characters only (no 0/O, 1/I/L).
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export function couponCode(prefix = 'WB'): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `${prefix}-${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export function createLifecycleActivities({ orm }: { orm: Orm }) {
  return {
    /** Writes the stage, the new stage changes and their audit events; every write is idempotent. */
    async saveLifecycle(s: LifecycleSnapshot): Promise<void> {
      const conn = orm.em.getConnection();
      await conn.execute(
        `update customers set stage = ?, stage_since = ?, lifecycle_version = ?, updated_at = now()
         where id = ? and lifecycle_version < ?`, [s.stage, s.stageSince, s.version, s.customerId, s.version]);
      if (s.changes.length > 0) {
        await conn.execute(
          `insert into customer_stage_changes (customer_id, seq, from_stage, to_stage, cause, at)
           select ?, x.seq, x."from", x."to", x.cause, x.at
           from jsonb_to_recordset(?::jsonb) as x(seq int, "from" text, "to" text, cause text, at timestamptz)
           on conflict (customer_id, seq) do nothing`, [s.customerId, JSON.stringify(s.changes)]);
      }
      await Promise.all(s.changes.map((c) => appendAudit(orm, {
        idempotencyKey: `${s.workflowId}:stage:${c.seq}`, actorType: 'workflow', actorId: s.workflowId,
        action: 'customer.stage_changed', entityType: 'customer', entityId: s.customerId, workflowId: s.workflowId,
        details: { from: c.from, to: c.to, cause: c.cause, at: c.at },
      })));
    },

    async loadLifecyclePolicy(): Promise<LifecyclePolicy> {
      return readSetting(orm, SETTINGS.lifecyclePolicy, DEFAULT_LIFECYCLE_POLICY);
    },

    /** One code per key, ever: a retried or replayed call gets the code the first call issued. */
    async issueCoupon(r: CouponRequest): Promise<{ code: string; expiresAt: string | null }> {
      const conn = orm.em.getConnection();
      await conn.execute(
        `insert into coupons (code, idempotency_key, customer_id, purpose, workflow_id, created_at, expires_at)
         values (?, ?, ?, ?, ?, now(), now() + (? * interval '1 millisecond')) on conflict (idempotency_key) do nothing`,
        [couponCode(), r.idempotencyKey, r.customerId, r.purpose, r.workflowId, durationToMs(r.validFor as never)]);
      const [row] = await conn.execute<{ code: string; expires_at: Date | null }[]>(
        'select code, expires_at from coupons where idempotency_key = ?', [r.idempotencyKey]);
      return { code: row!.code, expiresAt: row!.expires_at ? new Date(row!.expires_at).toISOString() : null };
    },
  };
}
