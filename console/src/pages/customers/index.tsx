// The Customers area: search (/), one customer's lifecycle (/<id>), the RFM segments (/segments) and the KPI
// dashboard (/kpis), with a small tab navigation between the three lists.
import { useTranslation } from 'react-i18next';
import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Link, Route, Switch, useLocation } from '../../router.tsx';
import { CustomerPage } from './Customer.tsx';
import './customers.css';
import { Kpis } from './Kpis.tsx';
import { en, zhCN } from './messages.ts';
import { Search } from './Search.tsx';
import { Segments } from './Segments.tsx';

registerMessages('customers', { en, 'zh-CN': zhCN });

const TABS = [
  { to: '/', label: 'tabs.search' },
  { to: '/segments', label: 'tabs.segments' },
  { to: '/kpis', label: 'tabs.kpis' },
] as const;

function Tabs() {
  const { t } = useTranslation('customers');
  const { pathname } = useLocation();
  // A customer's page belongs to the search.
  const current = TABS.find((tab) => tab.to !== '/' && pathname.startsWith(tab.to))?.to ?? '/';
  return (
    <nav className="customer-tabs" aria-label={t('tabs.label')}>
      <ul>
        {TABS.map((tab) => (
          <li key={tab.to}>
            <Link to={tab.to} aria-current={tab.to === current ? 'page' : undefined}>
              {t(tab.label)}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export default function CustomersArea({ session }: AreaProps) {
  return (
    <>
      <Tabs />
      <Switch>
        <Route path="/">
          <Search />
        </Route>
        <Route path="/segments">
          <Segments session={session} />
        </Route>
        <Route path="/kpis">
          <Kpis />
        </Route>
        <Route path="/:id">{(params) => <CustomerPage key={params.id} id={params.id} />}</Route>
      </Switch>
    </>
  );
}
