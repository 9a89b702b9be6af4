// One incident: its live state and timeline from the workflow, and what a responder does with it: acknowledge (one
// button: the page email's link lands here), notes with status updates, command, resolve, the postmortem. Each action
// is an Update the workflow validates: a refusal shows the API's reason beside its form, and the form keeps its input.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, unwrap, type Session } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Timeline, type TimelineEntry } from '../../components/Timeline.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { Link } from '../../router.tsx';
import { Severity, StatusBadge } from './IncidentList.tsx';
import { formatSeconds, isOpen, isResponder, PROGRESS_STATUSES, type Incident, type ProgressStatus, type TimelineItem } from './incidents-api.ts';

const detailKey = (id: string) => ['incidents', 'detail', id];
const RESPONDERS = 20;

/** The operator behind an id: me, or their name (the answer's `people`), else a short id. */
function useWho(me: string, people: Record<string, string>) {
  const { t } = useTranslation('incidents');
  return (id: string | null | undefined): string =>
    (!id ? t('nobody') : id === me ? t('me') : people[id] ?? t('operator', { id: id.slice(0, 8) }));
}

/** An action's mutation: its answer is the incident as the decision left it; the lists and stats refresh. */
function useAction<B>(id: string, send: (body: B) => Promise<Incident>) {
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

export function IncidentDetail({ id, session }: { id: string; session: Session }) {
  const { t, i18n } = useTranslation('incidents');
  const incident = useQuery({
    queryKey: detailKey(id),
    queryFn: async () => unwrap(await api.GET('/incidents/{id}', { params: { path: { id } } })),
    // Paging, rule firings and other responders' notes arrive while it is open.
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'closed' ? 10_000 : false),
  });
  const data = incident.data;
  usePageTitle(data ? `${data.severity} · ${data.title}` : t('detail.title'));
  const ack = useAction(id, async (_: void) => unwrap(await api.POST('/incidents/{id}/ack', { params: { path: { id } }, body: {} })));

  if (incident.isPending) return <Loading />;
  if (!data) {
    const missing = incident.error instanceof ApiError && incident.error.status === 404;
    return (
      <section aria-labelledby="incident-title">
        <h1 id="incident-title">{missing ? t('detail.notFound') : t('detail.title')}</h1>
        <ErrorNote error={incident.error} />
        <p><Link to="/">{t('detail.back')}</Link></p>
      </section>
    );
  }
  const responder = isResponder(session);
  const me = session.operator.id;

  return (
    <article aria-labelledby="incident-title" className="incident">
      <p><Link to="/">{t('detail.back')}</Link></p>
      <h1 id="incident-title">{data.title}</h1>
      <p className="incident-meta">
        <Severity value={data.severity} /> <StatusBadge value={data.status} />
        {data.service && <span className="muted">{data.service}</span>}
        {data.source === 'read_model' && <span className="muted">{t('detail.archived')}</span>}
      </p>
      <ErrorNote error={incident.error} />

      {data.status === 'triggered' && (
        <section className="panel incident-ack" aria-labelledby="incident-ack-title">
          <h2 id="incident-ack-title">{t('ack.heading')}</h2>
          <p>{t('ack.paging', { level: data.escalation?.level ?? 0, pages: data.escalation?.pages ?? 0 })}
            {data.escalation?.nextPageAt && <> {t('ack.nextPage', { time: formatRelative(data.escalation.nextPageAt, i18n.language) })}</>}
          </p>
          {responder
            ? <button type="button" className="primary" disabled={ack.isPending} onClick={() => ack.mutate()}>{t('ack.button')}</button>
            : <p className="muted">{t('ack.notResponder')}</p>}
        </section>
      )}
      {/* Outside the panel: a refused acknowledgement (someone was quicker) keeps its reason once the panel is gone. */}
      <ErrorNote error={ack.error} />
      {ack.isSuccess && <p role="status" className="incident-done">{t('ack.done')}</p>}

      <section aria-labelledby="incident-summary-title">
        <h2 id="incident-summary-title">{t('detail.summary')}</h2>
        <Summary incident={data} me={me} />
      </section>

      {responder && data.status !== 'closed' && data.source === 'workflow' && (
        <section aria-labelledby="incident-respond-title">
          <h2 id="incident-respond-title">{t('respond.heading')}</h2>
          <div className="incident-forms">
            <NoteForm incident={data} />
            <CommandForm incident={data} me={me} />
            {isOpen(data.status) && <ResolveForm incident={data} />}
            {data.postmortem?.required && data.status === 'resolved' && data.postmortem.status !== 'done' && <PostmortemForm incident={data} />}
          </div>
        </section>
      )}

      {data.postmortem?.required && <PostmortemView incident={data} me={me} />}

      <section aria-labelledby="incident-timeline-title">
        <h2 id="incident-timeline-title">{t('timeline.heading')}</h2>
        {data.timeline.length === 0 ? <p className="muted">{t('timeline.empty')}</p> : <Timeline entries={toEntries(data.timeline)} label={t('timeline.heading')} />}
      </section>
    </article>
  );

  function toEntries(items: TimelineItem[]): TimelineEntry[] {
    return items.map((e) => ({ at: e.at, title: <TimelineTitle entry={e} me={me} people={data!.people} />, ...(detailOf(e) ? { detail: detailOf(e) } : {}) }));
  }
}

