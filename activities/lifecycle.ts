// Lifecycle side effects: the customers read model and stage history, the policy, coupons.
import { randomBytes } from 'node:crypto';
import { appendAudit } from '../db/audit.ts';
import { couponOnce, recordStageChanges, saveCustomerStage } from '../db/customers.ts';
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
      await saveCustomerStage(orm, s);
      await recordStageChanges(orm, s.customerId, s.changes);
      await Promise.all(
        s.changes.map((c) =>
          appendAudit(orm, {
            idempotencyKey: `${s.workflowId}:stage:${c.seq}`,
            actorType: 'workflow',
            actorId: s.workflowId,
            action: 'customer.stage_changed',
            entityType: 'customer',
            entityId: s.customerId,
            workflowId: s.workflowId,
            details: { from: c.from, to: c.to, cause: c.cause, at: c.at },
          }),
        ),
      );
    },

    async loadLifecyclePolicy(): Promise<LifecyclePolicy> {
      return readSetting(orm, SETTINGS.lifecyclePolicy, DEFAULT_LIFECYCLE_POLICY);
    },

    /** One code per key, ever: a retried or replayed call gets the code the first call issued. */
    async issueCoupon(r: CouponRequest): Promise<{ code: string; expiresAt: string | null }> {
      return couponOnce(orm, {
        code: couponCode(),
        idempotencyKey: r.idempotencyKey,
        customerId: r.customerId,
        purpose: r.purpose,
        workflowId: r.workflowId,
        validForMs: durationToMs(r.validFor as never),
      });
    },
  };
}
