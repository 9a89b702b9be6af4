// One contract, live from its workflow: key facts, the terms, approvals, both signatures with the evidence of the
// partner's (name, time, IP, browser), the evaluations and payouts ledger with a chart, and its history. The
// designated signer signs for us here; the owner submits or terminates. The API decides; refusals show its reason.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import { Chart } from '../../components/Chart.tsx';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Timeline } from '../../components/Timeline.tsx';
import { formatDate, formatDateTime, formatMoney, formatNumber, formatPercent } from '../../format.ts';
import { Link } from '../../router.tsx';
import { Terms } from '../signing/Terms.tsx';
import type { Contract } from './api.ts';

export function ContractDetail({ id, session }: { id: string; session: Session }) {
  const { t, i18n } = useTranslation('partners');
  const contract = useQuery({
    queryKey: ['contract', id],
    queryFn: async () => unwrap(await api.GET('/contracts/{id}', { params: { path: { id } } })),
    // Signatures and activation happen elsewhere (the partner's page, the workflow): keep it current while it moves.
    refetchInterval: (q) => (q.state.data && ['in_approval', 'awaiting_signatures'].includes(q.state.data.stage) ? 5_000 : false),
  });
  const c = contract.data;
  usePageTitle(c ? t('contract.title', { partner: c.partnerName ?? c.partnerId }) : t('contracts.title'));
  if (contract.error)
    return (
      <>
        <h1>{t('contracts.title')}</h1>
        <ErrorNote error={contract.error} />
      </>
    );
  if (!c) return <Loading />;
  const lang = i18n.language;
  const me = session.operator.id;
  // People by name (the answer's people); yourself as "you".
  const who = (operatorId: string | null) =>
    operatorId === null ? '—' : operatorId === me ? t('contract.you') : (c.people[operatorId] ?? operatorId.slice(0, 8));
  const when = (iso: string | null | undefined) => (iso ? formatDateTime(iso, lang) : null);

  return (
    <article aria-labelledby="contract-title">
      <h1 id="contract-title">{t('contract.title', { partner: c.partnerName ?? c.partnerId })}</h1>
      {c.source === 'read_model' && <p className="muted">{t('contract.fromReadModel')}</p>}
      <Facts
        items={[
          [t('contract.facts.stage'), <span className={`stage stage-${c.stage}`}>{t(`stages.${c.stage}`)}</span>],
          [t('columns.partner'), <Link to={`/${c.partnerId}`}>{c.partnerName ?? c.partnerId}</Link>],
          [t('contract.facts.value'), formatMoney(c.value, c.terms.currency, lang)],
          [t('contract.facts.term'), c.term],
          [t('contract.facts.termsVersion'), c.termsVersion],
          [t('contract.facts.owner'), who(c.ownerId)],
          [t('contract.facts.signer'), who(c.signerId)],
          [t('contract.facts.activatedAt'), when(c.activatedAt)],
          [t('contract.facts.trackingCode'), c.trackingCode],
          [t('contract.facts.nextEvaluation'), when(c.nextDates?.evaluationAt)],
          [t('contract.facts.nextReminder'), when(c.nextDates?.renewalReminderAt)],
          [t('contract.facts.endAt'), formatDate(c.terms.end, lang)],
        ]}
      />
      <Actions contract={c} session={session} />

      <section aria-labelledby="terms-title">
        <h2 id="terms-title">{t('contract.terms')}</h2>
        <Terms terms={c.terms} />
      </section>

      <Approvals contract={c} who={who} />
      <Signatures contract={c} who={who} />
      <PayoutsLedger id={c.id} currency={c.terms.currency} />

      <section aria-labelledby="history-title">
        <h2 id="history-title">{t('contract.history')}</h2>
        <Timeline
          label={t('contract.history')}
          entries={c.history.map((h) => ({
            at: h.at,
            title: h.from
              ? t('contract.moved', { from: t(`stages.${h.from}`), to: t(`stages.${h.to}`) })
              : t('contract.created', { to: t(`stages.${h.to}`) }),
            detail: [h.actorId ? who(h.actorId) : null, h.reason].filter(Boolean).join(' · ') || undefined,
          }))}
        />
      </section>
    </article>
  );
}

