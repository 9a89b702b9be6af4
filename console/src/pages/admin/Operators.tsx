// Operators: the paged list with role and status filters, the create form (the new token is shown once), and one
// operator's edit panel: name and roles (new roles end their console sessions), disable or enable, a new token.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Role } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';
import { Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime } from '../../format.ts';
import { Link } from '../../router.tsx';
import { CheckboxGroup, Field, reasonFor, Refusal, ROLES, ShownOnce, unwrapForm } from './shared.tsx';

type Operator = paths['/operators']['get']['responses']['200']['content']['application/json']['items'][number];
const PAGE = 25;

export function Operators({ me }: { me: string }) {
  const { t } = useTranslation('admin');
  usePageTitle(t('operators.title'));
  const [role, setRole] = useState<Role | ''>('');
  const [status, setStatus] = useState<'' | 'active' | 'disabled'>('');
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  const list = useQuery({
    queryKey: ['operators', { role, status, offset }],
    queryFn: async () =>
      unwrapForm(
        await api.GET('/operators', {
          params: {
            query: {
              limit: PAGE,
              offset,
              ...(role ? { role } : {}),
              ...(status ? { disabled: status === 'disabled' ? 'true' : 'false' } : {}),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const current = list.data?.items.find((o) => o.id === selected);

  return (
    <section aria-labelledby="operators-title">
      <h1 id="operators-title">{t('operators.title')}</h1>
      {shown && (
        <ShownOnce
          title={t('operators.tokenFor', { name: shown.name })}
          label={t('operators.token')}
          value={shown.token}
          onDone={() => setShown(null)}
        />
      )}
      <CreateOperator onCreated={(name, token) => setShown({ name, token })} />
      <h2>{t('operators.list')}</h2>
      <div className="toolbar">
        <label>
          {t('operators.role')}{' '}
          <select
            value={role}
            onChange={(e) => {
              setRole(e.target.value as Role | '');
              setOffset(0);
            }}
          >
            <option value="">{t('any')}</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`roles.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('operators.status')}{' '}
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as typeof status);
              setOffset(0);
            }}
          >
            <option value="">{t('any')}</option>
            <option value="active">{t('operators.active')}</option>
            <option value="disabled">{t('operators.disabled')}</option>
          </select>
        </label>
      </div>
      <Refusal error={list.error} />
      {list.isPending && <Loading />}
      {list.data && list.data.items.length === 0 && <p>{t('operators.none')}</p>}
      {list.data && list.data.items.length > 0 && (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">{t('operators.name')}</th>
              <th scope="col">{t('operators.email')}</th>
              <th scope="col">{t('operators.roles')}</th>
              <th scope="col">{t('operators.status')}</th>
              <th scope="col">{t('operators.created')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((o) => (
              <tr key={o.id} className={o.id === selected ? 'selected' : undefined}>
                <th scope="row">
                  <button
                    type="button"
                    className="link"
                    aria-label={t('operators.edit', { name: o.name })}
                    onClick={() => setSelected(o.id)}
                  >
                    {o.name}
                  </button>
                  {o.id === me && <span className="muted"> ({t('operators.you')})</span>}
                </th>
                <td>{o.email}</td>
                <td>{o.roles.map((r) => t(`roles.${r}`)).join(', ')}</td>
                <td>{o.disabled ? <span className="badge off">{t('operators.disabled')}</span> : t('operators.active')}</td>
                <td>
                  <OperatorTime iso={o.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && <Pager offset={offset} limit={PAGE} total={list.data.total} shown={list.data.items.length} onChange={setOffset} />}
      {current && (
        <EditOperator
          key={current.id}
          operator={current}
          onClose={() => setSelected(null)}
          onToken={(token) => setShown({ name: current.name, token })}
        />
      )}
    </section>
  );
}

function OperatorTime({ iso }: { iso: string }) {
  const { i18n } = useTranslation();
  return <time dateTime={iso}>{formatDateTime(iso, i18n.language)}</time>;
}

function CreateOperator({ onCreated }: { onCreated: (name: string, token: string) => void }) {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const create = useMutation({
    mutationFn: async () => unwrapForm(await api.POST('/operators', { body: { name, email, roles } })),
    onSuccess: (created) => {
      onCreated(created.name, created.token);
      setName('');
      setEmail('');
      setRoles([]);
      void queryClient.invalidateQueries({ queryKey: ['operators'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="panel admin-form" onSubmit={submit} aria-labelledby="create-operator">
      <h2 id="create-operator">{t('operators.create')}</h2>
      <Field label={t('operators.name')} error={reasonFor(create.error, 'name')}>
        {(p) => <input {...p} value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label={t('operators.email')} error={reasonFor(create.error, 'email')}>
        {(p) => <input {...p} type="email" value={email} required maxLength={320} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <CheckboxGroup
        legend={t('operators.roles')}
        options={ROLES}
        value={roles}
        onChange={setRoles}
        label={(r) => t(`roles.${r}`)}
        error={reasonFor(create.error, 'roles')}
      />
      <Refusal error={create.error} />
      <div>
        <button type="submit" className="primary" disabled={create.isPending}>
          {t('operators.createButton')}
        </button>
      </div>
    </form>
  );
}

function EditOperator({ operator, onClose, onToken }: { operator: Operator; onClose: () => void; onToken: (token: string) => void }) {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [name, setName] = useState(operator.name);
  const [roles, setRoles] = useState<Role[]>(operator.roles);
  const [saved, setSaved] = useState('');
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['operators'] });
  const update = useMutation({
    mutationFn: async (body: { name?: string; roles?: Role[]; disabled?: boolean }) =>
      unwrapForm(await api.PATCH('/operators/{id}', { params: { path: { id: operator.id } }, body })),
    onSuccess: (_updated, body) => {
      setSaved(
        body.disabled === true ? t('operators.wasDisabled') : body.disabled === false ? t('operators.wasEnabled') : t('operators.saved'),
      );
      refresh();
    },
  });
  const token = useMutation({
    mutationFn: async () => unwrapForm(await api.POST('/operators/{id}/token', { params: { path: { id: operator.id } } })),
    onSuccess: (answer) => onToken(answer.token),
  });
  const rolesChanged = roles.length !== operator.roles.length || roles.some((r) => !operator.roles.includes(r));
  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved('');
    const body = { ...(name.trim() !== operator.name ? { name } : {}), ...(rolesChanged ? { roles } : {}) };
    update.mutate(body);
  };
  const audit = (filter: string) => `/audit?${filter}`;

  return (
    <section className="panel" aria-labelledby="edit-operator">
      <h2 id="edit-operator">{t('operators.editTitle', { name: operator.name })}</h2>
      <p className="muted">
        {operator.email} · {operator.disabled ? t('operators.disabled') : t('operators.active')}
      </p>
      <form className="admin-form" onSubmit={save}>
        <Field label={t('operators.name')} error={reasonFor(update.error, 'name')}>
          {(p) => <input {...p} value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <CheckboxGroup
          legend={t('operators.roles')}
          options={ROLES}
          value={roles}
          onChange={setRoles}
          label={(r) => t(`roles.${r}`)}
          error={reasonFor(update.error, 'roles')}
        />
        {rolesChanged && <p className="muted">{t('operators.rolesEndSessions')}</p>}
        <div className="actions-row">
          <button type="submit" className="primary" disabled={update.isPending}>
            {t('operators.save')}
          </button>
          {operator.disabled ? (
            <button
              type="button"
              disabled={update.isPending}
              onClick={() => {
                setSaved('');
                update.mutate({ disabled: false });
              }}
            >
              {t('operators.enable')}
            </button>
          ) : (
            <button
              type="button"
              disabled={update.isPending}
              onClick={() => {
                setSaved('');
                update.mutate({ disabled: true });
              }}
            >
              {t('operators.disable')}
            </button>
          )}
          <button type="button" disabled={token.isPending} onClick={() => token.mutate()}>
            {t('operators.newToken')}
          </button>
        </div>
      </form>
      <p className="muted">{t('operators.disableNote')}</p>
      <p role="status">{saved}</p>
      <Refusal error={update.error ?? token.error} />
      <p>
        <Link to={audit(`actorId=${operator.id}`)}>{t('operators.auditBy')}</Link>
        {' · '}
        <Link to={audit(`entityType=operator&entityId=${operator.id}`)}>{t('operators.auditAbout')}</Link>
      </p>
      <button type="button" onClick={onClose}>
        {t('close')}
      </button>
    </section>
  );
}
