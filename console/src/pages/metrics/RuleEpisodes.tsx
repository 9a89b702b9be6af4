// A rule's firing episodes over the last 30 days, newest first, paged through the API, as its monitor recorded them.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { ErrorNote } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime } from '../../format.ts';
import { useFormatValue } from './parts.tsx';

const PAGE = 10;
const DAYS = 30;

export function RuleEpisodes({ ruleId, episodes, state }: { ruleId: string; episodes: number; state: string }) {
  const { t, i18n } = useTranslation('metrics');
  const fmt = useFormatValue();
  const [offset, setOffset] = useState(0);
  const list = useQuery({
    // The monitor's episode count and state are in the key: a new episode or a recovery reads the list again.
    queryKey: ['episodes', ruleId, 'recent', offset, episodes, state],
    queryFn: async () => {
      const to = new Date();
      const from = new Date(to.getTime() - DAYS * 86_400_000);
      return unwrap(
        await api.GET('/rules/{id}/episodes', {
          params: { path: { id: ruleId }, query: { from: from.toISOString(), to: to.toISOString(), limit: PAGE, offset } },
        }),
      );
    },
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  const page = list.data;
  return (
    <>
      <h2>{t('editor.recent', { days: DAYS })}</h2>
      <ErrorNote error={list.error} />
      {page && page.items.length === 0 && <p>{t('editor.noRecent')}</p>}
      {page && page.items.length > 0 && (
        <>
          <table className="episodes">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t('episodeColumns.fired')}</th>
                <th scope="col">{t('episodeColumns.resolved')}</th>
                <th scope="col">{t('episodeColumns.value')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr key={e.episode}>
                  <th scope="row">{e.episode}</th>
                  <td>{formatDateTime(e.firedAt, i18n.language)}</td>
                  <td>{e.resolvedAt ? formatDateTime(e.resolvedAt, i18n.language) : <strong>{t('stillFiring')}</strong>}</td>
                  <td>{e.value === null ? '—' : fmt(e.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager offset={offset} limit={PAGE} total={page.total} shown={page.items.length} onChange={setOffset} />
        </>
      )}
    </>
  );
}
