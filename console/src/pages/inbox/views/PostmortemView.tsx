// A postmortem task: the incident's figures, and the form its decision takes (summary, root cause, action items),
// sent to the incident (POST /incidents/:id/postmortem), which closes the task. A refusal keeps what was typed.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Task } from '../../../api/client.ts';
import { Facts } from '../../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../../components/page.tsx';
import { formatDateTime } from '../../../format.ts';
import { getIncident, keys } from '../inbox-api.ts';

export function PostmortemView({ task, active }: { task: Task; active: boolean }) {
  const { t, i18n } = useTranslation('inbox');
  const lang = i18n.language;
  const queryClient = useQueryClient();
  const incidentId = (task.payload as { incidentId?: string }).incidentId ?? task.entityId;
  const incident = useQuery({ queryKey: ['incident', incidentId], queryFn: () => getIncident(incidentId) });
  const [summary, setSummary] = useState('');
  const [rootCause, setRootCause] = useState('');
  const [actionItems, setActionItems] = useState('');
  const submit = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/incidents/{id}/postmortem', {
          params: { path: { id: incidentId } },
          body: {
            summary: summary.trim(),
            rootCause: rootCause.trim(),
            actionItems: actionItems
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean),
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.tasks });
      void queryClient.invalidateQueries({ queryKey: ['incident', incidentId] });
    },
  });
  const i = incident.data;
  const minutes = (s: number | null) => (s === null ? null : t('postmortem.minutes', { count: Math.round(s / 60) }));
  const pm = i?.postmortem;

  return (
    <>
      <h3>{t('postmortem.incident')}</h3>
      {incident.isPending && <Loading />}
      <ErrorNote error={incident.error} />
      {i && (
        <Facts
          items={[
            [t('postmortem.severity'), i.severity],
            [t('postmortem.service'), i.service],
            [t('postmortem.triggered'), formatDateTime(i.triggeredAt, lang)],
            [t('postmortem.resolved'), i.resolvedAt ? formatDateTime(i.resolvedAt, lang) : null],
            [t('postmortem.resolution'), i.resolution],
            [t('postmortem.tta'), minutes(i.timeToAcknowledgeSeconds)],
            [t('postmortem.ttr'), minutes(i.timeToResolveSeconds)],
          ]}
        />
      )}
      <h3>{t('postmortem.form')}</h3>
      {pm?.status === 'done' || submit.isSuccess ? (
        <>
          <p role="status">{t('postmortem.submitted')}</p>
          {pm?.summary && (
            <Facts
              items={[
                [t('postmortem.summary'), pm.summary],
                [t('postmortem.rootCause'), pm.rootCause],
              ]}
            />
          )}
          {pm && pm.actionItems.length > 0 && (
            <ul>
              {pm.actionItems.map((a, n) => (
                <li key={n}>{a}</li>
              ))}
            </ul>
          )}
        </>
      ) : (
        active && (
          <form
            className="postmortem-form"
            onSubmit={(e) => {
              e.preventDefault();
              submit.mutate();
            }}
          >
            <label htmlFor="pm-summary">{t('postmortem.summary')}</label>
            <textarea id="pm-summary" rows={3} required maxLength={20_000} value={summary} onChange={(e) => setSummary(e.target.value)} />
            <label htmlFor="pm-root-cause">{t('postmortem.rootCause')}</label>
            <textarea
              id="pm-root-cause"
              rows={3}
              required
              maxLength={20_000}
              value={rootCause}
              onChange={(e) => setRootCause(e.target.value)}
            />
            <label htmlFor="pm-actions">{t('postmortem.actionItems')}</label>
            <textarea id="pm-actions" rows={4} value={actionItems} onChange={(e) => setActionItems(e.target.value)} />
            <ErrorNote error={submit.error} />
            <div>
              <button type="submit" className="primary" disabled={submit.isPending}>
                {t('postmortem.submit')}
              </button>
            </div>
          </form>
        )
      )}
    </>
  );
}
