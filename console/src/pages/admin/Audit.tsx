// The audit log, newest first, with the API's filters (actor, entity, event type, workflow, time range) kept in the
// address so a filtered view can be linked and survives a reload. The API pages oldest first; the newest page is
// found from the filtered total, so the log stays quick at any size.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime, formatNumber } from '../../format.ts';
import { useSearchParams } from '../../router.tsx';
import { Field, reasonFor, Refusal, unwrapForm, useOperatorNames } from './shared.tsx';

const PAGE = 50;
const FILTERS = ['actorId', 'entityType', 'entityId', 'action', 'workflowId', 'from', 'to'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Partial<Record<Filter, string>>;
// Suggestions only: any event type or entity type the API records can be typed.
const ACTIONS = [
  'auth.signed_in',
  'auth.signed_out',
  'auth.link_sent',
  'operator.created',
  'operator.updated',
  'operator.token_rotated',
  'channel.created',
  'channel.updated',
  'policy.updated',
  'escalation_policy.created',
  'escalation_policy.updated',
  'escalation_policy.deleted',
  'rule.created',
  'rule.updated',
  'rule.deleted',
  'partner.created',
  'partner.updated',
  'incident.opened',
  'contract.requested',
  'customer.stage_changed',
  'customer.unsubscribed',
  'email.sent',
];
const ENTITY_TYPES = [
  'operator',
  'channel',
  'policy',
  'escalation_policy',
  'content',
  'campaign',
  'contract',
  'partner',
  'incident',
  'rule',
  'customer',
  'task',
];

/** datetime-local works in the browser's (the operator's) timezone; the API and the address hold ISO instants. */
const toLocalInput = (iso: string | undefined): string => {
  if (!iso || Number.isNaN(Date.parse(iso))) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocalInput = (value: string): string | undefined =>
  value && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;

export function Audit() {
  const { t, i18n } = useTranslation('admin');
  usePageTitle(t('audit.title'));
  const [params, setParams] = useSearchParams();
  const filters: Filters = Object.fromEntries(FILTERS.flatMap((f) => (params.get(f) ? [[f, params.get(f)!]] : [])));
  const page = Math.max(0, Number.parseInt(params.get('page') ?? '0', 10) || 0);
  const setPage = (next: number) =>
    setParams((p) => {
      const q = new URLSearchParams(p);
      if (next) q.set('page', String(next));
      else q.delete('page');
      return q;
    });

  const log = useQuery({
    queryKey: ['audit', filters, page],
    queryFn: async () => {
      // The filtered total first, then the slice `page` pages back from the newest entry.
      const { total } = unwrapForm(await api.GET('/audit', { params: { query: { ...filters, limit: 1, offset: 0 } } }));
      const end = total - page * PAGE;
      if (end <= 0) return { total, items: [] };
      const start = Math.max(0, end - PAGE);
      const slice = unwrapForm(await api.GET('/audit', { params: { query: { ...filters, limit: end - start, offset: start } } }));
      return { total, items: slice.items.reverse() };
    },
    placeholderData: keepPreviousData,
  });
  const names = useOperatorNames();
  const pages = log.data ? Math.max(1, Math.ceil(log.data.total / PAGE)) : 1;

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t('audit.title')}</h1>
      <FilterForm
        key={params.toString()}
        filters={filters}
        error={log.error}
        onApply={(next) => {
          const q = new URLSearchParams();
          for (const f of FILTERS) if (next[f]) q.set(f, next[f]!);
          setParams(q);
        }}
      />
      <Refusal error={log.error} />
      {log.isPending && <Loading />}
      {log.data && (
        <p role="status" className="muted">
          {Object.keys(filters).length
            ? t('audit.matching', { count: log.data.total, total: formatNumber(log.data.total, i18n.language) })
            : t('audit.all', { total: formatNumber(log.data.total, i18n.language) })}
        </p>
      )}
      {log.data && log.data.total > 0 && (
        <>
          <div className="toolbar">
            <button type="button" disabled={page === 0} onClick={() => setPage(0)}>
              {t('audit.newest')}
            </button>
            <Pager
              offset={page * PAGE}
              limit={PAGE}
              total={log.data.total}
              shown={log.data.items.length}
              onChange={(o) => setPage(Math.round(o / PAGE))}
            />
            <button type="button" disabled={page >= pages - 1} onClick={() => setPage(pages - 1)}>
              {t('audit.oldest')}
            </button>
          </div>
          {log.data.items.length > 0 && (
            <table className="admin-table audit">
              <caption className="muted">{t('audit.caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('audit.at')}</th>
                  <th scope="col">{t('audit.event')}</th>
                  <th scope="col">{t('audit.actor')}</th>
                  <th scope="col">{t('audit.entity')}</th>
                  <th scope="col">{t('audit.details')}</th>
                </tr>
              </thead>
              <tbody>
                {log.data.items.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <time dateTime={e.at}>{formatDateTime(e.at, i18n.language)}</time>
                    </td>
                    <th scope="row">
                      <code>{e.action}</code>
                    </th>
                    <td>
                      {e.actorId ? (
                        <button
                          type="button"
                          className="link"
                          title={t('audit.onlyActor')}
                          onClick={() => setParams(new URLSearchParams({ actorId: e.actorId! }))}
                        >
                          {names.get(e.actorId) ?? e.actorId}
                        </button>
                      ) : (
                        <span className="muted">
                          {t(`audit.actorTypes.${e.actorType === 'system' ? 'system' : 'other'}`, { type: e.actorType })}
                        </span>
                      )}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        title={t('audit.onlyEntity')}
                        onClick={() => setParams(new URLSearchParams({ entityType: e.entityType, entityId: e.entityId }))}
                      >
                        {e.entityType} {e.entityType === 'operator' ? (names.get(e.entityId) ?? e.entityId) : e.entityId}
                      </button>
                    </td>
                    <td>
                      {Object.keys(e.details).length > 0 && (
                        <details>
                          <summary>{Object.keys(e.details).join(', ')}</summary>
                          <pre>{JSON.stringify(e.details, null, 2)}</pre>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pager
            offset={page * PAGE}
            limit={PAGE}
            total={log.data.total}
            shown={log.data.items.length}
            onChange={(o) => setPage(Math.round(o / PAGE))}
          />
        </>
      )}
      {log.data && log.data.total === 0 && <p>{t('audit.none')}</p>}
    </section>
  );
}

function FilterForm({ filters, error, onApply }: { filters: Filters; error: Error | null; onApply: (filters: Filters) => void }) {
  const { t } = useTranslation('admin');
  const names = useOperatorNames();
  const [draft, setDraft] = useState<Filters>({ ...filters, from: toLocalInput(filters.from), to: toLocalInput(filters.to) });
  const text = (f: Exclude<Filter, 'from' | 'to'>, list?: string) => (
    <Field label={t(`audit.filters.${f}`)} error={reasonFor(error, f)}>
      {(p) => (
        <input {...p} value={draft[f] ?? ''} list={list} spellCheck={false} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} />
      )}
    </Field>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ ...draft, from: fromLocalInput(draft.from ?? ''), to: fromLocalInput(draft.to ?? '') });
  };
  return (
    <form className="panel admin-form filters" onSubmit={submit} role="search" aria-label={t('audit.filterLabel')}>
      <div className="row">
        {text('actorId', 'audit-actors')}
        {text('action', 'audit-actions')}
        {text('entityType', 'audit-entity-types')}
        {text('entityId')}
        {text('workflowId')}
        <Field label={t('audit.filters.from')} error={reasonFor(error, 'from')}>
          {(p) => (
            <input {...p} type="datetime-local" value={draft.from ?? ''} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
          )}
        </Field>
        <Field label={t('audit.filters.to')} error={reasonFor(error, 'to')}>
          {(p) => (
            <input {...p} type="datetime-local" value={draft.to ?? ''} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
          )}
        </Field>
      </div>
      <datalist id="audit-actors">
        {[...names].map(([id, name]) => (
          <option key={id} value={id}>
            {name}
          </option>
        ))}
      </datalist>
      <datalist id="audit-actions">
        {ACTIONS.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      <datalist id="audit-entity-types">
        {ENTITY_TYPES.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      <div className="actions-row">
        <button type="submit" className="primary">
          {t('audit.apply')}
        </button>
        <button type="button" onClick={() => onApply({})}>
          {t('audit.clear')}
        </button>
      </div>
    </form>
  );
}
