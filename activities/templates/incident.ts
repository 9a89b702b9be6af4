// Incidents' emails: pages, the commander, recovery, the postmortem.
import { compose, type Template } from './compose.ts';

/** What every incident email names. */
interface IncidentMail {
  incidentId: string;
  title: string;
  severity: string;
  service: string | null;
}

export const incidentTemplates = {
  incidentPaged: ((
    d: IncidentMail & { level: number; pass: number; description: string | null; triggeredAt: string; ackDueAt: string | null },
    ctx,
  ) =>
    compose(`[opsflow] ${d.severity} incident: ${d.title}`, [
      `You are paged for a ${d.severity} incident${d.service ? ` on ${d.service}` : ''}: "${d.title}" (level ${d.level}${d.pass > 0 ? `, repeat ${d.pass}` : ''}).`,
      ...(d.description && d.description !== d.title ? [d.description] : []),
      `Triggered at ${d.triggeredAt}.${d.ackDueAt ? ` Acknowledge by ${d.ackDueAt}, or the next level is paged.` : ''}`,
      // The console's incident page: the on-call signs in (it returns there) and acknowledges with one button.
      `Open it and acknowledge: ${ctx.publicUrl}/console/incidents/${d.incidentId}`,
      `With an API token: POST ${ctx.publicUrl}/incidents/${d.incidentId}/ack`,
    ])) satisfies Template<never>,

  incidentCommander: ((d: IncidentMail & { by: string }, ctx) =>
    compose(`[opsflow] You are the commander of ${d.severity} incident: ${d.title}`, [
      `${d.by} made you the commander of the incident "${d.title}".`,
      `${ctx.publicUrl}/console/incidents/${d.incidentId}`,
    ])) satisfies Template<never>,

  incidentRecovered: ((d: IncidentMail, ctx) =>
    compose(`[opsflow] Recovered: ${d.title}`, [
      `The rule that opened the ${d.severity} incident "${d.title}" has recovered.`,
      `If the cause is dealt with, resolve it: ${ctx.publicUrl}/console/incidents/${d.incidentId}`,
    ])) satisfies Template<never>,

  postmortemRequested: ((d: IncidentMail & { taskId: string; dueAt: string }, ctx) =>
    compose(`[opsflow] Postmortem due ${d.dueAt.slice(0, 10)}: ${d.title}`, [
      `The ${d.severity} incident "${d.title}" is resolved. Its postmortem is due by ${d.dueAt}.`,
      `Write it in the console: ${ctx.publicUrl}/console/inbox/${d.taskId}`,
      `With an API token: POST ${ctx.publicUrl}/incidents/${d.incidentId}/postmortem {summary, rootCause, actionItems}`,
    ])) satisfies Template<never>,

  postmortemOverdue: ((d: IncidentMail & { taskId: string; dueAt: string }, ctx) =>
    compose(`[opsflow] Overdue postmortem: ${d.title}`, [
      `The postmortem of the ${d.severity} incident "${d.title}" was due at ${d.dueAt} and is not done yet.`,
      `Submit it: POST ${ctx.publicUrl}/incidents/${d.incidentId}/postmortem`,
    ])) satisfies Template<never>,
};
