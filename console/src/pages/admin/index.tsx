// The admin area: operators, channels, policies, escalation policies and the audit log, each a sub-route under
// /console/admin with the area's own tab navigation.
import { useTranslation } from 'react-i18next';
import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Link, Redirect, Route, Switch, useLocation } from '../../router.tsx';
import './admin.css';
import { Audit } from './Audit.tsx';
import { Channels } from './Channels.tsx';
import { Escalation } from './Escalation.tsx';
import { en, zhCN } from './messages.ts';
import { Operators } from './Operators.tsx';
import { Policies } from './Policies.tsx';

registerMessages('admin', { en, 'zh-CN': zhCN });

const TABS = ['operators', 'channels', 'policies', 'escalation', 'audit'] as const;

export default function AdminArea({ session }: AreaProps) {
  const { t } = useTranslation('admin');
  const { pathname } = useLocation();
  return (
    <>
      <nav aria-label={t('tabs.label')} className="admin-tabs">
        <ul>
          {TABS.map((tab) => (
            <li key={tab}>
              <Link to={`/${tab}`} aria-current={pathname === `/${tab}` || pathname.startsWith(`/${tab}/`) ? 'page' : undefined}>
                {t(`tabs.${tab}`)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Switch>
        <Route path="/operators">
          <Operators me={session.operator.id} />
        </Route>
        <Route path="/channels">
          <Channels />
        </Route>
        <Route path="/policies">
          <Policies />
        </Route>
        <Route path="/escalation">
          <Escalation />
        </Route>
        <Route path="/audit">
          <Audit />
        </Route>
        <Route>
          <Redirect to="/operators" replace />
        </Route>
      </Switch>
    </>
  );
}
