import { saveTaskRow } from '../db/tasks.ts';
import type { Orm } from '../db/orm.ts';
import type { TaskView } from '../workflows/lib/tasks.ts';

export function createTaskActivities({ orm }: { orm: Orm }) {
  return {
    /** Upserts the inbox row; a write carrying an older version than the stored one changes nothing. */
    async saveTask(t: TaskView): Promise<void> {
      await saveTaskRow(orm, t);
    },
  };
}
