// The incidents area: the list (open ones by severity, filters, response times) and one incident's page, which the
// page email links to (/console/incidents/<id>).
import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Route, Switch } from '../../router.tsx';
import { IncidentDetail } from './IncidentDetail.tsx';
import { IncidentList } from './IncidentList.tsx';
import './incidents.css';
import { en, zhCN } from './messages.ts';

registerMessages('incidents', { en, 'zh-CN': zhCN });

export default function IncidentsArea({ session }: AreaProps) {
  return (
    <Switch>
      <Route path="/">
        <IncidentList session={session} />
      </Route>
      <Route path="/:id">{({ id }: { id: string }) => <IncidentDetail key={id} id={id} session={session} />}</Route>
    </Switch>
  );
}
