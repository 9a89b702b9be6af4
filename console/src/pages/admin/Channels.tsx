// Publishing channels: the list, add one (its signing secret is answered once and shown once), change a channel's
// URL or secret, or disable it. The API has no delete: a channel content was published to stays on record.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';
import { Loading, usePageTitle } from '../../components/page.tsx';
import { formatDateTime } from '../../format.ts';
import { Field, reasonFor, Refusal, ShownOnce, unwrapForm } from './shared.tsx';

type Channel = paths['/channels']['get']['responses']['200']['content']['application/json']['items'][number];

export function Channels() {
  const { t, i18n } = useTranslation('admin');
  usePageTitle(t('channels.title'));
  const [selected, setSelected] = useState<string | null>(null);
  const [shown, setShown] = useState<{ name: string; secret: string } | null>(null);
  // Channels are a handful (each is a publishing target), and the API lists them whole.
  const list = useQuery({ queryKey: ['channels'], queryFn: async () => unwrapForm(await api.GET('/channels')) });
  const current = list.data?.items.find((c) => c.id === selected);

  return (
    <section aria-labelledby="channels-title">
      <h1 id="channels-title">{t('channels.title')}</h1>
      {shown && (
        <ShownOnce
          title={t('channels.secretFor', { name: shown.name })}
          label={t('channels.secretValue')}
          value={shown.secret}
          onDone={() => setShown(null)}
        />
      )}
      <AddChannel onAdded={(name, secret) => setShown({ name, secret })} />
      <h2>{t('channels.list')}</h2>
      <Refusal error={list.error} />
      {list.isPending && <Loading />}
      {list.data && list.data.items.length === 0 && <p>{t('channels.none')}</p>}
      {list.data && list.data.items.length > 0 && (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">{t('channels.name')}</th>
              <th scope="col">{t('channels.url')}</th>
              <th scope="col">{t('channels.status')}</th>
              <th scope="col">{t('channels.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((c) => (
              <tr key={c.id} className={c.id === selected ? 'selected' : undefined}>
                <th scope="row">
                  <button
                    type="button"
                    className="link"
                    aria-label={t('channels.edit', { name: c.name })}
                    onClick={() => setSelected(c.id)}
                  >
                    {c.name}
                  </button>
                </th>
                <td className="wrap">{c.url}</td>
                <td>{c.enabled ? t('channels.enabled') : <span className="badge off">{t('channels.off')}</span>}</td>
                <td>
                  <time dateTime={c.updatedAt}>{formatDateTime(c.updatedAt, i18n.language)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {current && <EditChannel key={current.id} channel={current} onClose={() => setSelected(null)} />}
    </section>
  );
}

function AddChannel({ onAdded }: { onAdded: (name: string, secret: string) => void }) {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const add = useMutation({
    mutationFn: async () => unwrapForm(await api.POST('/channels', { body: { name, url, ...(secret ? { secret } : {}) } })),
    onSuccess: (created) => {
      // A secret the admin typed is theirs already; a generated one is shown once.
      if (!secret) onAdded(created.name, created.secret);
      setName('');
      setUrl('');
      setSecret('');
      void queryClient.invalidateQueries({ queryKey: ['channels'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <form className="panel admin-form" onSubmit={submit} aria-labelledby="add-channel">
      <h2 id="add-channel">{t('channels.add')}</h2>
      <Field label={t('channels.name')} hint={t('channels.nameHint')} error={reasonFor(add.error, 'name')}>
        {(p) => <input {...p} value={name} required maxLength={100} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label={t('channels.url')} hint={t('channels.urlHint')} error={reasonFor(add.error, 'url')}>
        {(p) => <input {...p} type="url" value={url} required maxLength={2000} size={60} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <Field label={t('channels.secret')} hint={t('channels.secretHint')} error={reasonFor(add.error, 'secret')}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={secret}
            maxLength={200}
            onChange={(e) => setSecret(e.target.value)}
          />
        )}
      </Field>
      <Refusal error={add.error} />
      <div>
        <button type="submit" className="primary" disabled={add.isPending}>
          {t('channels.addButton')}
        </button>
      </div>
    </form>
  );
}

function EditChannel({ channel, onClose }: { channel: Channel; onClose: () => void }) {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [url, setUrl] = useState(channel.url);
  const [secret, setSecret] = useState('');
  const [enabled, setEnabled] = useState(channel.enabled);
  const [saved, setSaved] = useState(false);
  const update = useMutation({
    mutationFn: async () =>
      unwrapForm(
        await api.PATCH('/channels/{id}', {
          params: { path: { id: channel.id } },
          body: {
            ...(url !== channel.url ? { url } : {}),
            ...(secret ? { secret } : {}),
            ...(enabled !== channel.enabled ? { enabled } : {}),
          },
        }),
      ),
    onSuccess: () => {
      setSaved(true);
      setSecret('');
      void queryClient.invalidateQueries({ queryKey: ['channels'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    update.mutate();
  };
  return (
    <form className="panel admin-form" onSubmit={submit} aria-labelledby="edit-channel">
      <h2 id="edit-channel">{t('channels.editTitle', { name: channel.name })}</h2>
      <Field label={t('channels.url')} error={reasonFor(update.error, 'url')}>
        {(p) => <input {...p} type="url" value={url} required maxLength={2000} size={60} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <Field label={t('channels.newSecret')} hint={t('channels.newSecretHint')} error={reasonFor(update.error, 'secret')}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={secret}
            maxLength={200}
            onChange={(e) => setSecret(e.target.value)}
          />
        )}
      </Field>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t('channels.enabledLabel')}
      </label>
      <p className="muted">{t('channels.noDelete')}</p>
      <Refusal error={update.error} />
      <p role="status">{saved ? t('channels.saved') : ''}</p>
      <div className="actions-row">
        <button type="submit" className="primary" disabled={update.isPending}>
          {t('channels.save')}
        </button>
        <button type="button" onClick={onClose}>
          {t('close')}
        </button>
      </div>
    </form>
  );
}
