// Message templates in PostgreSQL: versions per message and locale (immutable once written, reviewed through the task
// inbox), the live version per message and locale, and the lookup a send makes: the customer's locale, else the
// platform's default, else whatever locale the message has, never a blank.
import { randomUUID } from 'node:crypto';
import { DEFAULT_TEMPLATES, DEFAULT_LOCALES } from '../domain/message-templates.defaults.ts';
import { MESSAGE_KEYS, type MessageKey, type TemplateSource } from '../domain/message-templates.ts';
import type { TemplateVersionStatus } from './entities/message-template.ts';
import type { Orm } from './orm.ts';
import { transaction, type Query } from './sql.ts';

export interface TemplateVersionRow extends TemplateSource {
  id: string;
  key: MessageKey;
  locale: string;
  version: number;
  note: string | null;
  status: TemplateVersionStatus;
  authorId: string | null;
  createdAt: string;
  reviewedBy: string | null;
  reviewedAt: string | null;
  reviewComment: string | null;
  live: boolean;
}

const COLUMNS = `v.id, v.key, v.locale, v.version, v.sender_name as "senderName", v.subject, v.preheader, v.html, v.text, v.note,
  v.status, v.author_id as "authorId", v.created_at as "createdAt", v.reviewed_by as "reviewedBy", v.reviewed_at as "reviewedAt",
  v.review_comment as "reviewComment", (l.version_id is not null) as live`;
const FROM = 'message_template_versions v left join message_template_live l on l.version_id = v.id';

const iso = (row: TemplateVersionRow): TemplateVersionRow => ({
  ...row,
  createdAt: new Date(row.createdAt).toISOString(),
  reviewedAt: row.reviewedAt ? new Date(row.reviewedAt).toISOString() : null,
});

/**
 * The shipped templates as version 1, approved and live, for every message and locale that has no version yet.
 * Idempotent; run at start-up, so a new message or locale in a release reaches existing databases.
 */
export async function ensureDefaultTemplates(orm: Orm): Promise<number> {
  // One read at start-up; only a message or locale new in this release is written.
  const present = new Set(
    (
      await orm.em
        .getConnection()
        .execute<{ pair: string }[]>(`select distinct key || '/' || locale as pair from message_template_versions`)
    ).map((r) => r.pair),
  );
  let added = 0;
  for (const key of MESSAGE_KEYS) {
    for (const locale of DEFAULT_LOCALES) {
      if (present.has(`${key}/${locale}`)) continue;
      const t = DEFAULT_TEMPLATES[key][locale];
      added += await transaction(orm, async (query) => {
        const [row] = await query<{ id: string }[]>(
          `insert into message_template_versions (id, key, locale, version, sender_name, subject, preheader, html, text, note, status, created_at)
           select ?, ?, ?, 1, ?, ?, ?, ?, ?, 'shipped with opsflow', 'approved', now()
           where not exists (select 1 from message_template_versions where key = ? and locale = ?)
           on conflict do nothing returning id`,
          [randomUUID(), key, locale, t.senderName, t.subject, t.preheader, t.html, t.text, key, locale],
        );
        if (!row) return 0;
        await query(`insert into message_template_live (key, locale, version_id, since) values (?, ?, ?, now()) on conflict do nothing`, [
          key,
          locale,
          row.id,
        ]);
        return 1;
      });
    }
  }
  return added;
}

/**
 * The live version a customer gets: their locale, then its language alone (zh-TW -> zh), then the message's own
 * default language, then the platform's default, then any.
 */
