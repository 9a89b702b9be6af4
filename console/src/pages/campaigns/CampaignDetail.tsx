// One campaign: its live counts (refreshed every two seconds while it sends), the send-progress chart from the send
// ledger's series over time, the buttons its stage allows, what it sends and to whom, its approvals and history, and
// once it has ended the retrospective.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { Chart } from '../../components/Chart.tsx';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Timeline } from '../../components/Timeline.tsx';
import { formatDateTime, formatMoney, formatNumber, formatPercent } from '../../format.ts';
import { Link } from '../../router.tsx';
import { ACTIONS, EDITABLE, isClosed, isOwner, canManage, type Action, type Campaign, type Counts } from './campaigns-api.ts';
import { Retrospective } from './Retrospective.tsx';
import type { Spec } from './form-state.ts';

const LIVE_MS = 2000;

export function CampaignDetail({ id, session }: { id: string; session: Session }) {
  const { t } = useTranslation('campaigns');
  const campaign = useQuery({
    queryKey: ['campaigns', 'one', id],
    queryFn: async () => unwrap(await api.GET('/campaigns/{id}', { params: { path: { id } } })),
    // Live while it sends or may start (or its retrospective is being written); calm otherwise, still once closed.
    refetchInterval: (q) => {
      const stage = q.state.data?.stage;
      if (stage === 'running' || stage === 'scheduled' || stage === 'ended') return LIVE_MS;
      return stage === 'reported' || stage === 'cancelled' ? false : 5000;
    },
  });
  const c = campaign.data;
  usePageTitle(c?.spec ? c.spec.name : t('detail.title'));
  if (campaign.error)
    return (
      <>
        <h1>{t('detail.title')}</h1>
        <ErrorNote error={campaign.error} />
      </>
    );
  if (!c) return <Loading />;
  return <Detail c={c} session={session} />;
}

function Detail({ c, session }: { c: Campaign; session: Session }) {
  const { t, i18n } = useTranslation('campaigns');
  const lang = i18n.language;
  const spec = c.spec;
  const name = spec?.name ?? c.id;
  const budget = spec?.budget;
  const money = (n: number) => (budget ? formatMoney(n, budget.currency, lang) : formatNumber(n, lang));
  const who = (id: string) => (id === session.operator.id ? t('list.me') : (c.people[id] ?? id.slice(0, 8)));

  return (
    <article aria-labelledby="campaign-title">
      <p>
        <Link to="/">{t('detail.back')}</Link>
      </p>
      <div className="campaigns-heading">
        <h1 id="campaign-title">{name}</h1>
        <span className={`stage stage-${c.stage}`}>{t(`stages.${c.stage}`)}</span>
      </div>
      {c.pause && c.stage === 'paused' && (
        <p className="notice">
          {t('detail.pausedBecause', { reason: t(`pauseReasons.${c.pause.reason}`), time: formatDateTime(c.pause.at, lang) })}
          {c.pause.detail ? `: ${c.pause.detail}` : ''}
        </p>
      )}
      {c.rejection && c.stage === 'draft' && (
        <p className="notice">
          {t('detail.rejected', { who: who(c.rejection.operatorId), time: formatDateTime(c.rejection.at, lang) })}
          {c.rejection.comment ? `: ${c.rejection.comment}` : ''}
        </p>
      )}
      <Actions c={c} session={session} />

      <Facts
        items={[
          [t('detail.budget'), budget ? `${money(budget.total)} · ${t('detail.perSend', { cost: money(budget.costPerSend) })}` : null],
          [
            t('detail.schedule'),
            spec ? `${formatDateTime(spec.schedule.startAt, lang)} – ${formatDateTime(spec.schedule.endAt, lang)}` : null,
          ],
          [t('detail.sendRate'), spec?.sendRate ? t('detail.perSecond', { n: spec.sendRate }) : null],
          [t('detail.launched'), c.launchedAt ? formatDateTime(c.launchedAt, lang) : t('detail.notYet')],
          [t('detail.ended'), c.endedAt ? formatDateTime(c.endedAt, lang) : '—'],
          [t('detail.owner'), who(c.ownerId)],
        ]}
      />

      {c.counts && c.launchedAt && <LiveCounts c={c} counts={c.counts} />}

      {spec && <SpecSummary spec={spec} />}

      {(c.requiredRoles.length > 0 || c.approvals.length > 0) && (
        <section aria-labelledby="approvals-title">
          <h2 id="approvals-title">{t('detail.approvals')}</h2>
          {c.approvalReason && <p className="muted">{c.approvalReason}</p>}
          <ul>
            {c.requiredRoles.map((role) => {
              const given = c.approvals.find((a) => a.role === role);
              return (
                <li key={role}>
                  {t(`roles.${role}`, { defaultValue: role })}:{' '}
                  {given
                    ? t('detail.approvedBy', { who: who(given.operatorId), time: formatDateTime(given.at, lang) })
                    : c.stage === 'pending_approval'
                      ? t('detail.awaiting')
                      : '—'}
                  {given?.comment ? ` · ${given.comment}` : ''}
                </li>
              );
            })}
          </ul>
        </section>
      )}

      {c.history.length > 0 && (
        <section aria-labelledby="history-title">
          <h2 id="history-title">{t('detail.history')}</h2>
          <Timeline
            label={t('detail.history')}
            entries={c.history.map((h) => ({
              at: h.at,
              title: h.from
                ? t('detail.moved', { from: t(`stages.${h.from}`), to: t(`stages.${h.to}`) })
                : t('detail.created', { stage: t(`stages.${h.to}`) }),
              // The workflow writes operators into its reasons by id ("approved by <id> (ops_manager)"): shown by name.
              detail: [
                h.actorId ? t('detail.by', { who: who(h.actorId) }) : t('detail.byItself'),
                h.reason?.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => who(id)),
              ]
                .filter(Boolean)
                .join(' · '),
            }))}
          />
        </section>
      )}

      {isClosed(c.stage) && c.launchedAt && <Retrospective id={c.id} stage={c.stage} />}
    </article>
  );
}

