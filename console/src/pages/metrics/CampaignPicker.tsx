// Finds the campaign a pause_campaign rule pauses by part of its name (the API's search, 20 at a time), so nobody
// has to copy an id; the id field stays for pasting one.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { ErrorNote } from '../../components/page.tsx';

export function CampaignPicker({ value, onPick }: { value: string; onPick: (id: string) => void }) {
  const { t } = useTranslation('metrics');
  const [q, setQ] = useState('');
  const search = q.trim();
  const found = useQuery({
    queryKey: ['campaigns', 'pick', search],
    queryFn: async () => unwrap(await api.GET('/campaigns', { params: { query: { q: search, limit: 20 } } })),
    enabled: search.length >= 2,
  });
  return (
    <div className="field">
      <label htmlFor="rule-campaign-search">{t('picker.search')}</label>
      <input id="rule-campaign-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} />
      <ErrorNote error={found.error} />
      {found.data &&
        (found.data.items.length === 0 ? (
          <small className="muted">{t('picker.none')}</small>
        ) : (
          <>
            <label htmlFor="rule-campaign-found" className="muted">
              {t('picker.found', { count: found.data.total })}
            </label>
            <select id="rule-campaign-found" value={value} onChange={(e) => onPick(e.target.value)}>
              <option value="">{t('picker.choose')}</option>
              {found.data.items.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.stage})
                </option>
              ))}
            </select>
            {found.data.total > found.data.items.length && (
              <small className="muted">{t('picker.more', { shown: found.data.items.length })}</small>
            )}
          </>
        ))}
    </div>
  );
}
