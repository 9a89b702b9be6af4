// Small pieces every page uses: its document title, the API's refusal shown as an alert, the loading line.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.ts';

export function usePageTitle(text: string): void {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${text} · ${t('app.name')}`;
  }, [text, t]);
}

/**
 * The API's own message (ApiError carries it), announced to screen readers. An outage or a workflow that did not answer
 * is said in the console's language instead (the API's words are English), with a button to ask again when `retry`.
 */
export function ErrorNote({ error, retry }: { error: Error | null | undefined; retry?: () => void }) {
  const { t } = useTranslation();
  if (!error) return null;
  const status = error instanceof ApiError ? error.status : 0;
  const message =
    status === 503
      ? t('error.unavailable', { count: (error as ApiError).retryAfter ?? 5 })
      : status === 504
        ? t('error.noAnswer')
        : error.message;
  return (
    <p role="alert" className="error">
      {message}
      {retry && (
        <>
          {' '}
          <button type="button" onClick={retry}>
            {t('error.retry')}
          </button>
        </>
      )}
    </p>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return <p aria-busy="true">{t('app.loading')}</p>;
}