function Actions({ c, session }: { c: Campaign; session: Session }) {
  const { t } = useTranslation('campaigns');
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState<Action | null>(null);
  const act = useMutation({
    mutationFn: async (action: Action) => {
      const params = { path: { id: c.id } };
      const body = reason.trim() ? { reason: reason.trim() } : {};
      const paths = {
        submit: '/campaigns/{id}/submit',
        pause: '/campaigns/{id}/pause',
        resume: '/campaigns/{id}/resume',
        end: '/campaigns/{id}/end',
        cancel: '/campaigns/{id}/cancel',
      } as const;
      return unwrap(await api.POST(paths[action], { params, body }));
    },
    onSuccess: (updated) => {
      setConfirming(null);
      setReason('');
      queryClient.setQueryData(['campaigns', 'one', c.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
    },
  });
  if (!canManage(session)) return null;
  const owner = isOwner(session, c.ownerId);
  // Any manager may pause; the rest is the creator's or an admin's (the API decides either way).
  const offered = (Object.keys(ACTIONS) as Action[]).filter(
    (a) => (ACTIONS[a] as readonly string[]).includes(c.stage) && (a === 'pause' || owner),
  );
  const canEdit = owner && EDITABLE.includes(c.stage) && !c.launchedAt;
  if (offered.length === 0 && !canEdit) return null;
  const needsConfirm = (a: Action) => a === 'cancel' || a === 'end';

  return (
    <div className="actions campaign-actions">
      {offered.some((a) => a !== 'submit' && a !== 'resume') && (
        <>
          <label htmlFor="campaign-reason">{t('detail.reason')}</label>
          <input id="campaign-reason" value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
        </>
      )}
      <div role="group" aria-label={t('detail.actions')}>
        {canEdit && (
          <Link to={`/${c.id}/edit`} className="button">
            {t('detail.edit')}
          </Link>
        )}
        {offered.map((a) => (
          <button
            key={a}
            type="button"
            className={a === 'cancel' ? 'danger' : a === 'resume' || a === 'submit' ? 'primary' : undefined}
            disabled={act.isPending}
            aria-expanded={needsConfirm(a) ? confirming === a : undefined}
            onClick={() => (needsConfirm(a) ? setConfirming(confirming === a ? null : a) : act.mutate(a))}
          >
            {t(`actions.${a}`)}
          </button>
        ))}
      </div>
      {confirming && (
        <div className="confirm" role="group" aria-label={t(`actions.${confirming}`)}>
          <p>{t(`confirm.${confirming}`)}</p>
          <button type="button" className="danger" disabled={act.isPending} onClick={() => act.mutate(confirming)}>
            {t(`confirm.${confirming}Yes`)}
          </button>{' '}
          <button type="button" onClick={() => setConfirming(null)}>
            {t('confirm.no')}
          </button>
        </div>
      )}
      <ErrorNote error={act.error} />
    </div>
  );
}

function LiveCounts({ c, counts }: { c: Campaign; counts: Counts }) {
  const { t, i18n } = useTranslation('campaigns');
  const lang = i18n.language;
  const spec = c.spec;
  const n = (v: number) => formatNumber(v, lang);
  const skippedTotal = Object.values(counts.skipped).reduce((s, v) => s + v, 0);
  const done = counts.sent + skippedTotal + counts.failed;
  const budget = spec?.budget;
  const live = c.stage === 'running';

  return (
    <section aria-labelledby="counts-title">
      <h2 id="counts-title">
        {t('counts.title')}
        {live && <span className="live"> · {t('counts.live')}</span>}
      </h2>
      <div className="counts" role="group" aria-label={t('counts.title')}>
        <Figure label={t('counts.audience')} value={n(counts.audience)} />
        <Figure label={t('counts.sent')} value={n(counts.sent)} testId="sent" />
        <Figure label={t('counts.skipped')} value={n(skippedTotal)} />
        <Figure label={t('counts.failed')} value={n(counts.failed)} />
        <Figure label={t('counts.pending')} value={n(counts.pending)} />
        <Figure label={t('counts.deferred')} value={n(counts.deferred)} />
      </div>
      <p>
        <label htmlFor="send-progress">{t('counts.progress', { done: n(done), audience: n(counts.audience) })}</label>{' '}
        <progress id="send-progress" max={Math.max(1, counts.audience)} value={done} />
      </p>
      {budget && (
        <p>
          <label htmlFor="spend-progress">
            {t('counts.spend', {
              spend: formatMoney(counts.spend, budget.currency, lang),
              budget: formatMoney(budget.total, budget.currency, lang),
              share: formatPercent(budget.total ? counts.spend / budget.total : 0, lang),
            })}
          </label>{' '}
          <progress id="spend-progress" max={budget.total} value={Math.min(counts.spend, budget.total)} />
        </p>
      )}
      {skippedTotal > 0 && (
        <table className="tasks skipped">
          <caption>{t('counts.skippedBy')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('counts.reason')}</th>
              <th scope="col">{t('counts.recipients')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(counts.skipped).map(([reason, count]) => (
              <tr key={reason}>
                <th scope="row">{t(`skipReasons.${reason}`, { defaultValue: reason })}</th>
                <td>{n(count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ProgressChart c={c} counts={counts} />
      {c.abTest && <AbLive ab={c.abTest} />}
    </section>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="figure" data-figure={testId}>
      <span className="figure-label">{label}</span>
      <span className="figure-value">{value}</span>
    </div>
  );
}

/** Seconds per point: about a hundred points or fewer over the campaign's life so far. */
function stepFor(ms: number): number {
  const steps = [5, 15, 60, 300, 900, 3600, 4 * 3600, 86_400];
  return steps.find((s) => ms / (s * 1000) <= 120) ?? 86_400;
}

/** Cumulative sends (and policy skips) since launch, from the ledger's series over time; the audience as a line. */
function ProgressChart({ c, counts }: { c: Campaign; counts: Counts }) {
  const { t } = useTranslation('campaigns');
  const launched = Date.parse(c.launchedAt!);
  const until = c.endedAt ? Date.parse(c.endedAt) : Date.now();
  const step = stepFor(until - launched);
  const progress = useQuery({
    queryKey: ['campaigns', 'progress', c.id, step],
    queryFn: async () => unwrap(await api.GET('/campaigns/{id}/progress', { params: { path: { id: c.id }, query: { step } } })),
    refetchInterval: c.stage === 'running' ? LIVE_MS : false,
  });
  const chart = useMemo(() => {
    const points = progress.data?.points ?? [];
    let sent = 0;
    let skipped = 0;
    const x = [launched];
    const sentSeries: number[] = [0];
    const skippedSeries: number[] = [0];
    for (const p of points) {
      sent += p.sent;
      skipped += p.skipped;
      // A bucket is stamped at its start; its sends are counted by its end (or now, for the current one).
      const end = Math.min(Date.now(), Date.parse(p.at) + step * 1000);
      x.push(Math.max(end, x.at(-1)! + 1));
      sentSeries.push(sent);
      skippedSeries.push(skipped);
    }
    return {
      x,
      series: [
        { label: t('counts.sent'), values: sentSeries },
        { label: t('counts.skipped'), values: skippedSeries, dashed: true },
      ],
      thresholds: [{ label: t('counts.audience'), value: counts.audience, color: '#52606d' }],
    };
  }, [progress.data, launched, step, counts.audience, t]);
  if (progress.error) return <ErrorNote error={progress.error} />;
  if (!progress.data) return null;
  return <Chart title={t('counts.chart')} x={chart.x} series={chart.series} thresholds={chart.thresholds} />;
}

function AbLive({ ab }: { ab: NonNullable<Campaign['abTest']> }) {
  const { t, i18n } = useTranslation('campaigns');
  const lang = i18n.language;
  return (
    <section aria-labelledby="ab-title">
      <h3 id="ab-title">{t('ab.title')}</h3>
      <p>
        {t('ab.testGroup', { n: formatNumber(ab.testRecipients, lang) })}
        {ab.testEndsAt && ` · ${t('ab.resultsAt', { time: formatDateTime(ab.testEndsAt, lang) })}`}
      </p>
      {ab.choice && (
        <p className="notice">
          {t('ab.winner', { name: ab.choice.winner, margin: formatNumber(ab.choice.margin * 100, lang, { maximumFractionDigits: 1 }) })}
          {ab.choice.lift !== null && ` · ${t('ab.lift', { lift: formatPercent(ab.choice.lift, lang) })}`}
        </p>
      )}
      {ab.results.length > 0 && (
        <Chart
          title={t('ab.rateChart')}
          kind="bars"
          x={ab.results.map((r) => r.name)}
          series={[{ label: t('ab.rate'), values: ab.results.map((r) => r.rate) }]}
          formatValue={(v) => formatPercent(v, lang)}
        />
      )}
    </section>
  );
}

function SpecSummary({ spec }: { spec: Spec }) {
  const { t, i18n } = useTranslation('campaigns');
  const lang = i18n.language;
  const a = spec.audience;
  const f = a.filters ?? {};
  const audienceParts = [
    a.segment ? t('spec.segment', { segment: t(`segments.${a.segment}`) }) : null,
    f.stages?.length ? t('spec.stages', { stages: f.stages.map((s) => t(`lifecycle.${s}`)).join(', ') }) : null,
    f.tags?.length ? t('spec.tags', { tags: f.tags.join(', ') }) : null,
    f.rfmSegments?.length ? t('spec.rfm', { segments: f.rfmSegments.map((s) => t(`segments.${s}`)).join(', ') }) : null,
    f.lastActiveAfter ? t('spec.activeAfter', { time: formatDateTime(f.lastActiveAfter, lang) }) : null,
    f.lastActiveBefore ? t('spec.activeBefore', { time: formatDateTime(f.lastActiveBefore, lang) }) : null,
  ].filter(Boolean);
  const messages = spec.abTest
    ? spec.abTest.variants.map((v) => ({ name: v.name, subject: v.subject, body: v.body, split: v.split }))
    : spec.message
      ? [{ name: null, subject: spec.message.subject, body: spec.message.body, split: undefined }]
      : [];

  return (
    <section aria-labelledby="spec-title">
      <h2 id="spec-title">{t('spec.title')}</h2>
      <p>
        <strong>{t('form.audience')}:</strong> {audienceParts.join(' · ')}
      </p>
      {spec.abTest && (
        <p>
          {t('spec.ab', {
            share: formatPercent(spec.abTest.testShare, lang),
            duration: spec.abTest.testDuration,
            metric: t(`winning.${spec.abTest.winningMetric}`),
          })}
        </p>
      )}
      <div className="messages">
        {messages.map((m) => (
          <div key={m.name ?? 'message'} className="panel message">
            {m.name && (
              <h3>
                {t('form.variant', { name: m.name })}
                {m.split !== undefined ? ` · ${formatNumber(m.split, lang)}%` : ''}
              </h3>
            )}
            <p className="mail-subject">
              <span className="muted">{t('form.subject')}:</span> {m.subject}
            </p>
            <div className="mail-body">
              {m.body.split(/\n\s*\n/).map((p, i) => (
                <p key={i}>{p}</p>
              ))}
            </div>
            <SamplePreview message={{ subject: m.subject, body: m.body }} audience={spec.audience} />
          </div>
        ))}
      </div>
      {(spec.goals ?? []).length > 0 && (
        <>
          <h3>{t('form.goals')}</h3>
          <ul>
            {spec.goals!.map((g, i) => (
              <li key={i}>
                {t(`goalMetrics.${g.metric}`)}:{' '}
                {g.metric === 'conversion_rate' ? formatPercent(g.target, lang) : formatNumber(g.target, lang)}{' '}
                <span className="muted">{t('spec.by', { time: formatDateTime(g.deadline, lang) })}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The message as the audience's first customer would receive it, asked for when opened. */
function SamplePreview({ message, audience }: { message: { subject: string; body: string }; audience: Spec['audience'] }) {
  const { t } = useTranslation('campaigns');
  const [open, setOpen] = useState(false);
  const preview = useQuery({
    queryKey: ['campaigns', 'preview', message, audience],
    queryFn: async () => unwrap(await api.POST('/campaigns/preview', { body: { message, audience } })),
    enabled: open,
  });
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{t('form.preview')}</summary>
      <ErrorNote error={preview.error} />
      {open && !preview.data && !preview.error && <Loading />}
      {preview.data && (
        <>
          <p className="muted">
            {preview.data.customer
              ? t('form.previewFor', {
                  name: preview.data.customer.name ?? preview.data.customer.email,
                  id: preview.data.customer.externalId,
                })
              : t('form.previewNobody')}
          </p>
          <p className="mail-subject">{preview.data.subject}</p>
          <div className="mail-body">
            {preview.data.text
              .trim()
              .split(/\n\s*\n/)
              .map((para, i) => (
                <p key={i}>{para}</p>
              ))}
          </div>
        </>
      )}
    </details>
  );
}
