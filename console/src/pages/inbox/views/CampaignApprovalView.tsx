// A campaign's budget approval: budget, cost per send, the audience's size now, the cost of sending to all of it, and
// the message as the sample customer (the audience's first) would get it.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Task } from '../../../api/client.ts';
import type { paths } from '../../../api/schema.d.ts';
import { Facts } from '../../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../../components/page.tsx';
import { formatDateTime, formatMoney, formatNumber } from '../../../format.ts';
import { getCampaign } from '../inbox-api.ts';

interface Budget {
  total: number;
  currency: string;
  costPerSend: number;
}
interface Message {
  subject: string;
  body: string;
}
interface Spec {
  budget: Budget;
  audience: Record<string, unknown>;
  message: Message | null;
  abTest: { variants: (Message & { name: string })[] } | null;
  schedule: { startAt: string; endAt: string };
}
type Audience = paths['/campaigns/audience-count']['post']['requestBody']['content']['application/json']['audience'];

export function CampaignApprovalView({ task }: { task: Task }) {
  const { t, i18n } = useTranslation('inbox');
  const lang = i18n.language;
  const payload = task.payload as { revision?: number; budget?: Budget; reason?: string };
  const campaign = useQuery({ queryKey: ['campaign', task.entityId], queryFn: () => getCampaign(task.entityId) });
  const spec = campaign.data?.spec as Spec | null | undefined;
  const audience = spec?.audience as Audience | undefined;
  const count = useQuery({
    queryKey: ['campaign-audience', task.entityId, audience],
    enabled: audience !== undefined,
    queryFn: async () => unwrap(await api.POST('/campaigns/audience-count', { body: { audience: audience! } })),
  });
  const message = spec ? (spec.message ?? spec.abTest?.variants[0] ?? null) : null;
  const preview = useQuery({
    queryKey: ['campaign-preview', task.entityId, message, audience],
    enabled: message !== null && audience !== undefined,
    queryFn: async () =>
      unwrap(
        await api.POST('/campaigns/preview', {
          body: { message: { subject: message!.subject, body: message!.body }, audience: audience! },
        }),
      ),
  });
  const budget = payload.budget ?? spec?.budget;
  const size = count.data?.count;
  const sendsPaid = budget && budget.costPerSend > 0 ? Math.floor(budget.total / budget.costPerSend) : null;
  const cost = budget && size !== undefined ? Math.min(size * budget.costPerSend, budget.total) : undefined;

  return (
    <>
      <h3>{t('campaign.summary')}</h3>
      {budget && (
        <Facts
          items={[
            [t('campaign.budget'), formatMoney(budget.total, budget.currency, lang)],
            [t('campaign.costPerSend'), formatMoney(budget.costPerSend, budget.currency, lang)],
            [t('campaign.audience'), size === undefined ? (count.isFetching ? '…' : null) : t('campaign.audienceValue', { count: size })],
            [
              t('campaign.cost'),
              cost === undefined ? null : (
                <>
                  {formatMoney(cost, budget.currency, lang)}
                  {sendsPaid !== null && size !== undefined && size > sendsPaid && (
                    <div className="overdue">{t('campaign.costNote', { sends: formatNumber(sendsPaid, lang) })}</div>
                  )}
                </>
              ),
            ],
            [
              t('campaign.schedule'),
              spec ? `${formatDateTime(spec.schedule.startAt, lang)} – ${formatDateTime(spec.schedule.endAt, lang)}` : null,
            ],
            [t('campaign.reason'), payload.reason ?? null],
            [t('campaign.revision'), payload.revision ?? null],
          ]}
        />
      )}
      {campaign.isPending && <Loading />}
      <ErrorNote error={campaign.error ?? count.error ?? preview.error} />
      {message && (
        <>
          <h3>{t('campaign.preview')}</h3>
          {spec?.abTest && (
            <p className="muted">{t('campaign.variants', { count: spec.abTest.variants.length, name: spec.abTest.variants[0]?.name })}</p>
          )}
          {preview.data && (
            <div className="preview-mail">
              <p className="muted">
                {preview.data.customer
                  ? t('campaign.previewFor', { name: preview.data.customer.name ?? preview.data.customer.email })
                  : t('campaign.previewNobody')}
              </p>
              <p>
                <strong>{t('campaign.subject')}:</strong> {preview.data.subject}
              </p>
              <pre>{preview.data.text}</pre>
            </div>
          )}
        </>
      )}
    </>
  );
}
