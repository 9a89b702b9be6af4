// What a responder does with an incident, one form each: notes with status updates, command, resolution, the
// postmortem. Each is an Update the workflow validates: a refusal shows the API's reason in its form, which keeps its
// input; the answer is the incident as the decision left it.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { ErrorNote } from '../../components/page.tsx';
import { formatDateTime } from '../../format.ts';
import { isManager, PROGRESS_STATUSES, useWho, type Incident, type ProgressStatus } from './incidents-api.ts';

export const detailKey = (id: string) => ['incidents', 'detail', id];
const RESPONDERS = 20;

/** An action's mutation: its answer is the incident as the decision left it; the lists and stats refresh. */
export function useAction<B>(id: string, send: (body: B) => Promise<Incident>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    // A refusal may mean the incident moved on (acknowledged or resolved by someone else): show where it is now.
    onError: () => void queryClient.invalidateQueries({ queryKey: detailKey(id) }),
    onSuccess: (updated) => {
      queryClient.setQueryData(detailKey(id), updated);
      void queryClient.invalidateQueries({ queryKey: ['incidents'], predicate: (q) => q.queryKey[1] !== 'detail' });
    },
  });
}

export function NoteForm({ incident }: { incident: Incident }) {
  const { t } = useTranslation('incidents');
  const [note, setNote] = useState('');
  const [status, setStatus] = useState<ProgressStatus | ''>('');
  const post = useAction(incident.id, async (body: { note: string; status?: ProgressStatus }) =>
    unwrap(await api.POST('/incidents/{id}/notes', { params: { path: { id: incident.id } }, body })),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    post.mutate(
      { note: note.trim(), ...(status ? { status } : {}) },
      {
        onSuccess: () => {
          setNote('');
          setStatus('');
        },
      },
    );
  };
  return (
    <form className="panel actions" onSubmit={submit} aria-labelledby="incident-note-title">
      <h3 id="incident-note-title">{t('respond.noteHeading')}</h3>
      <ErrorNote error={post.error} />
      <label htmlFor="incident-note">{t('respond.note')}</label>
      <textarea id="incident-note" rows={3} maxLength={5000} required value={note} onChange={(e) => setNote(e.target.value)} />
      <label htmlFor="incident-status">{t('respond.status')}</label>
      <select id="incident-status" value={status} onChange={(e) => setStatus(e.target.value as ProgressStatus | '')}>
        <option value="">{t('respond.noStatus')}</option>
        {PROGRESS_STATUSES.map((s) => (
          <option key={s} value={s}>
            {t(`statuses.${s}`)}
          </option>
        ))}
      </select>
      <div>
        <button type="submit" disabled={post.isPending || !note.trim()}>
          {t('respond.post')}
        </button>
      </div>
    </form>
  );
}

/**
 * The workflow's rule, to say it before a click: with a commander set, only they or an ops manager (or admin) hand
 * over command, resolve or submit the postmortem. The forms stay: the API decides, and a refusal keeps its reason
 * and the words typed.
 */
function OnlyCommander({ incident, session }: { incident: Incident; session: Session }) {
  const { t } = useTranslation('incidents');
  const who = useWho(session.operator.id, incident.people);
  if (!incident.commanderId || incident.commanderId === session.operator.id || isManager(session)) return null;
  return <p className="muted">{t('respond.onlyCommander', { who: who(incident.commanderId) })}</p>;
}

