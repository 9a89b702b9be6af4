import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { PartnerFigures, PartnerType } from '../../domain/partner.ts';

/** Partners (channels, content creators and KOLs, technology partners) and their audience figures. */
export const Partner = defineEntity({
  name: 'Partner',
  tableName: 'partners',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    type: p.string().$type<PartnerType>().index(),
    contactEmail: p.text(),
    /** BCP 47: the language of the emails sent to them (signing link, activation, termination); null: the platform's default. */
    locale: p.text().nullable(),
    figures: p.json<PartnerFigures>(),
    notes: p.text().nullable(),
    createdBy: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
    version: p.integer().default(1),
  },
});
export type Partner = InferEntity<typeof Partner>;
