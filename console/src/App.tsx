import { lazy, Suspense, useMemo, type ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import { AREAS, type AreaProps } from './areas.ts';
import { Layout } from './Layout.tsx';
import { afterSignIn, SignIn } from './pages/SignIn.tsx';
import { Redirect, Route, Switch, useLocation } from './router.tsx';
import { usePageTitle } from './components/page.tsx';
import { useSession } from './session.ts';

const HOME = '/console/inbox';
// The partner's signing page: public (its link's token is the only credential), outside the operator's session.
const Signing = lazy(() => import('./pages/signing/index.tsx'));

function SignInPage() {
  const { t } = useTranslation();
  usePageTitle(t('signIn.title'));
  return <SignIn />;
}

export function App() {
  const { t } = useTranslation();
  const { params } = useLocation();
  const session = useSession();
  const areas = useMemo(() => AREAS.map((area) => ({ ...area, Page: lazy(area.load) as ComponentType<AreaProps> })), []);
  const loading = <p>{t('app.loading')}</p>;

  return (
    <Switch>
      <Route path="/sign/*">
        <Suspense fallback={loading}><Signing /></Suspense>
      </Route>
      <Route>
        {session.isPending ? <Layout session={null}>{loading}</Layout>
          : session.error ? (
            <Layout session={null}>
              <h1>{t('error.title')}</h1>
              <p role="alert" className="error">{session.error.message}</p>
              <button type="button" onClick={() => void session.refetch()}>{t('error.retry')}</button>
            </Layout>
          ) : (
            <Switch>
              <Route path="/sign-in">
                {session.data && !params.has('token') ? <Redirect to={afterSignIn(params.get('next'))} replace /> : <Layout session={session.data}><SignInPage /></Layout>}
              </Route>
              {!session.data ? <Route><Redirect to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace /></Route> : null}
              <Route>
                <Layout session={session.data!}>
                  <Switch>
                    {areas.map(({ path, Page }) => (
                      <Route key={path} path={path} nest>
                        <Suspense fallback={loading}><Page session={session.data!} /></Suspense>
                      </Route>
                    ))}
                    <Route><Redirect to={HOME} replace /></Route>
                  </Switch>
                </Layout>
              </Route>
            </Switch>
          )}
      </Route>
    </Switch>
  );
}