function Approvals({ contract: c, who }: { contract: Contract; who: (id: string | null) => string }) {
  const { t, i18n } = useTranslation('partners');
  return (
    <section aria-labelledby="approvals-title">
      <h2 id="approvals-title">{t('contract.approvals')}</h2>
      {c.requiredRoles.length > 0 && (
        <p>
          {t('contract.needs', {
            roles: c.requiredRoles.map((r) => t(`translation:role.${r}`)).join(', '),
            reason: c.approvalReason ?? '',
          })}
        </p>
      )}
      {c.approvals.length === 0 ? (
        <p className="muted">{t('contract.approvalsNone')}</p>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">{t('contract.role')}</th>
              <th scope="col">{t('contract.approvedBy')}</th>
              <th scope="col">{t('contract.at')}</th>
              <th scope="col">{t('contract.comment')}</th>
            </tr>
          </thead>
          <tbody>
            {c.approvals.map((a) => (
              <tr key={`${a.role}-${a.operatorId}`}>
                <th scope="row">{t(`translation:role.${a.role}`)}</th>
                <td>{who(a.operatorId)}</td>
                <td>{formatDateTime(a.at, i18n.language)}</td>
                <td>{a.comment ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.rejection && (
        <p className="error">
          {t('contract.rejected', { time: formatDateTime(c.rejection.at, i18n.language), comment: c.rejection.comment ?? '—' })}
        </p>
      )}
    </section>
  );
}

function Signatures({ contract: c, who }: { contract: Contract; who: (id: string | null) => string }) {
  const { t, i18n } = useTranslation('partners');
  const s = c.signatures;
  const when = (iso: string) => formatDateTime(iso, i18n.language);
  const partner = s?.partner;
  return (
    <section aria-labelledby="signatures-title">
      <h2 id="signatures-title">{t('contract.signatures')}</h2>
      <dl className="facts">
        <div>
          <dt>{t('contract.internal')}</dt>
          <dd>
            {s?.internal ? t('contract.signedBy', { who: who(s.internal.operatorId), time: when(s.internal.at) }) : t('contract.notSigned')}
          </dd>
        </div>
        <div>
          <dt>{t('contract.partnerSignature')}</dt>
          <dd>{partner ? t('contract.signedAt', { time: when(partner.at) }) : t('contract.notSigned')}</dd>
        </div>
      </dl>
      {partner && (
        <div className="evidence">
          <h3>{t('contract.evidence')}</h3>
          <dl className="facts">
            <div>
              <dt>{t('contract.evidenceName')}</dt>
              <dd>{partner.name ?? t('contract.unknown')}</dd>
            </div>
            <div>
              <dt>{t('contract.evidenceTime')}</dt>
              <dd>
                <time dateTime={partner.at}>{when(partner.at)}</time>
              </dd>
            </div>
            <div>
              <dt>{t('contract.evidenceIp')}</dt>
              <dd>{partner.ip ?? t('contract.unknown')}</dd>
            </div>
            <div>
              <dt>{t('contract.evidenceAgent')}</dt>
              <dd>{partner.userAgent ?? t('contract.unknown')}</dd>
            </div>
          </dl>
        </div>
      )}
      {!partner && s?.link && (
        <p>{t('contract.link', { round: s.link.round, sent: when(s.link.sentAt), expires: when(s.link.expiresAt) })}</p>
      )}
      {c.stage === 'awaiting_signatures' && s?.expiresAt && <p className="muted">{t('contract.window', { time: when(s.expiresAt) })}</p>}
    </section>
  );
}

function PayoutsLedger({ id, currency }: { id: string; currency: string }) {
  const { t, i18n } = useTranslation('partners');
  const payouts = useQuery({
    queryKey: ['contract', id, 'payouts'],
    queryFn: async () => unwrap(await api.GET('/contracts/{id}/payouts', { params: { path: { id } } })),
  });
  const lang = i18n.language;
  const money = (n: number) => formatMoney(n, currency, lang);
  const items = payouts.data?.items ?? [];
  const label = (p: (typeof items)[number]) => `${formatDate(p.periodFrom, lang)} – ${formatDate(p.periodTo, lang)}`;
  return (
    <section aria-labelledby="payouts-title">
      <h2 id="payouts-title">{t('contract.payouts')}</h2>
      <ErrorNote error={payouts.error} />
      {payouts.isPending && <Loading />}
      {payouts.data && items.length === 0 && <p className="muted">{t('contract.payoutsNone')}</p>}
      {items.length > 0 && (
        <>
          <p>
            <strong>{t('contract.payoutsTotal', { total: money(payouts.data!.total) })}</strong>
          </p>
          {items.length > 1 && (
            <Chart
              kind="bars"
              title={t('contract.payoutsChart')}
              x={items.map((p) => `${p.term}.${p.periodIndex + 1}`)}
              formatValue={(v) => formatNumber(v, lang, { maximumFractionDigits: 0 })}
              series={[{ label: t('contract.total'), values: items.map((p) => p.total) }]}
            />
          )}
          <table className="list">
            <thead>
              <tr>
                <th scope="col">{t('contract.period')}</th>
                <th scope="col" className="num">
                  {t('contract.fraction')}
                </th>
                <th scope="col" className="num">
                  {t('contract.score')}
                </th>
                <th scope="col" className="num">
                  {t('contract.fee')}
                </th>
                <th scope="col" className="num">
                  {t('contract.share')}
                </th>
                <th scope="col" className="num">
                  {t('contract.milestones')}
                </th>
                <th scope="col" className="num">
                  {t('contract.total')}
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => {
                const score = (p.evaluation as { score?: number | null }).score;
                return (
                  <tr key={`${p.term}-${p.periodIndex}`}>
                    <th scope="row">{label(p)}</th>
                    <td className="num">{formatPercent(p.fraction, lang)}</td>
                    <td className="num">{score == null ? '—' : formatNumber(score, lang)}</td>
                    <td className="num">{money(p.fee)}</td>
                    <td className="num">
                      {money(p.share)}
                      {p.tier !== null && ` (${t('contract.tier')} ${p.tier + 1}${p.capped ? `, ${t('contract.capped')}` : ''})`}
                    </td>
                    <td className="num">{money(p.milestones)}</td>
                    <td className="num">
                      <strong>{money(p.total)}</strong>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

type Act = { kind: 'sign' } | { kind: 'submit' } | { kind: 'terminate'; reason: string };

/** What this operator may do now; the API's answer decides (a refusal shows its reason, the reason typed stays). */
function Actions({ contract: c, session }: { contract: Contract; session: Session }) {
  const { t } = useTranslation('partners');
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const me = session.operator;
  const admin = me.roles.includes('admin');
  const act = useMutation({
    mutationFn: async (action: Act) => {
      const params = { path: { id: c.id } };
      if (action.kind === 'sign') return unwrap(await api.POST('/contracts/{id}/sign', { params, body: {} }));
      if (action.kind === 'submit') return unwrap(await api.POST('/contracts/{id}/submit', { params, body: {} }));
      return unwrap(await api.POST('/contracts/{id}/terminate', { params, body: { reason: action.reason } }));
    },
    onSuccess: (_data, action) => {
      if (action.kind === 'terminate') setReason('');
      void queryClient.invalidateQueries({ queryKey: ['contract', c.id] });
      void queryClient.invalidateQueries({ queryKey: ['contracts'] });
    },
  });
  const final = ['ended', 'expired', 'terminated'].includes(c.stage);
  const canSign = c.stage === 'awaiting_signatures' && !c.signatures?.internal && (me.id === c.signerId || admin);
  const owns = me.id === c.ownerId || admin;
  const canSubmit = owns && (c.stage === 'draft' || c.stage === 'renegotiating');
  if (final || c.source === 'read_model' || !(canSign || owns)) return null;
  const terminate = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) act.mutate({ kind: 'terminate', reason: reason.trim() });
  };
  return (
    <section aria-labelledby="actions-title" className="panel">
      <h2 id="actions-title">{t('contract.actions')}</h2>
      <ErrorNote error={act.error} />
      <div className="inline-form">
        {canSign && (
          <button type="button" className="primary" disabled={act.isPending} onClick={() => act.mutate({ kind: 'sign' })}>
            {t('contract.signNow')}
          </button>
        )}
        {canSubmit && (
          <button type="button" disabled={act.isPending} onClick={() => act.mutate({ kind: 'submit' })}>
            {t('contract.submit')}
          </button>
        )}
      </div>
      {owns && (
        <form className="inline-form" onSubmit={terminate}>
          <label>
            {t('contract.reason')}
            <input required maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button type="submit" disabled={act.isPending}>
            {t('contract.terminate')}
          </button>
        </form>
      )}
    </section>
  );
}
