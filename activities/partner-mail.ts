// Emails to partners (outside parties) from the stored message templates, in the partner's language: the signing
// link, the activation, the termination. The partner is found by the contract the mail is about.
import { contractPartner } from '../db/contracts.ts';
import { liveTemplate } from '../db/message-templates.ts';
import type { Orm } from '../db/orm.ts';
import { readMessagingPolicy } from '../db/settings.ts';
import { renderMessage } from '../domain/message-render.ts';
import type { PartnerMessageKey } from '../domain/message-templates.ts';
import { withName } from './email.ts';
import type { Rendered } from './templates.ts';

/**
 * The mail for a partner of a contract, and the From with the version's sender name; null when no version is live
 * (the caller then sends the text as code wrote it). Dates are shown in Shanghai time to a Chinese-language partner,
 * in UTC to others: partners have no timezone of their own.
 */
export async function partnerMail(
  deps: { orm: Orm; from: string },
  key: PartnerMessageKey,
  contractId: string,
  fields: Record<string, unknown>,
): Promise<{ mail: Rendered; from: string; versionId: string } | null> {
  const partner = await contractPartner(deps.orm, contractId);
  if (!partner) return null;
  const policy = await readMessagingPolicy(deps.orm);
  const version = await liveTemplate(deps.orm, key, partner.locale, policy.defaultLocale);
  if (!version) return null;
  const timeZone = version.locale.toLowerCase().startsWith('zh') ? 'Asia/Shanghai' : 'UTC';
  const rendered = renderMessage(
    key,
    version,
    { partner: { name: partner.name }, platform: policy.platform, ...fields },
    { locale: version.locale, timeZone },
  );
  return {
    mail: { subject: rendered.subject, html: rendered.html, text: rendered.text },
    from: withName(deps.from, rendered.senderName),
    versionId: version.id,
  };
}
