// One customer: the read model's facts, and the lifecycle timeline (stage changes and messages from the live workflow,
// coupons from their ledger) in time order. A customer without events has no lifecycle yet: said so, not an error.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError, unwrap } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Timeline, type TimelineEntry } from '../../components/Timeline.tsx';
import { formatDateTime, formatNumber } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { Coupons, Customer, Lifecycle } from './shared.ts';

const COUPONS = 50;
const REASONS = ['quiet_hours', 'frequency_cap', 'no_consent', 'unsubscribed', 'no_address', 'no_customer'] as const;
type Reason = (typeof REASONS)[number];
const isReason = (reason: string): reason is Reason => (REASONS as readonly string[]).includes(reason);
const EVENT_TYPES = ['signup', 'login', 'key_action', 'purchase', 'referral', 'click'] as const;
const isEventType = (type: string): type is (typeof EVENT_TYPES)[number] => (EVENT_TYPES as readonly string[]).includes(type);
const CAUSES = ['inactivity', 'win_back_expired', 'retained_after_recall'] as const;
const isCause = (text: string): text is (typeof CAUSES)[number] => (CAUSES as readonly string[]).includes(text);

export function CustomerPage({ id }: { id: string }) {
  const { t } = useTranslation('customers');
  const customer = useQuery({
    queryKey: ['customer', id],
    queryFn: async () => unwrap(await api.GET('/customers/{id}', { params: { path: { id } } })),
  });
  usePageTitle(customer.data ? (customer.data.name ?? customer.data.email) : t('title'));

  return (
    <section aria-labelledby="customer-title">
      <p>
        <Link to="/">{t('customer.back')}</Link>
      </p>
      {customer.isPending && <Loading />}
      <ErrorNote error={customer.error} />
      {customer.data && <Details customer={customer.data} />}
    </section>
  );
}

