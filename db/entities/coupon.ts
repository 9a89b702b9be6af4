import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Coupons issued by workflows; the idempotency key (workflow id + step) issues one code per step, ever. */
export const Coupon = defineEntity({
  name: 'Coupon',
  tableName: 'coupons',
  properties: {
    code: p.text().primary(),
    idempotencyKey: p.text().unique(),
    customerId: p.uuid().index(),
    purpose: p.text(),
    workflowId: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().nullable(),
    redeemedAt: p.datetime().nullable(),
  },
});
export type Coupon = InferEntity<typeof Coupon>;
