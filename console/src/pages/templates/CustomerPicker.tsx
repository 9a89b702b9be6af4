// Whom the preview is for: a customer found by name, email or external id (GET /customers?q=, the first few), or the
// sample customer. Their fields, locale and timezone shape the preview; nothing is sent to them.
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { ErrorNote, Loading } from '../../components/page.tsx';
import type { CustomerPage } from './templates-api.ts';

export type PickedCustomer = Pick<CustomerPage['items'][number], 'id' | 'name' | 'email' | 'locale'>;

const SHOWN = 8;

export function CustomerPicker({ value, onChange }: { value: PickedCustomer | null; onChange: (c: PickedCustomer | null) => void }) {
  const { t } = useTranslation('templates');
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const found = useQuery({
    queryKey: ['templates', 'customers', q],
    queryFn: async () => unwrap(await api.GET('/customers', { params: { query: { q, limit: SHOWN, offset: 0 } } })),
    enabled: q !== '',
  });
  const search = (e: FormEvent) => {
    e.preventDefault();
    setQ(text.trim());
  };
  const pick = (c: PickedCustomer) => {
    onChange(c);
    setQ('');
  };

  return (
    <div className="templates-customer">
      <p>
        {value
          ? t('customer.for', {
              who: value.name ? `${value.name} <${value.email}>` : value.email,
              locale: value.locale ?? t('customer.noLocale'),
            })
          : t('customer.sample')}{' '}
        {value && (
          <button type="button" className="link" onClick={() => onChange(null)}>
            {t('customer.useSample')}
          </button>
        )}
      </p>
      <form role="search" className="templates-customer-search" onSubmit={search}>
        <label htmlFor="template-customer">{t('customer.search')}</label>
        <input id="template-customer" type="search" maxLength={200} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit">{t('customer.find')}</button>
      </form>
      <ErrorNote error={found.error} />
      {found.isFetching && <Loading />}
      {found.data &&
        q !== '' &&
        (found.data.items.length === 0 ? (
          <p className="muted">{t('customer.none', { q })}</p>
        ) : (
          <ul className="templates-customer-results" aria-label={t('customer.results')}>
            {found.data.items.map((c) => (
              <li key={c.id}>
                <button type="button" onClick={() => pick(c)}>
                  {c.name ?? c.email}{' '}
                  <span className="muted">
                    {c.email} · {c.locale ?? t('customer.noLocale')}
                  </span>
                </button>
              </li>
            ))}
            {found.data.total > found.data.items.length && (
              <li className="muted">{t('customer.more', { count: found.data.total - found.data.items.length })}</li>
            )}
          </ul>
        ))}
    </div>
  );
}
