// A contract's approval (its terms, value and revenue-share tiers) and its renewal decision (with its figures).
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Task } from '../../../api/client.ts';
import { Facts } from '../../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../../components/page.tsx';
import { TierTable, type Tier } from '../../../components/TierTable.tsx';
import { formatDate, formatMoney, formatRelative } from '../../../format.ts';
import { getContract } from '../inbox-api.ts';
import { useNow } from '../Inbox.tsx';

interface Terms {
  scope: string;
  deliverables: string[];
  currency: string;
  fee: number;
  revenueShare: { mode: string; tiers: Tier[]; cap: number | null };
  milestones: { name: string; due: string; amount: number }[];
  start: string;
  end: string;
  cadence: string;
  targets: Record<string, number>;
}

const useContract = (id: string) => useQuery({ queryKey: ['contract', id], queryFn: () => getContract(id) });

export function ContractApprovalView({ task }: { task: Task }) {
  const { t, i18n } = useTranslation('inbox');
  const lang = i18n.language;
  const payload = task.payload as { termsVersion?: number; value?: number; currency?: string; reason?: string };
  const contract = useContract(task.entityId);
  const terms = contract.data?.terms as Terms | undefined;
  const currency = payload.currency ?? terms?.currency ?? 'USD';
  const money = (n: number) => formatMoney(n, currency, lang);

  return (
    <>
      <h3>{t('contract.terms')}</h3>
      <Facts
        items={[
          [t('contract.partner'), contract.data?.partnerName ?? null],
          [t('contract.value'), payload.value === undefined ? null : money(payload.value)],
          [t('contract.termsVersion'), payload.termsVersion ?? null],
          [t('contract.reason'), payload.reason ?? null],
          ...(terms
            ? ([
                [t('contract.period'), `${formatDate(terms.start, lang)} – ${formatDate(terms.end, lang)}`],
                [t('contract.fee'), money(terms.fee)],
                [t('contract.cadence'), terms.cadence],
                [t('contract.mode'), t(`contract.modes.${terms.revenueShare.mode}`, { defaultValue: terms.revenueShare.mode })],
                [t('contract.cap'), terms.revenueShare.cap === null ? t('contract.noCap') : money(terms.revenueShare.cap)],
              ] as [string, string][])
            : []),
        ]}
      />
      {contract.isPending && <Loading />}
      <ErrorNote error={contract.error} />
      {terms && (
        <>
          <h4>{t('contract.scope')}</h4>
          <p className="marked-text">{terms.scope}</p>
          {terms.revenueShare.tiers.length ? (
            <TierTable
              tiers={terms.revenueShare.tiers}
              currency={currency}
              language={lang}
              labels={{
                caption: t('contract.tiers'),
                from: t('contract.from'),
                to: t('contract.to'),
                rate: t('contract.rate'),
                above: t('contract.above'),
              }}
            />
          ) : (
            <p>{t('contract.noTiers')}</p>
          )}
          {terms.deliverables.length > 0 && (
            <>
              <h4>{t('contract.deliverables')}</h4>
              <ul>
                {terms.deliverables.map((d, i) => (
                  <li key={i}>{d}</li>
                ))}
              </ul>
            </>
          )}
          {terms.milestones.length > 0 && (
            <>
              <h4>{t('contract.milestones')}</h4>
              <ul>
                {terms.milestones.map((m, i) => (
                  <li key={i}>{t('contract.milestone', { name: m.name, amount: money(m.amount), due: formatDate(m.due, lang) })}</li>
                ))}
              </ul>
            </>
          )}
          {Object.keys(terms.targets).length > 0 && (
            <>
              <h4>{t('contract.targets')}</h4>
              <ul>
                {Object.entries(terms.targets).map(([metric, target]) => (
                  <li key={metric}>
                    {metric}: {target}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </>
  );
}

export function ContractRenewalView({ task }: { task: Task }) {
  const { t, i18n } = useTranslation('inbox');
  const lang = i18n.language;
  const now = useNow();
  const payload = task.payload as { term?: number; end?: string };
  const contract = useContract(task.entityId);
  const c = contract.data;
  const terms = c?.terms as Terms | undefined;
  const currency = terms?.currency ?? 'USD';
  const term = payload.term ?? c?.term;
  const thisTerm = (c?.evaluations ?? []).filter((e) => e.term === term);
  const paid = thisTerm.reduce((sum, e) => sum + (typeof e.total === 'number' ? e.total : 0), 0);
  const end = payload.end ?? terms?.end;

  return (
    <>
      <h3>{t('contract.renewal')}</h3>
      <p>{t('contract.renewalHelp')}</p>
      <Facts
        items={[
          [t('contract.partner'), c?.partnerName ?? null],
          [t('contract.term'), term ?? null],
          [t('contract.ends'), end ? formatDate(end, lang) : null],
          [t('contract.daysLeft'), end ? formatRelative(end, lang, now) : null],
          [t('contract.value'), c ? formatMoney(c.value, currency, lang) : null],
          [t('contract.fee'), terms ? formatMoney(terms.fee, currency, lang) : null],
          [t('contract.evaluations'), c ? thisTerm.length : null],
          [t('contract.paid'), c ? formatMoney(paid, currency, lang) : null],
        ]}
      />
      {contract.isPending && <Loading />}
      <ErrorNote error={contract.error} />
      {terms && terms.revenueShare.tiers.length > 0 && (
        <TierTable
          tiers={terms.revenueShare.tiers}
          currency={currency}
          language={lang}
          labels={{
            caption: t('contract.tiers'),
            from: t('contract.from'),
            to: t('contract.to'),
            rate: t('contract.rate'),
            above: t('contract.above'),
          }}
        />
      )}
    </>
  );
}