function Details({ customer: c }: { customer: Customer }) {
  const { t, i18n } = useTranslation('customers');
  const when = (iso: string | null) => (iso ? <time dateTime={iso}>{formatDateTime(iso, i18n.language)}</time> : null);
  const lifecycle = useQuery({
    queryKey: ['customer', c.id, 'lifecycle'],
    queryFn: async () => {
      try {
        return unwrap(await api.GET('/customers/{id}/lifecycle', { params: { path: { id: c.id } } }));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    refetchInterval: 30_000,
  });
  const coupons = useQuery({
    queryKey: ['customer', c.id, 'coupons'],
    queryFn: async () => unwrap(await api.GET('/customers/{id}/coupons', { params: { path: { id: c.id }, query: { limit: COUPONS } } })),
  });

  return (
    <>
      <h1 id="customer-title">{c.name ?? c.email}</h1>
      <Facts
        items={[
          [t('customer.facts.email'), c.email],
          [t('customer.facts.externalId'), c.externalId],
          [
            t('customer.facts.stage'),
            c.stage ? <span className={`stage stage-${c.stage}`}>{t(`stages.${c.stage}`)}</span> : t('customer.noStage'),
          ],
          [t('customer.facts.since'), when(c.stageSince)],
          [
            t('customer.facts.segment'),
            c.segment ? <Link to={`/?segment=${c.segment}`}>{t(`segments.${c.segment}`)}</Link> : t('customer.notScored'),
          ],
          [t('customer.facts.rfm'), c.rfm ? `${c.rfm.recency} / ${c.rfm.frequency} / ${c.rfm.monetary}` : null],
          [t('customer.facts.lastActive'), when(c.lastActiveAt)],
          [t('customer.facts.tags'), c.tags.length ? c.tags.join(', ') : null],
          [t('customer.facts.consent'), c.marketingConsent ? t('customer.yes') : t('customer.no')],
          [t('customer.facts.unsubscribed'), c.unsubscribedAt ? when(c.unsubscribedAt) : t('customer.no')],
          [t('customer.facts.timezone'), c.timezone],
          [t('customer.facts.created'), when(c.createdAt)],
        ]}
      />
      <ErrorNote error={lifecycle.error} />
      <ErrorNote error={coupons.error} />
      {lifecycle.data && <Activity lifecycle={lifecycle.data} />}
      <h2>{t('customer.timeline')}</h2>
      {(lifecycle.isPending || coupons.isPending) && <Loading />}
      {lifecycle.data === null && <p>{t('customer.noLifecycle')}</p>}
      {!lifecycle.isPending && !coupons.isPending && (
        <>
          <p className="muted">{t('customer.timelineNote')}</p>
          <Timeline label={t('customer.timeline')} entries={entries(lifecycle.data ?? null, coupons.data ?? null)} />
          {coupons.data && coupons.data.total > coupons.data.items.length && (
            <p className="muted">{t('customer.moreCoupons', { shown: coupons.data.items.length, total: coupons.data.total })}</p>
          )}
        </>
      )}
      {lifecycle.data && lifecycle.data.pendingSends.length > 0 && <Pending lifecycle={lifecycle.data} />}
    </>
  );

  /** The workflow's causes: 'event:<type>', 'inactivity', 'win_back_expired', 'retained_after_recall', 'rule:<id>'. */
  function cause(text: string): string {
    const rest = text.slice(text.indexOf(':') + 1);
    if (text.startsWith('event:') && isEventType(rest)) return t('customer.causes.event', { type: t(`customer.events.${rest}`) });
    if (text.startsWith('rule:')) return t('customer.causes.rule', { id: rest });
    if (isCause(text)) return t(`customer.causes.${text}`);
    return text;
  }

  function entries(life: Lifecycle | null, list: Coupons | null): TimelineEntry[] {
    const template = (name: string) => t(`templates.${name}`, { defaultValue: name });
    const purpose = (name: string) => t(`purposes.${name}`, { defaultValue: name });
    const all: TimelineEntry[] = [];
    for (const h of life?.history ?? []) {
      all.push({
        at: h.at,
        title: t('customer.stageChange', { to: t(`stages.${h.to}`) }),
        detail: h.from ? t('customer.stageFrom', { from: t(`stages.${h.from}`), cause: cause(h.cause) }) : cause(h.cause),
      });
    }
    for (const m of life?.messages ?? []) {
      const detail = [
        // Known policy reasons in words; anything else (a send's error) as the API gave it.
        m.reason ? (isReason(m.reason) ? t(`customer.reasons.${m.reason}`) : m.reason) : null,
        m.until ? t('customer.until', { time: formatDateTime(m.until, i18n.language) }) : null,
      ]
        .filter(Boolean)
        .join(' · ');
      all.push({ at: m.at, title: t(`customer.message.${m.status}`, { template: template(m.template) }), detail: detail || undefined });
    }
    for (const coupon of list?.items ?? []) {
      all.push({
        at: coupon.issuedAt,
        title: t('customer.couponIssued', { code: coupon.code, purpose: purpose(coupon.purpose) }),
        detail: coupon.expiresAt ? t('customer.couponExpires', { time: formatDateTime(coupon.expiresAt, i18n.language) }) : undefined,
      });
      if (coupon.redeemedAt) all.push({ at: coupon.redeemedAt, title: t('customer.couponRedeemed', { code: coupon.code }) });
    }
    return all.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }
}

function Activity({ lifecycle: l }: { lifecycle: Lifecycle }) {
  const { t, i18n } = useTranslation('customers');
  const n = (v: number) => formatNumber(v, i18n.language);
  const nextStep = useNextStep();
  return (
    <section aria-labelledby="customer-activity">
      <h2 id="customer-activity">{t('customer.counters.title')}</h2>
      <Facts
        items={[
          [t('customer.counters.events'), n(l.counters.events)],
          [t('customer.counters.purchases'), n(l.counters.purchases)],
          [t('customer.counters.gmv'), formatNumber(l.counters.gmv, i18n.language, { minimumFractionDigits: 2, maximumFractionDigits: 2 })],
          [t('customer.counters.sent'), n(l.counters.sent)],
          [t('customer.counters.deferred'), n(l.counters.deferred)],
          [t('customer.counters.skipped'), n(l.counters.skipped)],
          [t('customer.counters.winBacks'), n(l.counters.winBacks)],
          [
            t('customer.counters.nextStep'),
            l.nextStep ? `${nextStep(l.nextStep.kind)} · ${formatDateTime(l.nextStep.at, i18n.language)}` : null,
          ],
        ]}
      />
    </section>
  );
}

/** The workflow's agenda kinds: 'inactivity', 'win_back_deadline', 'nurture:<step>', 'nurture:end', 'send:<step id>'. */
function useNextStep(): (kind: string) => string {
  const { t } = useTranslation('customers');
  return (kind) => {
    const [head, ...rest] = kind.split(':');
    const step = rest.join(':');
    if (kind === 'inactivity' || kind === 'win_back_deadline') return t(`customer.next.${kind}`);
    if (kind === 'nurture:end') return t('customer.next.nurtureEnd');
    if (head === 'nurture' && step) return t('customer.next.nurture', { step });
    if (head === 'send' && step) return t('customer.next.send', { step });
    return kind;
  };
}

function Pending({ lifecycle: l }: { lifecycle: Lifecycle }) {
  const { t, i18n } = useTranslation('customers');
  return (
    <section aria-labelledby="customer-pending">
      <h2 id="customer-pending">{t('customer.pending')}</h2>
      <ul>
        {l.pendingSends.map((p) => (
          <li key={p.step}>
            {t('customer.pendingItem', {
              template: t(`templates.${p.template}`, { defaultValue: p.template }),
              purpose: t(`purposes.${p.purpose}`),
              time: formatDateTime(p.dueAt, i18n.language),
            })}
            {p.deferrals > 0 && <span className="muted"> · {t('customer.deferrals', { count: p.deferrals })}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