export function CommandForm({ incident, session }: { incident: Incident; session: Session }) {
  const me = session.operator.id;
  const { t } = useTranslation('incidents');
  const who = useWho(me, incident.people);
  const [search, setSearch] = useState('');
  const [operatorId, setOperatorId] = useState('');
  const q = search.trim();
  // Whom command can go to, by name, searched on the server: usable with any number of operators.
  const responders = useQuery({
    queryKey: ['incidents', 'responders', q],
    queryFn: async () => unwrap(await api.GET('/incidents/responders', { params: { query: { limit: RESPONDERS, ...(q ? { q } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  const choices = (responders.data?.items ?? []).filter((r) => r.id !== incident.commanderId);
  const chosen = choices.some((r) => r.id === operatorId) ? operatorId : '';
  const hand = useAction(incident.id, async (to: string) =>
    unwrap(await api.POST('/incidents/{id}/commander', { params: { path: { id: incident.id } }, body: { operatorId: to } })),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosen)
      hand.mutate(chosen, {
        onSuccess: () => {
          setOperatorId('');
          setSearch('');
        },
      });
  };
  const more = responders.data && responders.data.total > responders.data.items.length;
  return (
    <form className="panel actions" onSubmit={submit} aria-labelledby="incident-command-title">
      <h3 id="incident-command-title">{t('respond.commandHeading')}</h3>
      <p>{t('respond.commander', { who: who(incident.commanderId) })}</p>
      <ErrorNote error={hand.error ?? responders.error} />
      <OnlyCommander incident={incident} session={session} />
      {incident.commanderId !== me && (incident.commanderId === null || isManager(session)) && (
        <div>
          <button type="button" disabled={hand.isPending} onClick={() => hand.mutate(me)}>
            {t('respond.takeCommand')}
          </button>
        </div>
      )}
      <label htmlFor="incident-responder-search">{t('respond.findResponder')}</label>
      <input id="incident-responder-search" type="search" maxLength={200} value={search} onChange={(e) => setSearch(e.target.value)} />
      <label htmlFor="incident-commander">{t('respond.handOverTo')}</label>
      <select
        id="incident-commander"
        value={chosen}
        onChange={(e) => setOperatorId(e.target.value)}
        aria-describedby="incident-commander-help"
      >
        <option value="">{choices.length ? t('respond.choose') : t('respond.noResponders')}</option>
        {choices.map((r) => (
          <option key={r.id} value={r.id}>
            {r.id === me ? `${r.name} (${t('me')})` : r.name} · {r.roles.join(', ')}
          </option>
        ))}
      </select>
      <span id="incident-commander-help" className="muted">
        {more ? t('respond.narrow', { total: responders.data!.total }) : t('respond.handOverHelp')}
      </span>
      <div>
        <button type="submit" disabled={hand.isPending || !chosen}>
          {t('respond.handOver')}
        </button>
      </div>
    </form>
  );
}

export function ResolveForm({ incident, session }: { incident: Incident; session: Session }) {
  const { t } = useTranslation('incidents');
  const [resolution, setResolution] = useState('');
  const resolve = useAction(incident.id, async (text: string) =>
    unwrap(await api.POST('/incidents/{id}/resolve', { params: { path: { id: incident.id } }, body: { resolution: text } })),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resolve.mutate(resolution.trim());
  };
  return (
    <form className="panel actions" onSubmit={submit} aria-labelledby="incident-resolve-title">
      <h3 id="incident-resolve-title">{t('respond.resolveHeading')}</h3>
      {incident.status === 'triggered' && <p className="muted">{t('respond.resolveAcks')}</p>}
      <OnlyCommander incident={incident} session={session} />
      <ErrorNote error={resolve.error} />
      <label htmlFor="incident-resolution">{t('respond.resolution')}</label>
      <textarea
        id="incident-resolution"
        rows={3}
        maxLength={5000}
        required
        value={resolution}
        onChange={(e) => setResolution(e.target.value)}
      />
      <div>
        <button type="submit" className="primary" disabled={resolve.isPending || !resolution.trim()}>
          {t('respond.resolve')}
        </button>
      </div>
    </form>
  );
}

export function PostmortemForm({ incident, session }: { incident: Incident; session: Session }) {
  const { t, i18n } = useTranslation('incidents');
  const [summary, setSummary] = useState('');
  const [rootCause, setRootCause] = useState('');
  const [actionItems, setActionItems] = useState('');
  const submit = useAction(incident.id, async (body: { summary: string; rootCause: string; actionItems: string[] }) =>
    unwrap(await api.POST('/incidents/{id}/postmortem', { params: { path: { id: incident.id } }, body })),
  );
  const send = (e: FormEvent) => {
    e.preventDefault();
    submit.mutate({
      summary: summary.trim(),
      rootCause: rootCause.trim(),
      actionItems: actionItems
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    });
  };
  const due = incident.postmortem?.dueAt;
  return (
    <form className="panel actions" onSubmit={send} aria-labelledby="incident-postmortem-form-title">
      <h3 id="incident-postmortem-form-title">{t('postmortem.formHeading')}</h3>
      {due && <p className="muted">{t('postmortem.due', { time: formatDateTime(due, i18n.language) })}</p>}
      <OnlyCommander incident={incident} session={session} />
      <ErrorNote error={submit.error} />
      <label htmlFor="incident-pm-summary">{t('postmortem.summary')}</label>
      <textarea
        id="incident-pm-summary"
        rows={4}
        maxLength={20_000}
        required
        value={summary}
        onChange={(e) => setSummary(e.target.value)}
      />
      <label htmlFor="incident-pm-cause">{t('postmortem.rootCause')}</label>
      <textarea
        id="incident-pm-cause"
        rows={3}
        maxLength={20_000}
        required
        value={rootCause}
        onChange={(e) => setRootCause(e.target.value)}
      />
      <label htmlFor="incident-pm-items">{t('postmortem.actionItems')}</label>
      <textarea
        id="incident-pm-items"
        rows={3}
        aria-describedby="incident-pm-items-help"
        value={actionItems}
        onChange={(e) => setActionItems(e.target.value)}
      />
      <span id="incident-pm-items-help" className="muted">
        {t('postmortem.actionItemsHelp')}
      </span>
      <div>
        <button type="submit" className="primary" disabled={submit.isPending || !summary.trim() || !rootCause.trim()}>
          {t('postmortem.submit')}
        </button>
      </div>
    </form>
  );
}