export async function liveTemplate(
  orm: Orm,
  key: MessageKey,
  locale: string | null,
  defaultLocale: string,
): Promise<TemplateVersionRow | null> {
  const conn = orm.em.getConnection();
  const [own] = await conn.execute<{ default_locale: string }[]>('select default_locale from message_templates where key = ?', [key]);
  const wanted = [
    ...new Set(
      [locale, locale?.split('-')[0], own?.default_locale, defaultLocale].filter((l): l is string => !!l).map((l) => l.toLowerCase()),
    ),
  ];
  const rows = await conn.execute<TemplateVersionRow[]>(
    `select ${COLUMNS} from message_template_live l join message_template_versions v on v.id = l.version_id
     where l.key = ? order by coalesce(array_position(?::text[], lower(l.locale)), array_position(?::text[], split_part(lower(l.locale), '-', 1)), 1000), l.locale limit 1`,
    [key, `{${wanted.join(',')}}`, `{${wanted.join(',')}}`],
  );
  return rows[0] ? iso(rows[0]) : null;
}

/** Each message's own default language, where one is set. */
export async function templateDefaultLocales(orm: Orm): Promise<Record<string, string>> {
  const rows = await orm.em
    .getConnection()
    .execute<{ key: string; default_locale: string }[]>('select key, default_locale from message_templates');
  return Object.fromEntries(rows.map((r) => [r.key, r.default_locale]));
}

/** Sets (or, with null, clears) a message's own default language; it must have a live version in that locale. */
export async function setTemplateDefaultLocale(
  orm: Orm,
  key: MessageKey,
  locale: string | null,
  by: string,
): Promise<'ok' | 'no_live_version'> {
  const conn = orm.em.getConnection();
  if (locale === null) {
    await conn.execute('delete from message_templates where key = ?', [key]);
    return 'ok';
  }
  const [live] = await conn.execute<{ n: number }[]>('select count(*)::int as n from message_template_live where key = ? and locale = ?', [
    key,
    locale,
  ]);
  if (!live!.n) return 'no_live_version';
  await conn.execute(
    `insert into message_templates (key, default_locale, updated_by, updated_at) values (?, ?, ?, now())
     on conflict (key) do update set default_locale = excluded.default_locale, updated_by = excluded.updated_by, updated_at = now()`,
    [key, locale, by],
  );
  return 'ok';
}

/** The live versions of a message by locale (a campaign pins these at approval). */
export async function liveVersionIds(orm: Orm, key: MessageKey): Promise<Record<string, string>> {
  const rows = await orm.em
    .getConnection()
    .execute<{ locale: string; version_id: string }[]>(
      'select locale, version_id from message_template_live where key = ? order by locale',
      [key],
    );
  return Object.fromEntries(rows.map((r) => [r.locale, r.version_id]));
}

export async function templateVersion(orm: Orm, id: string): Promise<TemplateVersionRow | null> {
  const [row] = await orm.em.getConnection().execute<TemplateVersionRow[]>(`select ${COLUMNS} from ${FROM} where v.id = ?`, [id]);
  return row ? iso(row) : null;
}

/** Every message with its locales: the live version and the newest one, and how many wait for review. */
export async function templateSummaries(
  orm: Orm,
): Promise<{ key: MessageKey; locale: string; liveVersion: number | null; latestVersion: number; inReview: number; updatedAt: string }[]> {
  const rows = await orm.em
    .getConnection()
    .execute<{ key: MessageKey; locale: string; liveVersion: number | null; latestVersion: number; inReview: number; updatedAt: Date }[]>(
      `select v.key, v.locale, max(lv.version) as "liveVersion", max(v.version) as "latestVersion",
       count(*) filter (where v.status = 'in_review')::int as "inReview", max(v.created_at) as "updatedAt"
     from message_template_versions v
     left join message_template_live l on l.key = v.key and l.locale = v.locale
     left join message_template_versions lv on lv.id = l.version_id
     group by v.key, v.locale order by v.key, v.locale`,
    );
  return rows.map((r) => ({ ...r, updatedAt: new Date(r.updatedAt).toISOString() }));
}

/** A message's versions in one locale, newest first. */
export async function templateVersions(
  orm: Orm,
  key: MessageKey,
  locale: string,
  limit: number,
  offset: number,
): Promise<{ items: TemplateVersionRow[]; total: number }> {
  const conn = orm.em.getConnection();
  const [items, [count]] = await Promise.all([
    conn.execute<TemplateVersionRow[]>(
      `select ${COLUMNS} from ${FROM} where v.key = ? and v.locale = ? order by v.version desc limit ? offset ?`,
      [key, locale, limit, offset],
    ),
    conn.execute<{ total: number }[]>('select count(*)::int as total from message_template_versions where key = ? and locale = ?', [
      key,
      locale,
    ]),
  ]);
  return { items: items.map(iso), total: count!.total };
}

