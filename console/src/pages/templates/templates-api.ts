// The templates API's shapes (from the generated schema) and the reads the pages share: the list, a page of versions,
// one version by its number (versions of a message and locale are numbered 1, 2, 3 … newest first, so version n sits
// at offset latest - n), and a refusal that keeps the API's field messages by part (html, subject …).
import { api, unwrap, unwrapWithFields as unwrapFields, type Answer, type Session } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';

type Json<T> = T extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;
type Created<T> = T extends { responses: { 201: { content: { 'application/json': infer B } } } } ? B : never;

export type TemplateList = Json<paths['/templates']['get']>;
export type TemplateItem = TemplateList['items'][number];
export type LocaleSummary = TemplateItem['locales'][number];
export type MessageKey = TemplateItem['key'];
export type VersionPage = Json<paths['/templates/{key}/{locale}/versions']['get']>;
export type Version = VersionPage['items'][number];
export type VersionStatus = Version['status'];
export type NamedVersion = Json<paths['/template-versions/{id}']['get']>;
export type RenderBody = paths['/templates/{key}/preview']['post']['requestBody']['content']['application/json'];
export type Rendered = Json<paths['/templates/{key}/preview']['post']>;
export type TestSent = Json<paths['/templates/{key}/test-send']['post']>;
export type SaveBody = paths['/templates/{key}/{locale}/versions']['post']['requestBody']['content']['application/json'];
export type Saved = Created<paths['/templates/{key}/{locale}/versions']['post']>;
export type CustomerPage = Json<paths['/customers']['get']>;

/** The parts an operator writes, as the editor holds them (empty preheader and text: none, the text generated). */
export interface Draft {
  senderName: string;
  subject: string;
  preheader: string;
  html: string;
  text: string;
  note: string;
}
export type Part = Exclude<keyof Draft, 'note'>;
export const PARTS: readonly Part[] = ['senderName', 'subject', 'preheader', 'html', 'text'];

export const MESSAGE_KEYS: readonly MessageKey[] = [
  'welcome',
  'tips',
  'nudge',
  'summary',
  'winBack',
  'unsubscribeConfirmation',
  'campaign',
  'contractSignLink',
  'contractActivated',
  'contractTerminated',
];
export const isMessageKey = (value: string): value is MessageKey => (MESSAGE_KEYS as readonly string[]).includes(value);

export const draftOf = (v: Pick<Version, Part | 'note'> | null): Draft => ({
  senderName: v?.senderName ?? '',
  subject: v?.subject ?? '',
  preheader: v?.preheader ?? '',
  html: v?.html ?? '',
  text: v?.text ?? '',
  note: '',
});

export const sourceOf = (d: Draft): NonNullable<RenderBody['source']> => ({
  senderName: d.senderName,
  subject: d.subject,
  preheader: d.preheader.trim() ? d.preheader : null,
  html: d.html,
  text: d.text.trim() ? d.text : null,
});

export const keys = {
  all: ['templates'] as const,
  list: ['templates', 'list'] as const,
  versions: (key: string, locale: string) => ['templates', 'versions', key, locale] as const,
  version: (id: string) => ['templates', 'version', id] as const,
};

export async function getTemplates(): Promise<TemplateList> {
  return unwrap(await api.GET('/templates'));
}

export async function getVersions(key: MessageKey, locale: string, limit: number, offset: number): Promise<VersionPage> {
  return unwrap(await api.GET('/templates/{key}/{locale}/versions', { params: { path: { key, locale }, query: { limit, offset } } }));
}

export async function getVersion(id: string): Promise<NamedVersion> {
  return unwrap(await api.GET('/template-versions/{id}', { params: { path: { id } } }));
}

/** Version `n` of a message in a locale, when the newest is `latest`: one row, whatever the history's length. */
export async function versionByNumber(key: MessageKey, locale: string, n: number, latest: number): Promise<Version | null> {
  if (n < 1 || n > latest) return null;
  const page = await getVersions(key, locale, 1, latest - n);
  const found = page.items[0];
  return found && found.version === n ? found : null;
}

/** The live version of a message in a locale (null: none yet in that locale). */
export async function liveVersion(key: MessageKey, locale: string, list: TemplateList): Promise<Version | null> {
  const summary = list.items.find((i) => i.key === key)?.locales.find((l) => l.locale === locale);
  if (!summary || summary.liveVersion === null) return null;
  return versionByNumber(key, locale, summary.liveVersion, summary.latestVersion);
}

export { FieldRefusal } from '../../api/client.ts';

/** A refusal's field messages by the part they belong to: 'source.html' (a preview) and 'html' (a save) both to the HTML box. */
export const unwrapWithFields = <T>(result: Answer<T>): T =>
  unwrapFields(result, (field) => field.replace(/^source\./, '').split(/[[.]/)[0] || 'body');

/** Ops managers and admins write versions, make them live and test-send; the API decides. */
export const canWrite = (session: Session): boolean =>
  session.operator.roles.includes('admin') || session.operator.roles.includes('ops_manager');

/** Who a version's author or reviewer is, in words: you, their name, or opsflow (shipped). */
export function personName(id: string | null, people: Record<string, string>, me: string, words: PeopleWords): string {
  if (id === null) return words.shipped;
  const name = people[id] ?? words.unknown;
  return id === me ? words.you(name) : name;
}
export interface PeopleWords {
  you: (name: string) => string;
  shipped: string;
  unknown: string;
}

/** A locale's name in the console's language: 中文（中国） or Chinese (China); the tag itself when unknown. */
export function localeName(locale: string, language: string): string {
  try {
    return new Intl.DisplayNames([language], { type: 'language' }).of(locale) ?? locale;
  } catch {
    return locale;
  }
}
