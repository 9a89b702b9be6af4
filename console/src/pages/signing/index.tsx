// The partner's signing page (/sign/<contract>?token=…): public, no operator session; the emailed link's token is its
// credential. It shows the full terms and the deadline, and signs with the typed name and the agreement; a used,
// replaced or expired link gets a page saying so (the API tells them apart by its refusal's code).
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Facts } from '../../components/Facts.tsx';
import { formatDateTime, formatMoney, timeZone } from '../../format.ts';
import { registerMessages } from '../../i18n.ts';
import { LanguageSwitch } from '../../Layout.tsx';
import { useLocation, useRoute } from '../../router.tsx';
import { en, zhCN } from './messages.ts';
import { Terms } from './Terms.tsx';
import './signing.css';

registerMessages('signing', { en, 'zh-CN': zhCN });

type Signing = paths['/contracts/{id}/sign']['get']['responses']['200']['content']['application/json'];
type Problem = 'invalid' | 'replaced' | 'expired';

/** A refusal with the API's code: the page tells a replaced or expired link from one that is not valid. */
class SignError extends ApiError {
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(status, message);
    this.code = code;
  }
}
const PROBLEMS: Record<string, Problem> = { sign_link_replaced: 'replaced', sign_link_expired: 'expired', sign_link_not_valid: 'invalid' };
function problemOf(err: Error | null): Problem | undefined {
  if (!(err instanceof SignError)) return undefined;
  // An id that is not a contract's (400, 404) is a link that is not valid.
  return (err.code ? PROBLEMS[err.code] : undefined) ?? (err.status === 400 || err.status === 404 ? 'invalid' : undefined);
}
function refusal(result: { error?: unknown; response: Response }): SignError {
  const body = result.error as { error?: { code?: string; message?: string } } | undefined;
  return new SignError(
    result.response.status,
    body?.error?.code,
    body?.error?.message ?? `${result.response.status} ${result.response.statusText}`,
  );
}

export default function SigningPage() {
  const { t } = useTranslation();
  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <span className="brand">{t('app.name')}</span>
        <div className="tools">
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="signing">
        <SigningContent />
      </main>
      <footer className="bottom">{t('app.timezone', { zone: timeZone() })}</footer>
    </>
  );
}

function SigningContent() {
  const { t, i18n } = useTranslation('signing');
  const [, match] = useRoute('/sign/:id');
  const id = match?.id ?? '';
  const token = useLocation().params.get('token') ?? '';
  const [signed, setSigned] = useState<{ name: string; at: string } | null>(null);
  const reading = useQuery({
    queryKey: ['signing', id, token],
    enabled: Boolean(id && token),
    queryFn: async (): Promise<Signing> => {
      const result = await api.GET('/contracts/{id}/sign', { params: { path: { id }, query: { token } } });
      if (!result.data) throw refusal(result);
      return result.data;
    },
    staleTime: Infinity,
  });
  const problem = !id || !token ? 'invalid' : problemOf(reading.error);
  const title = signed
    ? t('signedTitle')
    : problem
      ? t(`${problem}Title`)
      : reading.data?.status === 'signed'
        ? t('usedTitle')
        : reading.data?.status === 'closed'
          ? t('closedTitle')
          : t('title');
  usePageTitle(title);
  const when = (iso: string) => formatDateTime(iso, i18n.language);

  if (signed) return <Notice title={title}>{t('signedText', { name: signed.name, time: when(signed.at) })}</Notice>;
  if (problem) return <Notice title={title}>{t(`${problem}Text`)}</Notice>;
  if (reading.error) {
    const tooMany = reading.error instanceof ApiError && reading.error.status === 429;
    return (
      <>
        <h1>{tooMany ? t('tooManyTitle') : t('error.title')}</h1>
        <ErrorNote error={reading.error} />
        {!tooMany && (
          <button type="button" onClick={() => void reading.refetch()}>
            {t('error.retry')}
          </button>
        )}
      </>
    );
  }
  if (!reading.data) return <Loading />;
  const contract = reading.data;
  if (contract.status === 'signed') {
    const s = contract.signature!;
    return (
      <Notice title={title}>
        {s.name ? t('usedText', { name: s.name, time: when(s.at) }) : t('usedTextNoName', { time: when(s.at) })}
      </Notice>
    );
  }
  if (contract.status === 'closed') return <Notice title={title}>{t('closedText', { stage: t(`stages.${contract.stage}`) })}</Notice>;

  return (
    <>
      <h1>{t('title')}</h1>
      <p>{t('intro')}</p>
      <Facts
        items={[
          [t('partner'), contract.partnerName],
          [t('termsVersion'), contract.termsVersion],
          [t('value'), formatMoney(contract.value, contract.terms.currency, i18n.language)],
          [t('signBy'), <time dateTime={contract.signBy}>{when(contract.signBy)}</time>],
        ]}
      />
      <p className="deadline">{t('deadline', { time: when(contract.signBy) })}</p>
      <section aria-labelledby="terms-heading" className="panel">
        <h2 id="terms-heading">{t('termsHeading')}</h2>
        <Terms terms={contract.terms} />
      </section>
      <SignForm id={id} token={token} partner={contract.partnerName} onSigned={setSigned} />
    </>
  );
}

function Notice({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="notice" aria-labelledby="notice-title">
      <h1 id="notice-title">{title}</h1>
      <p>{children}</p>
    </section>
  );
}

function SignForm({
  id,
  token,
  partner,
  onSigned,
}: {
  id: string;
  token: string;
  partner: string;
  onSigned: (s: { name: string; at: string }) => void;
}) {
  const { t } = useTranslation('signing');
  const [name, setName] = useState('');
  const [agree, setAgree] = useState(false);
  const sign = useMutation({
    mutationFn: async () => {
      const result = await api.POST('/contracts/{id}/sign', { params: { path: { id } }, body: { token, name: name.trim(), agree: true } });
      if (!result.data) throw refusal(result);
      return result.data;
    },
    onSuccess: (data) => {
      const partnerSignature = data.signatures.partner as { name?: string; at?: string } | undefined;
      onSigned({ name: partnerSignature?.name ?? name.trim(), at: partnerSignature?.at ?? new Date().toISOString() });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && agree) sign.mutate();
  };
  return (
    <section aria-labelledby="sign-heading" className="panel">
      <h2 id="sign-heading">{t('signHeading')}</h2>
      <form className="sign-form" onSubmit={submit}>
        <label htmlFor="signer-name">{t('name')}</label>
        <input
          id="signer-name"
          autoComplete="name"
          required
          maxLength={200}
          aria-describedby="signer-name-help"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <span id="signer-name-help" className="muted">
          {t('nameHelp')}
        </span>
        <label className="agree">
          <input type="checkbox" required checked={agree} onChange={(e) => setAgree(e.target.checked)} /> {t('agree', { partner })}
        </label>
        <p className="muted">{t('evidence')}</p>
        <ErrorNote error={sign.error} />
        <div>
          <button type="submit" className="primary" disabled={sign.isPending}>
            {sign.isPending ? t('signing') : t('sign')}
          </button>
        </div>
      </form>
    </section>
  );
}
