// One incident: its live state and timeline from the workflow, and what a responder does with it: acknowledge (one
// button: the page email's link lands here), then the forms of IncidentActions.tsx; the postmortem once written.
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, unwrap, type Session } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Timeline, type TimelineEntry } from '../../components/Timeline.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { Link } from '../../router.tsx';
import { Severity, StatusBadge } from './badges.tsx';
import { CommandForm, detailKey, NoteForm, PostmortemForm, ResolveForm, useAction } from './IncidentActions.tsx';
import { formatSeconds, isOpen, isResponder, useWho, type Incident, type TimelineItem } from './incidents-api.ts';

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
        <p>
          <Link to="/">{t('detail.back')}</Link>
        </p>
      </section>
    );
  }
  const responder = isResponder(session);
  const me = session.operator.id;

  return (
    <article aria-labelledby="incident-title" className="incident">
      <p>
        <Link to="/">{t('detail.back')}</Link>
      </p>
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
          <p>
            {t('ack.paging', { level: data.escalation?.level ?? 0, pages: data.escalation?.pages ?? 0 })}
            {data.escalation?.nextPageAt && <> {t('ack.nextPage', { time: formatRelative(data.escalation.nextPageAt, i18n.language) })}</>}
          </p>
          {responder ? (
            <button type="button" className="primary" disabled={ack.isPending} onClick={() => ack.mutate()}>
              {t('ack.button')}
            </button>
          ) : (
            <p className="muted">{t('ack.notResponder')}</p>
          )}
        </section>
      )}
      {/* Outside the panel: a refused acknowledgement (someone was quicker) keeps its reason once the panel is gone. */}
      <ErrorNote error={ack.error} />
      {ack.isSuccess && (
        <p role="status" className="incident-done">
          {t('ack.done')}
        </p>
      )}

      <section aria-labelledby="incident-summary-title">
        <h2 id="incident-summary-title">{t('detail.summary')}</h2>
        <Summary incident={data} me={me} />
      </section>

      {responder && data.status !== 'closed' && data.source === 'workflow' && (
        <section aria-labelledby="incident-respond-title">
          <h2 id="incident-respond-title">{t('respond.heading')}</h2>
          <div className="incident-forms">
            <NoteForm incident={data} />
            <CommandForm incident={data} session={session} />
            {isOpen(data.status) && <ResolveForm incident={data} session={session} />}
            {data.postmortem?.required && data.status === 'resolved' && data.postmortem.status !== 'done' && (
              <PostmortemForm incident={data} session={session} />
            )}
          </div>
        </section>
      )}

      {data.postmortem?.required && <PostmortemView incident={data} me={me} />}

      <section aria-labelledby="incident-timeline-title">
        <h2 id="incident-timeline-title">{t('timeline.heading')}</h2>
        {data.timeline.length === 0 ? (
          <p className="muted">{t('timeline.empty')}</p>
        ) : (
          <Timeline entries={toEntries(data.timeline)} label={t('timeline.heading')} />
        )}
      </section>
    </article>
  );

  function toEntries(items: TimelineItem[]): TimelineEntry[] {
    return items.map((e) => {
      const targets = e.type === 'paged' && Array.isArray(e.details?.targets) ? (e.details.targets as Target[]) : null;
      const detail = targets ? <Targets targets={targets} me={me} people={data!.people} /> : detailOf(e);
      return { at: e.at, title: <TimelineTitle entry={e} me={me} people={data!.people} />, ...(detail ? { detail } : {}) };
    });
  }
}

type Target = { operatorId?: string; role?: string };

/** Whom a level pages: operators by name, roles by name. */
function Targets({ targets, me, people }: { targets: Target[]; me: string; people: Record<string, string> }) {
  const { t } = useTranslation('incidents');
  const who = useWho(me, people);
  return <>{targets.map((target) => (target.operatorId ? who(target.operatorId) : t('role', { role: target.role }))).join(', ')}</>;
}

/** What the entry's message adds: people's words and the rule's reasons; the system's own sentences are in the title. */
function detailOf(e: TimelineItem): string | undefined {
  if (
    ['paged', 'escalation_exhausted', 'postmortem_done', 'closed', 'nobody_paged', 'postmortem_requested', 'postmortem_overdue'].includes(
      e.type,
    )
  )
    return undefined;
  if (e.type === 'acknowledged' && e.message.startsWith('acknowledged')) return undefined;
  return e.message;
}

