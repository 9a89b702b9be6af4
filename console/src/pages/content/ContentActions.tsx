// The author's changes to unpublished content (admins' too): move the publish time, withdraw, and submit a revision
// once the reviewers asked for changes. The workflow decides; its refusal is shown and the input stays.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Session } from '../../api/client.ts';
import { timeZone } from '../../format.ts';
import { ErrorNote } from '../../components/page.tsx';
import { canChange, FieldRefusal, fromLocalInput, isFinal, toLocalInput, unwrapWithFields, type ContentDetail } from './content-api.ts';

export function ContentActions({ c, session }: { c: ContentDetail; session: Session }) {
  const { t } = useTranslation('content');
  if (isFinal(c.stage) || c.source !== 'workflow' || !canChange(session, c)) return null;
  return (
    <section aria-labelledby="content-actions-title" className="panel content-actions">
      <h2 id="content-actions-title">{t('detail.actions')}</h2>
      {c.stage === 'changes_requested' && <Revise c={c} />}
      <Schedule c={c} />
      <Withdraw c={c} />
    </section>
  );
}

/** Writes answer the new state: the page shows it at once, and the list refreshes. */
function useContentChange(c: ContentDetail) {
  const queryClient = useQueryClient();
  return (send: () => Promise<ContentDetail>) => ({
    mutationFn: send,
    onSuccess: (updated: ContentDetail) => {
      queryClient.setQueryData(['content', 'detail', c.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['content'] });
    },
  });
}

/** A refusal with its field messages on one line; anything else (an outage) as every page says it. */
function Refusal({ error }: { error: Error | null }) {
  if (!(error instanceof FieldRefusal)) return <ErrorNote error={error} />;
  return (
    <p role="alert" className="error">
      {[error.summary, ...Object.values(error.fields).flat()].join('; ')}
    </p>
  );
}

function Schedule({ c }: { c: ContentDetail }) {
  const { t } = useTranslation('content');
  const change = useContentChange(c);
  const [value, setValue] = useState(toLocalInput(c.publishAt));
  const reschedule = useMutation(
    change(async () => {
      const publishAt = fromLocalInput(value) ?? null;
      return unwrapWithFields(await api.PATCH('/content/{id}/schedule', { params: { path: { id: c.id } }, body: { publishAt } }));
    }),
  );
  const clear = useMutation(
    change(async () =>
      unwrapWithFields(await api.PATCH('/content/{id}/schedule', { params: { path: { id: c.id } }, body: { publishAt: null } })),
    ),
  );
  const save = (e: FormEvent) => {
    e.preventDefault();
    clear.reset();
    reschedule.mutate();
  };
  const busy = reschedule.isPending || clear.isPending;

  return (
    <form onSubmit={save} aria-labelledby="content-schedule-title">
      <h3 id="content-schedule-title">{t('detail.schedule')}</h3>
      <label htmlFor="content-schedule-input">{t('detail.publishAt')}</label>
      <input
        id="content-schedule-input"
        type="datetime-local"
        required
        value={value}
        onChange={(e) => setValue(e.target.value)}
        aria-describedby="content-schedule-help"
      />
      <p id="content-schedule-help" className="muted help">
        {t('detail.scheduleHelp', { zone: t('app.timezone', { zone: timeZone() }) })}
      </p>
      <Refusal error={reschedule.error ?? clear.error} />
      {(reschedule.isSuccess || clear.isSuccess) && <p role="status">{t('detail.scheduled')}</p>}
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {t('detail.moveSchedule')}
        </button>
        {c.publishAt && (
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              reschedule.reset();
              clear.mutate(undefined, { onSuccess: () => setValue('') });
            }}
          >
            {t('detail.publishOnApproval')}
          </button>
        )}
      </div>
    </form>
  );
}

function Withdraw({ c }: { c: ContentDetail }) {
  const { t } = useTranslation('content');
  const change = useContentChange(c);
  const [reason, setReason] = useState('');
  const withdraw = useMutation(
    change(async () =>
      unwrapWithFields(
        await api.POST('/content/{id}/withdraw', {
          params: { path: { id: c.id } },
          body: reason.trim() ? { reason: reason.trim() } : {},
        }),
      ),
    ),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    withdraw.mutate();
  };
  return (
    <form onSubmit={submit} aria-labelledby="content-withdraw-title">
      <h3 id="content-withdraw-title">{t('detail.withdraw')}</h3>
      <p className="muted">{t('detail.withdrawHelp')}</p>
      <label htmlFor="content-withdraw-reason">{t('detail.withdrawReason')}</label>
      <textarea id="content-withdraw-reason" rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
      <Refusal error={withdraw.error} />
      <div className="form-actions">
        <button type="submit" className="danger" disabled={withdraw.isPending}>
          {t('detail.withdrawButton')}
        </button>
      </div>
    </form>
  );
}

function Revise({ c }: { c: ContentDetail }) {
  const { t } = useTranslation('content');
  const change = useContentChange(c);
  const [title, setTitle] = useState(c.title);
  const [body, setBody] = useState(c.body ?? '');
  const revise = useMutation(
    change(async () =>
      unwrapWithFields(
        await api.POST('/content/{id}/revisions', {
          params: { path: { id: c.id } },
          body: { title, body },
        }),
      ),
    ),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    revise.mutate();
  };
  const fields = revise.error instanceof FieldRefusal ? revise.error.fields : {};
  return (
    <form onSubmit={submit} aria-labelledby="content-revise-title">
      <h3 id="content-revise-title">{t('detail.revise')}</h3>
      <p className="muted">{t('detail.reviseHelp')}</p>
      <Refusal error={revise.error} />
      {revise.isSuccess && <p role="status">{t('detail.revised')}</p>}
      <label htmlFor="content-revise-title-input">{t('form.fieldTitle')}</label>
      <input
        id="content-revise-title-input"
        required
        maxLength={1000}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        aria-invalid={fields.title ? true : undefined}
      />
      <label htmlFor="content-revise-body">{t('form.body')}</label>
      <textarea
        id="content-revise-body"
        required
        rows={8}
        maxLength={200_000}
        value={body}
        onChange={(e) => setBody(e.target.value)}
        aria-invalid={fields.body ? true : undefined}
      />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={revise.isPending}>
          {t('detail.reviseButton')}
        </button>
      </div>
    </form>
  );
}
