// The rule monitor's email.
import { compose, type Template } from './compose.ts';

export const monitorTemplates = {
  ruleFired: ((d: { ruleId: string; name: string; severity: string; metric: string; reason: string; episode: number; at: string }, ctx) =>
    compose(`[opsflow] ${d.severity} rule fired: ${d.name}`, [
      `The rule "${d.name}" on ${d.metric} fired at ${d.at} (episode ${d.episode}).`,
      `Why: ${d.reason}`,
      `The rule, its monitor and the metric's chart: ${ctx.publicUrl}/console/metrics/rules/${d.ruleId}`,
    ])) satisfies Template<never>,
};
