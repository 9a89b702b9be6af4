// Small pieces every page uses: its document title, the API's refusal shown as an alert, the loading line.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

export function usePageTitle(text: string): void {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${text} · ${t('app.name')}`;
  }, [text, t]);
}

/** The API's own message (ApiError carries it), announced to screen readers. */
export function ErrorNote({ error }: { error: Error | null | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      {error.message}
    </p>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return <p aria-busy="true">{t('app.loading')}</p>;
}
