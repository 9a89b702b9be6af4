import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Role, Session } from './api/client.ts';
import { areasFor } from './areas.ts';
import { timeZone } from './format.ts';
import { LANGUAGES, type Language } from './i18n.ts';
import { Link, navigate, useLocation } from './router.tsx';
import { useSignOut } from './session.ts';

/** The API's own reference, for those who script against it. */
const API_DOCS_ROLES: Role[] = ['admin', 'analyst'];

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <label className="language">
      {t('app.language')}{' '}
      <select value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value as Language)}>
        {Object.entries(LANGUAGES).map(([code, name]) => (
          <option key={code} value={code} lang={code}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Layout({ session, children }: { session: Session | null; children: ReactNode }) {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const signOut = useSignOut();
  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <span className="brand">{t('app.name')}</span>
        {session && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {areasFor(session.operator.roles).map((area) => (
                <li key={area.path}>
                  <Link to={area.path} aria-current={pathname === area.path || pathname.startsWith(`${area.path}/`) ? 'page' : undefined}>
                    {t(area.label)}
                  </Link>
                </li>
              ))}
              {session.operator.roles.some((role) => API_DOCS_ROLES.includes(role)) && (
                <li>
                  <a href="/docs">{t('nav.apiDocs')}</a>
                </li>
              )}
            </ul>
          </nav>
        )}
        <div className="tools">
          <LanguageSwitch />
          {session && (
            <>
              <span className="who">
                {t('session.signedInAs', {
                  name: session.operator.name,
                  roles: session.operator.roles.map((role) => t(`role.${role}`)).join(', '),
                })}
              </span>
              <button
                type="button"
                disabled={signOut.isPending}
                onClick={() => signOut.mutate(undefined, { onSuccess: () => navigate('/sign-in') })}
              >
                {t('session.signOut')}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer className="bottom">{t('app.timezone', { zone: timeZone() })}</footer>
    </>
  );
}
