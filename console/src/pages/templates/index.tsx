// The message templates area: the list (/console/templates), one message's editor in one locale (/<key>/<locale>) and
// its version history (/<key>/<locale>/history).
import { useTranslation } from 'react-i18next';
import type { AreaProps } from '../../areas.ts';
import type { Session } from '../../api/client.ts';
import { registerMessages } from '../../i18n.ts';
import { Route, Switch } from '../../router.tsx';
import { en, zhCN } from './messages.ts';
import { TemplateEditor } from './TemplateEditor.tsx';
import { TemplateHistory } from './TemplateHistory.tsx';
import { TemplateList } from './TemplateList.tsx';
import { isMessageKey } from './templates-api.ts';
import './templates.css';

registerMessages('templates', { en, 'zh-CN': zhCN });

type Params = { key: string; locale: string };

export default function TemplatesArea({ session }: AreaProps) {
  return (
    <Switch>
      <Route path="/">
        <TemplateList session={session} />
      </Route>
      <Route path="/:key/:locale/history">{(p: Params) => <Known params={p} session={session} page="history" />}</Route>
      <Route path="/:key/:locale">{(p: Params) => <Known params={p} session={session} page="editor" />}</Route>
      <Route>
        <NotFound />
      </Route>
    </Switch>
  );
}

function Known({ params, session, page }: { params: Params; session: Session; page: 'editor' | 'history' }) {
  const locale = decodeURIComponent(params.locale);
  if (!isMessageKey(params.key)) return <NotFound />;
  return page === 'editor' ? (
    <TemplateEditor key={`${params.key}/${locale}`} session={session} messageKey={params.key} locale={locale} />
  ) : (
    <TemplateHistory key={`${params.key}/${locale}`} session={session} messageKey={params.key} locale={locale} />
  );
}

function NotFound() {
  const { t } = useTranslation('templates');
  return (
    <p role="alert" className="error">
      {t('notFound')}
    </p>
  );
}
