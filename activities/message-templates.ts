// The template review's one side effect: its outcome in PostgreSQL (an approval makes the version live).
import { decideTemplateVersion } from '../db/message-templates.ts';
import type { Orm } from '../db/orm.ts';

export function createTemplateActivities({ orm }: { orm: Orm }) {
  return {
    /** Idempotent: a retry finds the version no longer in review and changes nothing. */
    async recordTemplateDecision(args: {
      versionId: string;
      status: 'approved' | 'rejected' | 'withdrawn';
      by: string | null;
      comment: string | null;
    }): Promise<void> {
      await decideTemplateVersion(orm, args.versionId, args.status, args.by, args.comment);
    },
  };
}
