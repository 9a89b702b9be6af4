// Contracts (the read model), newest first, paged and filtered by the API; the table also lists a partner's contracts.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDate, formatMoney } from '../../format.ts';
import { Link } from '../../router.tsx';
import { PAGE, STAGES, type Stage } from './api.ts';

export function ContractList() {
  const { t } = useTranslation('partners');
  usePageTitle(t('contracts.title'));
  const [stage, setStage] = useState<Stage | ''>('');
  const [mine, setMine] = useState(false);
  return (
    <section aria-labelledby="contracts-title">
      <h1 id="contracts-title">{t('contracts.title')}</h1>
      <div className="toolbar">
        <label>
          {t('contracts.stage')}{' '}
          <select value={stage} onChange={(e) => setStage(e.target.value as Stage | '')}>
            <option value="">{t('contracts.anyStage')}</option>
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {t(`stages.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} /> {t('contracts.mine')}
        </label>
      </div>
      <ContractTable key={`${stage}:${mine}`} filter={{ ...(stage ? { stage } : {}), ...(mine ? { owner: 'me' as const } : {}) }} />
    </section>
  );
}

export function ContractTable({
  filter,
  showPartner = true,
}: {
  filter: { stage?: Stage; owner?: 'me'; partnerId?: string };
  showPartner?: boolean;
}) {
  const { t, i18n } = useTranslation('partners');
  const [offset, setOffset] = useState(0);
  const query = { ...filter, limit: PAGE, offset };
  const contracts = useQuery({
    queryKey: ['contracts', query],
    queryFn: async () => unwrap(await api.GET('/contracts', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const lang = i18n.language;
  return (
    <>
      <ErrorNote error={contracts.error} />
      {contracts.isPending && <Loading />}
      {contracts.data && contracts.data.items.length === 0 && <p>{t('empty')}</p>}
      {contracts.data && contracts.data.items.length > 0 && (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">{showPartner ? t('columns.partner') : t('columns.term')}</th>
              <th scope="col">{t('columns.stage')}</th>
              <th scope="col" className="num">
                {t('columns.value')}
              </th>
              {showPartner && <th scope="col">{t('columns.term')}</th>}
              <th scope="col">{t('columns.created')}</th>
            </tr>
          </thead>
          <tbody>
            {contracts.data.items.map((c) => {
              const dates = `${formatDate(c.startAt, lang)} – ${formatDate(c.endAt, lang)}`;
              return (
                <tr key={c.id}>
                  <th scope="row">
                    <Link to={`/contracts/${c.id}`}>{showPartner ? (c.partnerName ?? c.partnerId) : dates}</Link>
                  </th>
                  <td>
                    <span className={`stage stage-${c.stage}`}>{t(`stages.${c.stage}`)}</span>
                  </td>
                  <td className="num">{formatMoney(c.value, c.currency, lang)}</td>
                  {showPartner && <td>{dates}</td>}
                  <td>{formatDate(c.createdAt, lang)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager offset={offset} limit={PAGE} total={contracts.data?.total} shown={contracts.data?.items.length ?? 0} onChange={setOffset} />
    </>
  );
}
