// The task-open email: each operator the task is for (its role, or its assignee) who has not turned it off, once per
// task and operator, with a link to the task in the console; and the email to an operator a task is assigned to.
import { setTimeout as sleep } from 'node:timers/promises';
import { activeOperatorsByIds, taskMailRecipients } from '../db/operators.ts';
import { auditSent, deliverOnce, type EmailDeps } from './email.ts';
import { isLeaseHeld } from './ledger.ts';
import { compose } from './templates/compose.ts';

export interface OpenedTask {
  taskId: string;
  workflowId: string;
  title: string;
  candidateRole: string;
  assigneeId: string | null;
  priority: string;
  dueAt: string | null;
  /** Operators not to tell: those who made what the task decides (they may not decide it). */
  skip?: string[];
  /**
   * The round the task belongs to, when its tasks share their emails (an S-tier review's two approvals): each operator
   * gets one mail for the round, keyed by it, from whichever of its tasks' announcements gets there first.
   */
  round?: string;
}

/** Operators have no timezone of their own: a due time in UTC, as people write it (the console shows their own). */
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
const ROLE_ZH: Record<string, string> = {
  admin: '管理员',
  ops_manager: '运营经理',
  reviewer: '审核员',
  legal: '法务',
  oncall: '值班',
  analyst: '分析师',
  ingest: '数据接入',
};
const PRIORITY_ZH: Record<string, string> = { low: '低', normal: '普通', high: '高', urgent: '紧急', critical: '严重' };

export function taskOpenedMail(t: OpenedTask, name: string, publicUrl: string) {
  const url = `${publicUrl.replace(/\/+$/, '')}/console/inbox/${t.taskId}`;
  return compose(`[opsflow] New task / 新任务: ${t.title}`, [
    `Hello ${name},`,
    t.assigneeId ? `A task was assigned to you: "${t.title}".` : `A task opened for the ${t.candidateRole} role: "${t.title}".`,
    `Priority ${t.priority}${t.dueAt ? `, due ${utc(t.dueAt)}` : ''}.`,
    `Open it in the console: ${url}`,
    'You can turn these emails off in the console\'s inbox ("Email me when a task opens").',
    '—',
    `${name}，您好：`,
    t.assigneeId
      ? `有一项任务分配给了您：「${t.title}」。`
      : `${ROLE_ZH[t.candidateRole] ?? t.candidateRole}角色有一项新任务：「${t.title}」。`,
    `优先级：${PRIORITY_ZH[t.priority] ?? t.priority}${t.dueAt ? `，截止时间 ${utc(t.dueAt)}` : ''}。`,
    `在控制台中打开：${url}`,
    '如不想再收到此类邮件，可在控制台的待办页面关闭“任务打开时给我发邮件”。',
  ]);
}

/** The mail to an operator a task was handed to. */
export function taskAssignedMail(t: OpenedTask, name: string, by: string, publicUrl: string) {
  const url = `${publicUrl.replace(/\/+$/, '')}/console/inbox/${t.taskId}`;
  return compose(`[opsflow] Assigned to you / 分配给您: ${t.title}`, [
    `Hello ${name},`,
    `${by} assigned you the task "${t.title}".`,
    `Priority ${t.priority}${t.dueAt ? `, due ${utc(t.dueAt)}` : ''}.`,
    `Open it in the console: ${url}`,
    '—',
    `${name}，您好：`,
    `${by} 将任务「${t.title}」分配给了您。`,
    `优先级：${PRIORITY_ZH[t.priority] ?? t.priority}${t.dueAt ? `，截止时间 ${utc(t.dueAt)}` : ''}。`,
    `在控制台中打开：${url}`,
  ]);
}

/** How long a round's announcement waits for the mails another of its announcements is sending. */
export const ROUND_MAIL_WAIT_MS = 5_000;

export function createTaskMailActivities(deps: EmailDeps) {
  return {
    /**
     * The assignee of a task handed to them, once per task and assignee (a retry or a repeat sends nothing more),
     * unless they turned task emails off.
     */
    async announceAssignment(t: OpenedTask & { assignedBy: string }): Promise<{ sent: number }> {
      const rows = await activeOperatorsByIds(deps.orm, t.assigneeId ?? '', t.assignedBy);
      const assignee = rows.find((r) => r.id === t.assigneeId);
      if (!assignee?.task_emails) return { sent: 0 };
      const by = rows.find((r) => r.id === t.assignedBy)?.name ?? 'An ops manager';
      const key = `${t.workflowId}:task-assigned:${t.taskId}:${assignee.id}`;
      const mail = taskAssignedMail(t, assignee.name, by, deps.publicUrl);
      const result = await deliverOnce(deps, {
        idempotencyKey: key,
        workflowId: t.workflowId,
        template: 'taskAssigned',
        recipients: [assignee.email],
        mail,
      });
      await auditSent(deps.orm, { key, workflowId: t.workflowId, template: 'taskAssigned', subject: mail.subject }, result);
      return { sent: result.status === 'sent' ? 1 : 0 };
    },

    /**
     * One mail per operator, keyed by the workflow, the task and the operator: a retried attempt sends only the mails
     * an earlier attempt did not. Answers how many went out now.
     */
    async announceTask(t: OpenedTask): Promise<{ sent: number; recipients: number }> {
      let sent = 0;
      const operators = await taskMailRecipients(deps.orm, t);
      const announce = async (op: (typeof operators)[number]) => {
        const key = `${t.workflowId}:task-opened:${t.round ?? t.taskId}:${op.id}`;
        const mail = taskOpenedMail(t, op.name, deps.publicUrl);
        const result = await deliverOnce(deps, {
          idempotencyKey: key,
          workflowId: t.workflowId,
          template: 'taskOpened',
          recipients: [op.email],
          mail,
        });
        await auditSent(deps.orm, { key, workflowId: t.workflowId, template: 'taskOpened', subject: mail.subject }, result);
        if (result.status === 'sent') sent += 1;
      };
      const heldByAnother: typeof operators = [];
      for (const op of operators) {
        try {
          await announce(op);
        } catch (err) {
          // Another announcement of the round is sending this operator's mail: asked again once the others are sent.
          if (!(t.round && isLeaseHeld(err))) throw err;
          heldByAnother.push(op);
        }
      }
      // That announcement is usually done within moments (the ledger then answers 'duplicate'). One still holding a
      // mail after ROUND_MAIL_WAIT_MS fails this attempt, which Temporal retries once that lease is out: the mail of an
      // announcement that died holding it is sent by this one, not lost.
      const until = Date.now() + ROUND_MAIL_WAIT_MS;
      for (const op of heldByAnother) {
        for (;;) {
          try {
            await announce(op);
            break;
          } catch (err) {
            if (!isLeaseHeld(err) || Date.now() >= until) throw err;
            await sleep(200);
          }
        }
      }
      return { sent, recipients: operators.length };
    },
  };
}
