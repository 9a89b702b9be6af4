import { lazy, Suspense, useMemo, type ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import { AREAS, type AreaProps } from './areas.ts';
import { Layout } from './Layout.tsx';
import { afterSignIn, SignIn } from './pages/SignIn.tsx';
import { Link, Redirect, Route, Switch, useLocation } from './router.tsx';
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

/** A console address that names no page: said so, with the way back (not silently the inbox). */
function NotFound() {
  const { t } = useTranslation();
  usePageTitle(t('notFound.title'));
  return (
    <>
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.text')}</p>
      <p>
        <Link to={HOME}>{t('notFound.home')}</Link>
      </p>
    </>
  );
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
        <Suspense fallback={loading}>
          <Signing />
        </Suspense>
      </Route>
      <Route>
        {session.isPending ? (
          <Layout session={null}>{loading}</Layout>
        ) : session.error ? (
          <Layout session={null}>
            <h1>{t('error.title')}</h1>
            <p role="alert" className="error">
              {session.error.message}
            </p>
            <button type="button" onClick={() => void session.refetch()}>
              {t('error.retry')}
            </button>
          </Layout>
        ) : (
          <Switch>
            <Route path="/sign-in">
              {session.data && !params.has('token') ? (
                <Redirect to={afterSignIn(params.get('next'))} replace />
              ) : (
                <Layout session={session.data}>
                  <SignInPage />
                </Layout>
              )}
            </Route>
            {!session.data ? (
              <Route>
                <Redirect to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />
              </Route>
            ) : null}
            <Route>
              <Layout session={session.data!}>
                <Switch>
                  {areas.map(({ path, Page }) => (
                    <Route key={path} path={path} nest>
                      <Suspense fallback={loading}>
                        <Page session={session.data!} />
                      </Suspense>
                    </Route>
                  ))}
                  <Route path="/">
                    <Redirect to={HOME} replace />
                  </Route>
                  <Route path="/console">
                    <Redirect to={HOME} replace />
                  </Route>
                  <Route>
                    <NotFound />
                  </Route>
                </Switch>
              </Layout>
            </Route>
          </Switch>
        )}
      </Route>
    </Switch>
  );
}