/** What the entry's message adds: people's words and the rule's reasons; the system's own sentences are in the title. */
function detailOf(e: TimelineItem): string | undefined {
  if (['paged', 'escalation_exhausted', 'postmortem_done', 'closed', 'nobody_paged', 'postmortem_requested', 'postmortem_overdue'].includes(e.type)) return undefined;
  if (e.type === 'acknowledged' && e.message.startsWith('acknowledged')) return undefined;
  return e.message;
}

function TimelineTitle({ entry, me, people }: { entry: TimelineItem; me: string; people: Record<string, string> }) {
  const { t } = useTranslation('incidents');
  const who = useWho(me, people);
  const d = entry.details ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const text = entry.type === 'status' ? t('timeline.status', { status: t(`statuses.${String(d.status)}`) })
    : entry.type === 'paged' ? (num(d.pass) > 0 ? t('timeline.pagedAgain', { level: num(d.level), pass: num(d.pass) }) : t('timeline.paged', { level: num(d.level) }))
    : entry.type === 'nobody_paged' ? t('timeline.nobody_paged', { level: num(d.level) })
    : t(`timeline.types.${entry.type}`, { defaultValue: entry.type });
  return (
    <>
      <strong>{text}</strong>
      {entry.actorId && <span className="muted"> · {who(entry.actorId)}</span>}
    </>
  );
}

