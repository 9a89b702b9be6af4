import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const TEMPLATE_VERSION_STATUSES = ['in_review', 'approved', 'rejected', 'withdrawn'] as const;
export type TemplateVersionStatus = (typeof TEMPLATE_VERSION_STATUSES)[number];

/**
 * One version of a customer-facing message in one locale, as its author wrote it. Never changed after it is written
 * (only its review columns are): a message sent names the version it came from, and a campaign keeps the version it
 * was approved with. `authorId` null: shipped with opsflow.
 */
export const MessageTemplateVersion = defineEntity({
  name: 'MessageTemplateVersion',
  tableName: 'message_template_versions',
  properties: {
    id: p.uuid().primary(),
    key: p.text(),
    locale: p.text(),
    version: p.integer(),
    senderName: p.text(),
    subject: p.text(),
    preheader: p.text().nullable(),
    html: p.text(),
    text: p.text().nullable(),
    /** What changed, in the author's words (shown to the reviewer beside the diff). */
    note: p.text().nullable(),
    status: p.string().$type<TemplateVersionStatus>(),
    authorId: p.uuid().nullable(),
    createdAt: p.datetime(),
    reviewedBy: p.uuid().nullable(),
    reviewedAt: p.datetime().nullable(),
    reviewComment: p.text().nullable(),
  },
  uniques: [{ properties: ['key', 'locale', 'version'] }],
});
export type MessageTemplateVersion = InferEntity<typeof MessageTemplateVersion>;

/** The version customers get now, per message and locale: approval sets it, a rollback moves it back. */
export const MessageTemplateLive = defineEntity({
  name: 'MessageTemplateLive',
  tableName: 'message_template_live',
  properties: {
    key: p.text().primary(),
    locale: p.text().primary(),
    versionId: p.uuid(),
    since: p.datetime(),
    /** Who made it live (the approver, or whoever rolled back); null: shipped. */
    setBy: p.uuid().nullable(),
  },
});
export type MessageTemplateLive = InferEntity<typeof MessageTemplateLive>;

/** A message's own default language, when it has one (else the messaging policy's defaultLocale applies). */
export const MessageTemplate = defineEntity({
  name: 'MessageTemplate',
  tableName: 'message_templates',
  properties: {
    key: p.text().primary(),
    defaultLocale: p.text(),
    updatedBy: p.uuid().nullable(),
    updatedAt: p.datetime(),
  },
});
export type MessageTemplate = InferEntity<typeof MessageTemplate>;
