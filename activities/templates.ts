// Email templates are code: each takes the data it needs and renders subject, text and html. Each family keeps its
// own in templates/<family>.ts and registers them with its activities in index.ts (names carry their family, so none
// clash).
import { families } from './index.ts';
import type { Rendered, Template, TemplateContext } from './templates/compose.ts';

export { compose, type Rendered, type TemplateContext } from './templates/compose.ts';

type Families = typeof families;
/** Every template's name, from every family. */
export type TemplateName = { [F in keyof Families]: keyof Families[F]['templates'] }[keyof Families];
/** The data the template named T takes. */
export type TemplateData<T extends TemplateName> = {
  [F in keyof Families]: T extends keyof Families[F]['templates']
    ? Families[F]['templates'][T] extends Template<infer D>
      ? D
      : never
    : never;
}[keyof Families];

export function render<T extends TemplateName>(name: T, data: TemplateData<T>, ctx: TemplateContext): Rendered {
  // Looked up when a mail is rendered, not when this file loads: index.ts imports the activities that import it.
  const family = Object.values(families).find((f) => name in f.templates);
  const template = (family?.templates as Record<string, Template<TemplateData<T>>> | undefined)?.[name];
  if (!template) throw new Error(`no email template ${name}`);
  return template(data, ctx);
}