function Summary({ incident: i, me }: { incident: Incident; me: string }) {
  const { t, i18n } = useTranslation('incidents');
  const who = useWho(me, i.people);
  const at = (iso: string | null) => (iso ? <time dateTime={iso}>{formatDateTime(iso, i18n.language)}</time> : null);
  const trigger = i.trigger as { type?: string; ruleName?: string; episode?: number; operatorId?: string };
  const labels = Object.entries(i.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  const esc = i.escalation;
  const items: [string, ReactNode][] = [
    [t('facts.severity'), t(`severities.${i.severity}`)],
    [t('facts.status'), t(`statuses.${i.status}`)],
    [t('facts.trigger'), trigger.type === 'rule' ? t('facts.byRule', { name: trigger.ruleName ?? '', episode: trigger.episode ?? 1 }) : t('facts.byHand', { who: who(trigger.operatorId) })],
    [t('facts.triggeredAt'), at(i.triggeredAt)],
    [t('facts.ackDueAt'), i.ackDueAt ? <>{at(i.ackDueAt)}{i.ackSla && <span className="muted"> ({i.ackSla})</span>}</> : t('facts.noSla')],
    [t('facts.acknowledged'), i.acknowledgedAt ? <>{at(i.acknowledgedAt)} · {who(i.acknowledgedBy)}</> : t('facts.notYet')],
    [t('facts.timeToAcknowledge'), i.timeToAcknowledgeSeconds === null ? null : formatSeconds(i.timeToAcknowledgeSeconds, i18n.language)],
    [t('facts.commander'), who(i.commanderId)],
    ...(esc ? [
      [t('facts.policy'), esc.policyName],
      [t('facts.paging'), t('facts.pagingValue', { level: esc.level, levels: esc.levels.length, pages: esc.pages })],
      [t('facts.nextPage'), esc.nextPageAt ? at(esc.nextPageAt) : esc.exhausted ? t('facts.exhausted') : t('facts.noNextPage')],
    ] as [string, ReactNode][] : []),
    ...(i.service ? [[t('facts.service'), i.service]] as [string, ReactNode][] : []),
    ...(labels ? [[t('facts.labels'), labels]] as [string, ReactNode][] : []),
    [t('facts.firings'), i.firings],
    [t('facts.resolved'), i.resolvedAt ? <>{at(i.resolvedAt)} · {who(i.resolvedBy)}</> : t('facts.notYet')],
    [t('facts.timeToResolve'), i.timeToResolveSeconds === null ? null : formatSeconds(i.timeToResolveSeconds, i18n.language)],
    ...(i.resolution ? [[t('facts.resolution'), i.resolution]] as [string, ReactNode][] : []),
  ];
  return <Facts items={items} />;
}

function NoteForm({ incident }: { incident: Incident }) {
  const { t } = useTranslation('incidents');
  const [note, setNote] = useState('');
  const [status, setStatus] = useState<ProgressStatus | ''>('');
  const post = useAction(incident.id, async (body: { note: string; status?: ProgressStatus }) =>
    unwrap(await api.POST('/incidents/{id}/notes', { params: { path: { id: incident.id } }, body })));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    post.mutate({ note: note.trim(), ...(status ? { status } : {}) }, { onSuccess: () => { setNote(''); setStatus(''); } });
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
        {PROGRESS_STATUSES.map((s) => <option key={s} value={s}>{t(`statuses.${s}`)}</option>)}
      </select>
      <div><button type="submit" disabled={post.isPending || !note.trim()}>{t('respond.post')}</button></div>
    </form>
  );
}

function CommandForm({ incident, me }: { incident: Incident; me: string }) {
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
    unwrap(await api.POST('/incidents/{id}/commander', { params: { path: { id: incident.id } }, body: { operatorId: to } })));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosen) hand.mutate(chosen, { onSuccess: () => { setOperatorId(''); setSearch(''); } });
  };
  const more = responders.data && responders.data.total > responders.data.items.length;
  return (
    <form className="panel actions" onSubmit={submit} aria-labelledby="incident-command-title">
      <h3 id="incident-command-title">{t('respond.commandHeading')}</h3>
      <p>{t('respond.commander', { who: who(incident.commanderId) })}</p>
      <ErrorNote error={hand.error ?? responders.error} />
      {incident.commanderId !== me && (
        <div><button type="button" disabled={hand.isPending} onClick={() => hand.mutate(me)}>{t('respond.takeCommand')}</button></div>
      )}
      <label htmlFor="incident-responder-search">{t('respond.findResponder')}</label>
      <input id="incident-responder-search" type="search" maxLength={200} value={search} onChange={(e) => setSearch(e.target.value)} />
      <label htmlFor="incident-commander">{t('respond.handOverTo')}</label>
      <select id="incident-commander" value={chosen} onChange={(e) => setOperatorId(e.target.value)} aria-describedby="incident-commander-help">
        <option value="">{choices.length ? t('respond.choose') : t('respond.noResponders')}</option>
        {choices.map((r) => <option key={r.id} value={r.id}>{r.id === me ? `${r.name} (${t('me')})` : r.name} · {r.roles.join(', ')}</option>)}
      </select>
      <span id="incident-commander-help" className="muted">{more ? t('respond.narrow', { total: responders.data!.total }) : t('respond.handOverHelp')}</span>
      <div><button type="submit" disabled={hand.isPending || !chosen}>{t('respond.handOver')}</button></div>
    </form>
  );
}

