import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Layout } from './Layout.tsx';
import { Inbox } from './pages/Inbox.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { navigate, useLocation } from './router.tsx';
import { useSession } from './session.ts';

const HOME = '/console/inbox';

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function App() {
  const { t } = useTranslation();
  const { pathname, params } = useLocation();
  const session = useSession();
  const title = (text: string, page: ReactNode) => {
    document.title = `${text} · ${t('app.name')}`;
    return page;
  };

  if (session.isPending) return <Layout session={null}><p>{t('app.loading')}</p></Layout>;
  if (session.error) {
    return (
      <Layout session={null}>
        <h1>{t('error.title')}</h1>
        <p role="alert" className="error">{session.error.message}</p>
        <button type="button" onClick={() => void session.refetch()}>{t('error.retry')}</button>
      </Layout>
    );
  }
  const me = session.data;
  if (pathname === '/sign-in') {
    if (me && !params.has('token')) return <Redirect to={HOME} />;
    return <Layout session={me}>{title(t('signIn.title'), <SignIn />)}</Layout>;
  }
  if (!me) return <Redirect to="/sign-in" />;
  if (pathname === '/console/inbox') return <Layout session={me}>{title(t('inbox.title'), <Inbox session={me} />)}</Layout>;
  return <Redirect to={HOME} />;
}
