import { AuditEvent } from './audit-event.ts';
import { Channel } from './channel.ts';
import { Content } from './content.ts';
import { EmailOutbox } from './email-outbox.ts';
import { Operator } from './operator.ts';
import { Task } from './task.ts';
import { WebhookDelivery } from './webhook-delivery.ts';

export { AuditEvent, Channel, Content, EmailOutbox, Operator, Task, WebhookDelivery };

/** Every entity, registered explicitly (no folder discovery). */
export const entities = [AuditEvent, Channel, Content, EmailOutbox, Operator, Task, WebhookDelivery];
