// Both ways in: the emailed one-time link (/sign-in?token=… POSTs its token only when the button is pressed, since
// mail scanners open links), or an API token pasted here.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate, useLocation } from '../router.tsx';
import { useEmailLink, useSignIn } from '../session.ts';

// Back to the page that asked for a session (an emailed task or incident link), else the inbox.
export const afterSignIn = (next: string | null) => (next?.startsWith('/console/') ? next : '/console/inbox');

export function SignIn() {
  const { t } = useTranslation();
  const { params } = useLocation();
  const linkToken = params.get('token');
  const signIn = useSignIn();
  const emailLink = useEmailLink();
  const [email, setEmail] = useState('');
  const [apiToken, setApiToken] = useState('');
  const done = { onSuccess: () => navigate(afterSignIn(params.get('next')), { replace: true }) };

  const withToken = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ apiToken: apiToken.trim() }, done);
  };
  const sendLink = (e: FormEvent) => {
    e.preventDefault();
    const next = params.get('next');
    emailLink.mutate({ email: email.trim(), ...(next?.startsWith('/console/') ? { next } : {}) });
  };
  const error = signIn.error ?? emailLink.error;

  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      {linkToken ? (
        <>
          <h2>{t('signIn.fromLink')}</h2>
          <p>{t('signIn.fromLinkHelp')}</p>
          <button type="button" className="primary" disabled={signIn.isPending} onClick={() => signIn.mutate({ linkToken }, done)}>
            {t('signIn.continue')}
          </button>
          <p>
            <a
              href="/sign-in"
              onClick={(e) => {
                e.preventDefault();
                navigate('/sign-in', { replace: true });
              }}
            >
              {t('signIn.otherWays')}
            </a>
          </p>
        </>
      ) : (
        <>
          <form onSubmit={sendLink}>
            <h2>{t('signIn.byEmail')}</h2>
            <label htmlFor="sign-in-email">{t('signIn.email')}</label>
            <input id="sign-in-email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            <button type="submit" disabled={emailLink.isPending}>
              {t('signIn.sendLink')}
            </button>
            {emailLink.isSuccess && <p role="status">{t('signIn.linkSent', { email: emailLink.variables.email })}</p>}
          </form>
          <form onSubmit={withToken}>
            <h2>{t('signIn.byToken')}</h2>
            <label htmlFor="sign-in-token">{t('signIn.token')}</label>
            <input
              id="sign-in-token"
              type="password"
              autoComplete="off"
              required
              value={apiToken}
              onChange={(e) => setApiToken(e.target.value)}
            />
            <button type="submit" disabled={signIn.isPending}>
              {t('signIn.useToken')}
            </button>
          </form>
        </>
      )}
    </section>
  );
}
