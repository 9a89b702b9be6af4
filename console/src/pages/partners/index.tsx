// Partners and contracts: the partner list and one partner with its contracts, the ranking for a brief with each
// factor's contribution, the contract list and one contract (terms, approvals, signatures with their evidence,
// evaluations and the payouts ledger).
import { useTranslation } from 'react-i18next';
import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Link, Route, Switch, useLocation } from '../../router.tsx';
import { ContractDetail } from './ContractDetail.tsx';
import { ContractList } from './ContractList.tsx';
import { en, zhCN } from './messages.ts';
import { PartnerDetail } from './PartnerDetail.tsx';
import { PartnerList } from './PartnerList.tsx';
import { Ranking } from './Ranking.tsx';
import './partners.css';

registerMessages('partners', { en, 'zh-CN': zhCN });

const TABS = [
  ['/', 'tabs.partners'],
  ['/contracts', 'tabs.contracts'],
  ['/ranking', 'tabs.ranking'],
] as const;

export default function PartnersArea({ session }: AreaProps) {
  const { t } = useTranslation('partners');
  const { pathname } = useLocation();
  const current = pathname.startsWith('/contracts') ? '/contracts' : pathname === '/ranking' ? '/ranking' : '/';
  return (
    <>
      <nav aria-label={t('sections')} className="subnav">
        <ul>
          {TABS.map(([to, label]) => (
            <li key={to}>
              <Link to={to} aria-current={current === to ? 'page' : undefined}>
                {t(label)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Switch>
        <Route path="/">
          <PartnerList />
        </Route>
        <Route path="/ranking">
          <Ranking />
        </Route>
        <Route path="/contracts">
          <ContractList />
        </Route>
        <Route path="/contracts/:id">{(params) => <ContractDetail key={params.id} id={params.id} session={session} />}</Route>
        <Route path="/:id">{(params) => <PartnerDetail key={params.id} id={params.id} />}</Route>
      </Switch>
    </>
  );
}
