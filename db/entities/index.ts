// Every entity file, listed once: a new family adds its file here, the one list db/ has. A family's file declares its
// entities and its policies' settings keys; the ORM registers every entity these files export (registry.ts) and
// db/settings.ts gathers every settings key into SETTINGS, so neither needs a second list.
export * from './audit-event.ts';
export * from './campaign.ts';
export * from './channel.ts';
export * from './content.ts';
export * from './contract.ts';
export * from './coupon.ts';
export * from './customer.ts';
export * from './customer-event.ts';
export * from './customer-message.ts';
export * from './email-outbox.ts';
export * from './incident.ts';
export * from './message-template.ts';
export * from './metric-point.ts';
export * from './operator.ts';
export * from './partner.ts';
export * from './rfm-run.ts';
export * from './rule.ts';
export * from './session.ts';
export * from './setting.ts';
export * from './stage-change.ts';
export * from './task.ts';
export * from './webhook-delivery.ts';
