// The content area: the list (/console/content), the submit form (/new) and one item's detail (/<id>).
import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Route, Switch } from '../../router.tsx';
import { ContentDetail } from './ContentDetail.tsx';
import { ContentList } from './ContentList.tsx';
import { en, zhCN } from './messages.ts';
import { SubmitForm } from './SubmitForm.tsx';
import './content.css';

registerMessages('content', { en, 'zh-CN': zhCN });

export default function ContentArea({ session }: AreaProps) {
  return (
    <Switch>
      <Route path="/">
        <ContentList session={session} />
      </Route>
      <Route path="/new">
        <SubmitForm session={session} />
      </Route>
      <Route path="/:id">{(params: { id: string }) => <ContentDetail key={params.id} id={params.id} session={session} />}</Route>
    </Switch>
  );
}
