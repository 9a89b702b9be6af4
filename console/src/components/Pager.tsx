// Offset paging over the API's `limit`/`offset` and its `total`: lists stay usable at thousands of items.
import { useTranslation } from 'react-i18next';

export function Pager({
  offset,
  limit,
  total,
  shown,
  onChange,
}: {
  offset: number;
  limit: number;
  total: number | undefined;
  shown: number;
  onChange: (offset: number) => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="pager">
      {total !== undefined && total > 0 && (
        <span className="count">{t('pager.count', { from: offset + 1, to: offset + shown, total })}</span>
      )}
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        {t('pager.previous')}
      </button>
      <button type="button" disabled={total === undefined || offset + limit >= total} onClick={() => onChange(offset + limit)}>
        {t('pager.next')}
      </button>
    </div>
  );
}
