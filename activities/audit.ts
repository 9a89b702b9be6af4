import { appendAudit, type AuditInput } from '../db/audit.ts';
import type { Orm } from '../db/orm.ts';

export type { AuditInput } from '../db/audit.ts';

export function createAuditActivities({ orm }: { orm: Orm }) {
  return {
    async recordAudit(event: AuditInput): Promise<void> {
      await appendAudit(orm, event);
    },
  };
}
