// One partner: its audience figures and its contracts.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { formatDateTime, formatNumber, formatPercent } from '../../format.ts';
import { ContractTable } from './ContractList.tsx';

export function PartnerDetail({ id }: { id: string }) {
  const { t, i18n } = useTranslation('partners');
  const partner = useQuery({
    queryKey: ['partner', id],
    queryFn: async () => unwrap(await api.GET('/partners/{id}', { params: { path: { id } } })),
  });
  usePageTitle(partner.data ? t('partner.title', { name: partner.data.name }) : t('title'));
  if (partner.error)
    return (
      <>
        <h1>{t('title')}</h1>
        <ErrorNote error={partner.error} />
      </>
    );
  if (!partner.data) return <Loading />;
  const p = partner.data;
  const lang = i18n.language;
  return (
    <section aria-labelledby="partner-title">
      <h1 id="partner-title">{t('partner.title', { name: p.name })}</h1>
      <Facts
        items={[
          [t('columns.type'), t(`types.${p.type}`)],
          [t('partner.email'), <a href={`mailto:${p.contactEmail}`}>{p.contactEmail}</a>],
          [t('columns.followers'), formatNumber(p.figures.followers ?? 0, lang)],
          [t('columns.engagement'), formatPercent(p.figures.engagementRate ?? 0, lang)],
          [t('columns.audienceMatch'), formatPercent(p.figures.audienceMatch ?? 0, lang)],
          [t('columns.conversion'), formatPercent(p.figures.pastConversionRate ?? 0, lang)],
          [t('columns.price'), formatNumber(p.figures.price ?? 0, lang)],
          [t('partner.updated'), formatDateTime(p.updatedAt, lang)],
        ]}
      />
      {p.notes && (
        <>
          <h2>{t('partner.notes')}</h2>
          <p>{p.notes}</p>
        </>
      )}
      <h2>{t('partner.contracts')}</h2>
      <ContractTable filter={{ partnerId: p.id }} showPartner={false} />
    </section>
  );
}
