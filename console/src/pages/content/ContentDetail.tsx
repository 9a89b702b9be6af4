// One item's live state from its workflow: facts, the text, the automated checks, approvals and the reviews still
// open, deliveries per channel, revisions and the timeline; the author's changes (schedule, withdraw, revise) below.
// It refreshes while the item is still moving, so a decision made in the inbox shows without a reload.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, type Session } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { HighlightedText } from '../../components/HighlightedText.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { RevisionDiff } from '../../components/RevisionDiff.tsx';
import { Timeline, type TimelineEntry } from '../../components/Timeline.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { Link } from '../../router.tsx';
import { ContentActions } from './ContentActions.tsx';
import { StageBadge, TierBadge } from './ContentList.tsx';
import { isFinal, unwrapWithFields, type ContentDetail as Detail } from './content-api.ts';

const LIVE_MS = 2_000;

export function ContentDetail({ id, session }: { id: string; session: Session }) {
  const { t } = useTranslation('content');
  const detail = useQuery({
    queryKey: ['content', 'detail', id],
    queryFn: async () => unwrapWithFields(await api.GET('/content/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => {
      const c = query.state.data;
      if (!c || query.state.error) return false;
      return !isFinal(c.stage) || c.deliveries.some((d) => d.status === 'pending') ? LIVE_MS : false;
    },
  });
  usePageTitle(detail.data?.title ?? t('title'));
  const c = detail.data;

  return (
    <section aria-labelledby="content-detail-title" className="content-detail">
      <p>
        <Link to="/">{t('detail.back')}</Link>
      </p>
      {!c && <h1 id="content-detail-title">{t('title')}</h1>}
      <ErrorNote error={detail.error} />
      {detail.isPending && <Loading />}
      {c && <Body c={c} session={session} />}
    </section>
  );
}

function Body({ c, session }: { c: Detail; session: Session }) {
  const { t, i18n } = useTranslation('content');
  const me = session.operator.id;
  const who = (id: string | null) => <Who id={id} c={c} me={me} />;
  const approvalsNow = c.approvals.filter((a) => a.revision === c.revision).length;

  return (
    <>
      <h1 id="content-detail-title">{c.title}</h1>
      <p className="content-badges">
        <TierBadge tier={c.tier} /> <StageBadge stage={c.stage} />
      </p>
      {c.source === 'read_model' && <p className="muted">{t('detail.archived')}</p>}
      <Facts
        items={[
          [t('detail.facts.stage'), t(`stages.${c.stage}`)],
          [t('detail.facts.tier'), t(`tiers.${c.tier}`)],
          [t('detail.facts.revision'), c.revision],
          [
            t('detail.facts.round'),
            c.round !== null && c.maxRounds !== null ? t('detail.roundOf', { round: c.round, max: c.maxRounds }) : null,
          ],
          [
            t('detail.facts.approvals'),
            c.requiredApprovals ? t('detail.approvalsOf', { given: approvalsNow, needed: c.requiredApprovals }) : null,
          ],
          [t('detail.facts.sla'), c.reviewSla],
          [t('detail.facts.channels'), c.channels.join(', ')],
          [t('detail.facts.publishAt'), c.publishAt ? formatDateTime(c.publishAt, i18n.language) : t('detail.onApproval')],
          [t('detail.facts.publishedAt'), c.publishedAt ? formatDateTime(c.publishedAt, i18n.language) : null],
          [t('detail.facts.author'), who(c.authorId)],
        ]}
      />
      {c.source === 'workflow' && <Live c={c} session={session} />}
    </>
  );
}

/** What only the workflow knows (gone from the archive): the text, checks, approvals, deliveries, history. */
function Live({ c, session }: { c: Detail; session: Session }) {
  const { t, i18n } = useTranslation('content');
  const me = session.operator.id;
  const highlights = (c.checks?.findings ?? []).flatMap((f) => (f.matches ?? []).map((text) => ({ text, label: f.message })));
  return (
    <>
      {c.rejectionReason && (
        <p className={c.stage === 'rejected' ? 'error' : 'note'}>
          <strong>{t('detail.reason')}:</strong> {c.rejectionReason}
        </p>
      )}

      <h2>{t('detail.text')}</h2>
      {c.body === null ? (
        <p className="muted">{t('detail.noBody')}</p>
      ) : (
        <>
          {highlights.length > 0 && <p className="muted">{t('detail.marked')}</p>}
          <HighlightedText className="content-body" text={c.body} highlights={highlights} />
        </>
      )}

      <h2>{t('detail.checks')}</h2>
      <Checks c={c} />

      <h2>{t('detail.approvals')}</h2>
      <Approvals c={c} me={me} />

      <h2>{t('detail.deliveries')}</h2>
      {c.deliveries.length === 0 ? (
        <p className="muted">{t('detail.noDeliveries')}</p>
      ) : (
        <table className="content-table">
          <thead>
            <tr>
              <th scope="col">{t('detail.deliveryColumns.channel')}</th>
              <th scope="col">{t('detail.deliveryColumns.status')}</th>
              <th scope="col">{t('detail.deliveryColumns.error')}</th>
            </tr>
          </thead>
          <tbody>
            {c.deliveries.map((d) => (
              <tr key={d.channel}>
                <th scope="row">{d.channel}</th>
                <td>
                  <span className={`content-delivery content-delivery-${d.status}`}>{t(`deliveryStatuses.${d.status}`)}</span>
                </td>
                <td>{d.error ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <ContentActions c={c} session={session} />

      <h2>{t('detail.revisions')}</h2>
      {c.previous && c.body !== null && <Changes previous={c.previous} title={c.title} body={c.body} />}
      <ol className="content-revisions">
        <li>{t('detail.firstRevision', { who: whoText(c.authorId, c, me, t) })}</li>
        {c.edits.map((e) => (
          <li key={e.version}>
            {t('detail.revisionBy', {
              version: e.version,
              who: whoText(e.operatorId, c, me, t),
              time: formatDateTime(e.at, i18n.language),
            })}
          </li>
        ))}
      </ol>

      <h2>{t('detail.timeline')}</h2>
      <Timeline label={t('detail.timeline')} entries={timeline(c, me, t, i18n.language)} />
    </>
  );
}

/** What changed since the revision before: the title when it changed, and the text word by word. */
function Changes({ previous, title, body }: { previous: NonNullable<Detail['previous']>; title: string; body: string }) {
  const { t } = useTranslation('content');
  return (
    <section aria-labelledby="content-changes-title">
      <h3 id="content-changes-title">{t('detail.changesSince', { revision: previous.revision })}</h3>
      {previous.title !== title && <p>{t('detail.titleWas', { title: previous.title })}</p>}
      <RevisionDiff
        before={previous.body}
        after={body}
        labels={{
          added: (count) => t('detail.wordsAdded', { count }),
          removed: (count) => t('detail.wordsRemoved', { count }),
          same: t('detail.noWordsChanged'),
        }}
      />
    </section>
  );
}

function Checks({ c }: { c: Detail }) {
  const { t } = useTranslation('content');
  if (!c.checks) return <p className="muted">{t('detail.checksPending')}</p>;
  return (
    <>
      <p>
        <span className={`content-outcome content-outcome-${c.checks.outcome}`}>
          {t('detail.checkOutcome', { outcome: t(`outcomes.${c.checks.outcome}`) })}
        </span>
      </p>
      {c.checks.findings.length === 0 ? (
        <p className="muted">{t('detail.noFindings')}</p>
      ) : (
        <table className="content-table">
          <caption className="content-sr-only">{t('detail.findings')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('detail.findingColumns.rule')}</th>
              <th scope="col">{t('detail.findingColumns.severity')}</th>
              <th scope="col">{t('detail.findingColumns.message')}</th>
              <th scope="col">{t('detail.findingColumns.matched')}</th>
            </tr>
          </thead>
          <tbody>
            {c.checks.findings.map((f, i) => (
              <tr key={i}>
                <td>{t(`rules.${f.rule as 'link'}`, { defaultValue: f.rule })}</td>
                <td>
                  <span className={`content-outcome content-outcome-${f.severity}`}>{t(`severities.${f.severity}`)}</span>
                </td>
                <td>{f.message}</td>
                <td>{f.matches?.length ? f.matches.map((m) => `“${m}”`).join(', ') : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Approvals({ c, me }: { c: Detail; me: string }) {
  const { t, i18n } = useTranslation('content');
  return (
    <>
      {c.approvals.length === 0 ? (
        <p className="muted">{t('detail.noApprovals')}</p>
      ) : (
        <table className="content-table">
          <thead>
            <tr>
              <th scope="col">{t('detail.approvalColumns.reviewer')}</th>
              <th scope="col">{t('detail.approvalColumns.decision')}</th>
              <th scope="col">{t('detail.approvalColumns.revision')}</th>
              <th scope="col">{t('detail.approvalColumns.at')}</th>
            </tr>
          </thead>
          <tbody>
            {c.approvals.map((a) => (
              <tr key={`${a.reviewerId}-${a.revision}`}>
                <th scope="row">
                  <Who id={a.reviewerId} c={c} me={me} />
                </th>
                <td>{t('detail.approved')}</td>
                <td>{a.revision}</td>
                <td>
                  <time dateTime={a.at}>{formatDateTime(a.at, i18n.language)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.openTasks.length > 0 && (
        <>
          <p>{t('detail.waiting', { count: c.openTasks.length })}</p>
          <ul className="content-open-tasks">
            {c.openTasks.map((task) => (
              <li key={task.id}>
                <Link to={`~/console/inbox/${task.id}`}>{task.title}</Link> ·{' '}
                {task.assigneeId ? t('detail.held', { who: whoText(task.assigneeId, c, me, t) }) : t('detail.unclaimed')}
                {task.dueAt && (
                  <>
                    {' '}
                    · <time dateTime={task.dueAt}>{t('detail.due', { time: formatRelative(task.dueAt, i18n.language) })}</time>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

type T = ReturnType<typeof useTranslation<'content'>>['t'];

/** An operator by name (the answer's people), "you" beside the reader's own; an unknown id shortened. */
function whoText(id: string | null, c: Detail, me: string, t: T): string {
  if (!id) return '—';
  const name = c.people[id];
  if (name) return id === me ? t('youNamed', { name }) : name;
  return id === me ? t('you') : t('operator', { id: id.slice(0, 8) });
}

function Who({ id, c, me }: { id: string | null; c: Detail; me: string }) {
  const { t } = useTranslation('content');
  return <span title={id ?? undefined}>{whoText(id, c, me, t)}</span>;
}

/** The workflow's history with the approvals in it (the history records a round's outcome, not each approval). */
function timeline(c: Detail, me: string, t: T, language: string): TimelineEntry[] {
  const entries = c.history.map((h) => timelineEntry(h, c, me, t, language));
  const approvals = c.approvals.map((a): TimelineEntry => ({
    at: a.at,
    title: t('events.approved', { revision: a.revision }),
    detail: t('events.by', { who: whoText(a.reviewerId, c, me, t) }),
  }));
  // Stable: an approval lands after whatever the history recorded at the same instant.
  return [...entries, ...approvals].sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
}

function timelineEntry(h: Detail['history'][number], c: Detail, me: string, t: T, language: string): TimelineEntry {
  const d = h.detail ?? {};
  const str = (key: string) => (typeof d[key] === 'string' ? d[key] : undefined);
  const num = (key: string) => (typeof d[key] === 'number' ? d[key] : undefined);
  const parts: string[] = [];
  let title: string;
  switch (h.event) {
    case 'checked': {
      const outcome = str('outcome');
      title = t('events.checked', { outcome: outcome ? t(`outcomes.${outcome as 'pass'}`, { defaultValue: outcome }) : '' });
      if (num('findings')) parts.push(t('events.checkedFindings', { count: num('findings') }));
      break;
    }
    case 'in_review':
      title = t('events.in_review');
      parts.push(t('events.inReviewDetail', { round: num('round') ?? 1, count: num('requiredApprovals') ?? 0 }));
      break;
    case 'revision_submitted':
      title = t('events.revision_submitted', { revision: num('revision') ?? '' });
      break;
    case 'scheduled':
    case 'rescheduled': {
      title = t(`events.${h.event}`);
      const at = str('publishAt');
      parts.push(at ? t('events.publishAt', { time: formatDateTime(at, language) }) : t('events.onApproval'));
      break;
    }
    case 'published': {
      title = t('events.published');
      const channels = Array.isArray(d.channels) ? d.channels.join(', ') : c.channels.join(', ');
      parts.push(t('events.channels', { channels }));
      break;
    }
    case 'rejected':
      title = t('events.rejected');
      if (d.by === 'checks' && str('reasons')) parts.push(t('events.rejectedByChecks', { reason: str('reasons') }));
      else if (str('reason')) parts.push(str('reason')!);
      break;
    case 'changes_requested':
      title = t('events.changes_requested');
      if (str('comment')) parts.push(str('comment')!);
      break;
    case 'withdrawn':
      title = t('events.withdrawn');
      if (str('reason')) parts.push(str('reason')!);
      break;
    case 'submitted':
    case 'auto_approved':
      title = t(`events.${h.event}`);
      break;
    default:
      title = h.event;
  }
  if (h.actorId) parts.push(t('events.by', { who: whoText(h.actorId, c, me, t) }));
  return { at: h.at, title, ...(parts.length ? { detail: parts.join(' · ') } : {}) };
}
