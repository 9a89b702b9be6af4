// Email templates are code: each takes the data it needs and renders subject, text and html. Each family keeps its
// own in templates/<family>.ts; this is the one list that registers them (names carry their family, so none clash).
import { campaignTemplates } from './templates/campaign.ts';
import type { Rendered, Template, TemplateContext } from './templates/compose.ts';
import { contentTemplates } from './templates/content.ts';
import { contractTemplates } from './templates/contract.ts';
import { incidentTemplates } from './templates/incident.ts';
import { monitorTemplates } from './templates/monitor.ts';
import { taskTemplates } from './templates/tasks.ts';

export { compose, type Rendered, type TemplateContext } from './templates/compose.ts';

export const templates = {
  ...taskTemplates,
  ...contentTemplates,
  ...monitorTemplates,
  ...incidentTemplates,
  ...contractTemplates,
  ...campaignTemplates,
};

export type TemplateName = keyof typeof templates;
export type TemplateData<T extends TemplateName> = Parameters<(typeof templates)[T]>[0];

export function render<T extends TemplateName>(name: T, data: TemplateData<T>, ctx: TemplateContext): Rendered {
  const template = templates[name] as Template<TemplateData<T>>;
  return template(data, ctx);
}