function TimelineTitle({ entry, me, people }: { entry: TimelineItem; me: string; people: Record<string, string> }) {
  const { t } = useTranslation('incidents');
  const who = useWho(me, people);
  const d = entry.details ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const text =
    entry.type === 'status'
      ? t('timeline.status', { status: t(`statuses.${String(d.status)}`) })
      : entry.type === 'paged'
        ? num(d.pass) > 0
          ? t('timeline.pagedAgain', { level: num(d.level), pass: num(d.pass) })
          : t('timeline.paged', { level: num(d.level) })
        : entry.type === 'nobody_paged'
          ? t('timeline.nobody_paged', { level: num(d.level) })
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
  const trigger = i.trigger as { type?: string; ruleId?: string; ruleName?: string; episode?: number; operatorId?: string };
  const labels = Object.entries(i.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const esc = i.escalation;
  const items: [string, ReactNode][] = [
    [t('facts.severity'), t(`severities.${i.severity}`)],
    [t('facts.status'), t(`statuses.${i.status}`)],
    [
      t('facts.trigger'),
      trigger.type === 'rule' ? (
        <>
          <Link to={`~/console/metrics/rules/${trigger.ruleId}`}>{trigger.ruleName}</Link>{' '}
          <span className="muted">{t('facts.episode', { episode: trigger.episode ?? 1 })}</span>
        </>
      ) : (
        t('facts.byHand', { who: who(trigger.operatorId) })
      ),
    ],
    [t('facts.triggeredAt'), at(i.triggeredAt)],
    [
      t('facts.ackDueAt'),
      i.ackDueAt ? (
        <>
          {at(i.ackDueAt)}
          {i.ackSla && <span className="muted"> ({i.ackSla})</span>}
        </>
      ) : (
        t('facts.noSla')
      ),
    ],
    [
      t('facts.acknowledged'),
      i.acknowledgedAt ? (
        <>
          {at(i.acknowledgedAt)} · {who(i.acknowledgedBy)}
        </>
      ) : (
        t('facts.notYet')
      ),
    ],
    [t('facts.timeToAcknowledge'), i.timeToAcknowledgeSeconds === null ? null : formatSeconds(i.timeToAcknowledgeSeconds, i18n.language)],
    [t('facts.commander'), who(i.commanderId)],
    ...(esc
      ? ([
          [t('facts.policy'), esc.policyName],
          [
            t('facts.levels'),
            <ol className="incident-levels">
              {esc.levels.map((level, n) => (
                <li key={n}>
                  <Targets targets={level.targets} me={me} people={i.people} />
                  {level.wait && <span className="muted"> ({t('facts.wait', { wait: level.wait })})</span>}
                </li>
              ))}
            </ol>,
          ],
          [t('facts.paging'), t('facts.pagingValue', { level: esc.level, levels: esc.levels.length, pages: esc.pages })],
          [t('facts.nextPage'), esc.nextPageAt ? at(esc.nextPageAt) : esc.exhausted ? t('facts.exhausted') : t('facts.noNextPage')],
        ] as [string, ReactNode][])
      : []),
    ...(i.service ? ([[t('facts.service'), i.service]] as [string, ReactNode][]) : []),
    ...(labels ? ([[t('facts.labels'), labels]] as [string, ReactNode][]) : []),
    [t('facts.firings'), i.firings],
    [
      t('facts.resolved'),
      i.resolvedAt ? (
        <>
          {at(i.resolvedAt)} · {who(i.resolvedBy)}
        </>
      ) : (
        t('facts.notYet')
      ),
    ],
    [t('facts.timeToResolve'), i.timeToResolveSeconds === null ? null : formatSeconds(i.timeToResolveSeconds, i18n.language)],
    ...(i.resolution ? ([[t('facts.resolution'), i.resolution]] as [string, ReactNode][]) : []),
  ];
  return <Facts items={items} />;
}

function PostmortemView({ incident, me }: { incident: Incident; me: string }) {
  const { t, i18n } = useTranslation('incidents');
  const who = useWho(me, incident.people);
  const pm = incident.postmortem!;
  return (
    <section aria-labelledby="incident-postmortem-title">
      <h2 id="incident-postmortem-title">{t('postmortem.heading')}</h2>
      <Facts
        items={[
          [t('postmortem.status'), t(`postmortem.statuses.${pm.status}`)],
          [t('postmortem.dueAt'), pm.dueAt ? formatDateTime(pm.dueAt, i18n.language) : null],
          ...(pm.completedAt
            ? ([[t('postmortem.completed'), `${formatDateTime(pm.completedAt, i18n.language)} · ${who(pm.completedBy)}`]] as [
                string,
                ReactNode,
              ][])
            : []),
        ]}
      />
      {pm.summary && (
        <>
          <h3>{t('postmortem.summary')}</h3>
          <p className="incident-text">{pm.summary}</p>
        </>
      )}
      {pm.rootCause && (
        <>
          <h3>{t('postmortem.rootCause')}</h3>
          <p className="incident-text">{pm.rootCause}</p>
        </>
      )}
      {pm.actionItems.length > 0 && (
        <>
          <h3>{t('postmortem.actionItems')}</h3>
          <ul>
            {pm.actionItems.map((item, n) => (
              <li key={n}>{item}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