/** Writes the next version of a message in a locale, waiting for review. */
export async function createTemplateVersion(
  orm: Orm,
  args: { key: MessageKey; locale: string; source: TemplateSource; note: string | null; authorId: string },
): Promise<TemplateVersionRow> {
  const id = randomUUID();
  await transaction(orm, async (query) => {
    // One writer at a time per message and locale, so version numbers never collide.
    await query('select pg_advisory_xact_lock(hashtext(?))', [`template:${args.key}:${args.locale}`]);
    const s = args.source;
    await query(
      `insert into message_template_versions (id, key, locale, version, sender_name, subject, preheader, html, text, note, status, author_id, created_at)
       values (?, ?, ?, (select coalesce(max(version), 0) + 1 from message_template_versions where key = ? and locale = ?), ?, ?, ?, ?, ?, ?, 'in_review', ?, now())`,
      [id, args.key, args.locale, args.key, args.locale, s.senderName, s.subject, s.preheader, s.html, s.text, args.note, args.authorId],
    );
  });
  return (await templateVersion(orm, id))!;
}

/** Records a review's outcome; an approval makes the version live. False when it was no longer in review. */
export async function decideTemplateVersion(
  orm: Orm,
  id: string,
  decision: 'approved' | 'rejected' | 'withdrawn',
  by: string | null,
  comment: string | null,
): Promise<boolean> {
  return transaction(orm, async (query) => {
    const [row] = await query<{ key: string; locale: string }[]>(
      `update message_template_versions set status = ?, reviewed_by = ?, reviewed_at = now(), review_comment = ?
       where id = ? and status = 'in_review' returning key, locale`,
      [decision, by, comment, id],
    );
    if (!row) return false;
    if (decision === 'approved') await makeLive(query, row.key, row.locale, id, by);
    return true;
  });
}

/** Rolling back (or forward) is one action: any approved version of the message in that locale becomes live again. */
export async function setLiveTemplateVersion(orm: Orm, id: string, by: string): Promise<TemplateVersionRow | 'not_found' | 'not_approved'> {
  const version = await templateVersion(orm, id);
  if (!version) return 'not_found';
  if (version.status !== 'approved') return 'not_approved';
  await transaction(orm, (query) => makeLive(query, version.key, version.locale, id, by));
  return (await templateVersion(orm, id))!;
}

async function makeLive(query: Query, key: string, locale: string, id: string, by: string | null): Promise<void> {
  await query(
    `insert into message_template_live (key, locale, version_id, since, set_by) values (?, ?, ?, now(), ?)
     on conflict (key, locale) do update set version_id = excluded.version_id, since = excluded.since, set_by = excluded.set_by`,
    [key, locale, id, by],
  );
}

/** The customer fields a preview or a test send renders with. */
export interface MessageCustomerRow {
  id: string;
  name: string | null;
  email: string;
  external_id: string;
  stage: string | null;
  segment: string | null;
  locale: string | null;
  timezone: string;
}

/** A customer's message fields by id, or undefined. */
export async function messageCustomerRow(orm: Orm, customerId: string): Promise<MessageCustomerRow | undefined> {
  const [row] = await orm.em
    .getConnection()
    .execute<MessageCustomerRow[]>('select id, name, email, external_id, stage, segment, locale, timezone from customers where id = ?', [
      customerId,
    ]);
  return row;
}

/** The operator's address a test send goes to, or undefined. */
export async function operatorEmailRow(orm: Orm, operatorId: string): Promise<{ email: string } | undefined> {
  const [row] = await orm.em.getConnection().execute<{ email: string }[]>('select email from operators where id = ?', [operatorId]);
  return row;
}
