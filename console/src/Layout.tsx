import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Role, Session } from './api/client.ts';
import { timeZone } from './format.ts';
import { LANGUAGES, type Language } from './i18n.ts';
import { Link, navigate, useLocation } from './router.tsx';
import { useSignOut } from './session.ts';

type NavKey = 'nav.inbox' | 'nav.apiDocs';
/** Who sees which page in the navigation (the API's authorization stays the only authority). */
const NAV: { to: string; label: NavKey; roles: 'everyone' | Role[]; external?: boolean }[] = [
  { to: '/console/inbox', label: 'nav.inbox', roles: 'everyone' },
  { to: '/docs', label: 'nav.apiDocs', roles: ['admin', 'analyst'], external: true },
];

export const navFor = (roles: readonly Role[]) => NAV.filter((item) => item.roles === 'everyone' || item.roles.some((r) => roles.includes(r)));

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <label className="language">
      {t('app.language')}{' '}
      <select value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value as Language)}>
        {Object.entries(LANGUAGES).map(([code, name]) => <option key={code} value={code} lang={code}>{name}</option>)}
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
      <a className="skip" href="#main">{t('app.skip')}</a>
      <header className="top">
        <span className="brand">{t('app.name')}</span>
        {session && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {navFor(session.operator.roles).map((item) => (
                <li key={item.to}>
                  {item.external
                    ? <a href={item.to}>{t(item.label)}</a>
                    : <Link to={item.to} aria-current={pathname.startsWith(item.to) ? 'page' : undefined}>{t(item.label)}</Link>}
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div className="tools">
          <LanguageSwitch />
          {session && (
            <>
              <span className="who">{t('session.signedInAs', { name: session.operator.name, roles: session.operator.roles.join(', ') })}</span>
              <button type="button" disabled={signOut.isPending}
                onClick={() => signOut.mutate(undefined, { onSuccess: () => navigate('/sign-in') })}>
                {t('session.signOut')}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
      <footer className="bottom">{t('app.timezone', { zone: timeZone() })}</footer>
    </>
  );
}
