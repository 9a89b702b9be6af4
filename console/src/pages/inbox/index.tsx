// The inbox: /console/inbox lists the tasks; /console/inbox/<taskId> opens one beside the list (the task-open email
// links there).
import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Route, Switch } from '../../router.tsx';
import { Inbox } from './Inbox.tsx';
import { en, zhCN } from './messages.ts';
import './inbox.css';

registerMessages('inbox', { en, 'zh-CN': zhCN });

export default function InboxArea({ session }: AreaProps) {
  return (
    <Switch>
      <Route path="/:id">{(params) => <Inbox session={session} taskId={params.id} />}</Route>
      <Route>
        <Inbox session={session} taskId={null} />
      </Route>
    </Switch>
  );
}
