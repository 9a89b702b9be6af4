// The partners, by name, paged and filtered by the API (name search, type).
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatNumber, formatPercent } from '../../format.ts';
import { Link } from '../../router.tsx';
import { PAGE, PARTNER_TYPES, type PartnerType } from './api.ts';

export function PartnerList() {
  const { t, i18n } = useTranslation('partners');
  usePageTitle(t('title'));
  const [q, setQ] = useState('');
  const [type, setType] = useState<PartnerType | ''>('');
  const [offset, setOffset] = useState(0);
  const query = { limit: PAGE, offset, ...(q.trim() ? { q: q.trim() } : {}), ...(type ? { type } : {}) };
  const partners = useQuery({
    queryKey: ['partners', query],
    queryFn: async () => unwrap(await api.GET('/partners', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const lang = i18n.language;
  return (
    <section aria-labelledby="partners-title">
      <h1 id="partners-title">{t('title')}</h1>
      <div className="toolbar">
        <label>
          {t('search')}{' '}
          <input
            type="search"
            value={q}
            maxLength={200}
            onChange={(e) => {
              setQ(e.target.value);
              setOffset(0);
            }}
          />
        </label>
        <label>
          {t('type')}{' '}
          <select
            value={type}
            onChange={(e) => {
              setType(e.target.value as PartnerType | '');
              setOffset(0);
            }}
          >
            <option value="">{t('anyType')}</option>
            {PARTNER_TYPES.map((p) => (
              <option key={p} value={p}>
                {t(`types.${p}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={partners.error} />
      {partners.isPending && <Loading />}
      {partners.data && partners.data.items.length === 0 && <p>{t('empty')}</p>}
      {partners.data && partners.data.items.length > 0 && (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">{t('columns.name')}</th>
              <th scope="col">{t('columns.type')}</th>
              <th scope="col" className="num">
                {t('columns.followers')}
              </th>
              <th scope="col" className="num">
                {t('columns.engagement')}
              </th>
              <th scope="col" className="num">
                {t('columns.audienceMatch')}
              </th>
              <th scope="col" className="num">
                {t('columns.conversion')}
              </th>
              <th scope="col" className="num">
                {t('columns.price')}
              </th>
            </tr>
          </thead>
          <tbody>
            {partners.data.items.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <Link to={`/${p.id}`}>{p.name}</Link>
                </th>
                <td>{t(`types.${p.type}`)}</td>
                <td className="num">{formatNumber(p.figures.followers ?? 0, lang)}</td>
                <td className="num">{formatPercent(p.figures.engagementRate ?? 0, lang)}</td>
                <td className="num">{formatPercent(p.figures.audienceMatch ?? 0, lang)}</td>
                <td className="num">{formatPercent(p.figures.pastConversionRate ?? 0, lang)}</td>
                <td className="num">{formatNumber(p.figures.price ?? 0, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager offset={offset} limit={PAGE} total={partners.data?.total} shown={partners.data?.items.length ?? 0} onChange={setOffset} />
    </section>
  );
}