function ResolveForm({ incident }: { incident: Incident }) {
  const { t } = useTranslation('incidents');
  const [resolution, setResolution] = useState('');
  const resolve = useAction(incident.id, async (text: string) =>
    unwrap(await api.POST('/incidents/{id}/resolve', { params: { path: { id: incident.id } }, body: { resolution: text } })));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resolve.mutate(resolution.trim());
  };
  return (
    <form className="panel actions" onSubmit={submit} aria-labelledby="incident-resolve-title">
      <h3 id="incident-resolve-title">{t('respond.resolveHeading')}</h3>
      {incident.status === 'triggered' && <p className="muted">{t('respond.resolveAcks')}</p>}
      <ErrorNote error={resolve.error} />
      <label htmlFor="incident-resolution">{t('respond.resolution')}</label>
      <textarea id="incident-resolution" rows={3} maxLength={5000} required value={resolution} onChange={(e) => setResolution(e.target.value)} />
      <div><button type="submit" className="primary" disabled={resolve.isPending || !resolution.trim()}>{t('respond.resolve')}</button></div>
    </form>
  );
}

function PostmortemForm({ incident }: { incident: Incident }) {
  const { t, i18n } = useTranslation('incidents');
  const [summary, setSummary] = useState('');
  const [rootCause, setRootCause] = useState('');
  const [actionItems, setActionItems] = useState('');
  const submit = useAction(incident.id, async (body: { summary: string; rootCause: string; actionItems: string[] }) =>
    unwrap(await api.POST('/incidents/{id}/postmortem', { params: { path: { id: incident.id } }, body })));
  const send = (e: FormEvent) => {
    e.preventDefault();
    submit.mutate({
      summary: summary.trim(), rootCause: rootCause.trim(),
      actionItems: actionItems.split('\n').map((line) => line.trim()).filter(Boolean),
    });
  };
  const due = incident.postmortem?.dueAt;
  return (
    <form className="panel actions" onSubmit={send} aria-labelledby="incident-postmortem-form-title">
      <h3 id="incident-postmortem-form-title">{t('postmortem.formHeading')}</h3>
      {due && <p className="muted">{t('postmortem.due', { time: formatDateTime(due, i18n.language) })}</p>}
      <ErrorNote error={submit.error} />
      <label htmlFor="incident-pm-summary">{t('postmortem.summary')}</label>
      <textarea id="incident-pm-summary" rows={4} maxLength={20_000} required value={summary} onChange={(e) => setSummary(e.target.value)} />
      <label htmlFor="incident-pm-cause">{t('postmortem.rootCause')}</label>
      <textarea id="incident-pm-cause" rows={3} maxLength={20_000} required value={rootCause} onChange={(e) => setRootCause(e.target.value)} />
      <label htmlFor="incident-pm-items">{t('postmortem.actionItems')}</label>
      <textarea id="incident-pm-items" rows={3} aria-describedby="incident-pm-items-help" value={actionItems} onChange={(e) => setActionItems(e.target.value)} />
      <span id="incident-pm-items-help" className="muted">{t('postmortem.actionItemsHelp')}</span>
      <div><button type="submit" className="primary" disabled={submit.isPending || !summary.trim() || !rootCause.trim()}>{t('postmortem.submit')}</button></div>
    </form>
  );
}

function PostmortemView({ incident, me }: { incident: Incident; me: string }) {
  const { t, i18n } = useTranslation('incidents');
  const who = useWho(me, incident.people);
  const pm = incident.postmortem!;
  return (
    <section aria-labelledby="incident-postmortem-title">
      <h2 id="incident-postmortem-title">{t('postmortem.heading')}</h2>
      <Facts items={[
        [t('postmortem.status'), t(`postmortem.statuses.${pm.status}`)],
        [t('postmortem.dueAt'), pm.dueAt ? formatDateTime(pm.dueAt, i18n.language) : null],
        ...(pm.completedAt ? [[t('postmortem.completed'), `${formatDateTime(pm.completedAt, i18n.language)} · ${who(pm.completedBy)}`]] as [string, ReactNode][] : []),
      ]} />
      {pm.summary && <><h3>{t('postmortem.summary')}</h3><p className="incident-text">{pm.summary}</p></>}
      {pm.rootCause && <><h3>{t('postmortem.rootCause')}</h3><p className="incident-text">{pm.rootCause}</p></>}
      {pm.actionItems.length > 0 && <><h3>{t('postmortem.actionItems')}</h3><ul>{pm.actionItems.map((item, n) => <li key={n}>{item}</li>)}</ul></>}
    </section>
  );
}
