// The task inbox: tasks for my roles and those I hold, most urgent first (the API orders by due time), paged; claim,
// release and decide with a comment. A refusal (403/409/422) shows the API's reason and keeps the comment.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session, type Task } from '../../api/client.ts';
import { usePageTitle } from '../../components/page.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';

const PAGE = 25;
const STATUSES = ['open', 'escalated', 'completed', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
const isActive = (task: Task) => task.status === 'open' || task.status === 'escalated';

export function Inbox({ session }: { session: Session }) {
  const { t } = useTranslation('inbox');
  usePageTitle(t('title'));
  const [status, setStatus] = useState<Status>('open');
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Task | null>(null);
  const tasks = useQuery({
    queryKey: ['tasks', { status, offset }],
    queryFn: async () => unwrap(await api.GET('/tasks', { params: { query: { status, limit: PAGE, offset } } })),
    placeholderData: keepPreviousData,
    // New tasks appear without a reload.
    refetchInterval: 15_000,
  });
  const page = tasks.data;

  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">{t('title')}</h1>
      <div className="toolbar">
        <label>
          {t('status')}{' '}
          <select value={status} onChange={(e) => { setStatus(e.target.value as Status); setOffset(0); }}>
            {STATUSES.map((s) => <option key={s} value={s}>{t(`statuses.${s}`)}</option>)}
          </select>
        </label>
        {page && page.total > 0 && (
          <span className="count">{t('count', { from: offset + 1, to: offset + page.items.length, total: page.total })}</span>
        )}
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>{t('previous')}</button>
        <button type="button" disabled={!page || offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>{t('next')}</button>
      </div>
      {tasks.error && <p role="alert" className="error">{tasks.error.message}</p>}
      {tasks.isPending && <p>{t('app.loading')}</p>}
      {page && page.items.length === 0 && <p>{t('empty')}</p>}
      {page && page.items.length > 0 && (
        <table className="tasks">
          <thead>
            <tr>
              <th scope="col">{t('columns.task')}</th>
              <th scope="col">{t('columns.priority')}</th>
              <th scope="col">{t('columns.due')}</th>
              <th scope="col">{t('columns.role')}</th>
              <th scope="col">{t('columns.assignee')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((task) => (
              <tr key={task.id} className={selected?.id === task.id ? 'selected' : undefined}>
                <td>
                  <button type="button" className="link" onClick={() => setSelected(task)}>{task.title}</button>
                  <div className="kind">{task.kind}</div>
                </td>
                <td><span className={`priority priority-${task.priority}`}>{task.priority}</span></td>
                <td><Due task={task} /></td>
                <td>{task.candidateRole}</td>
                <td><Holder task={task} me={session.operator.id} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <TaskPanel key={selected.id} task={selected} me={session.operator.id} onChange={setSelected} onClose={() => setSelected(null)} />}
    </section>
  );
}

function Due({ task }: { task: Task }) {
  const { t, i18n } = useTranslation('inbox');
  if (!task.dueAt) return <span className="muted">{t('noDue')}</span>;
  const relative = formatRelative(task.dueAt, i18n.language);
  const overdue = isActive(task) && new Date(task.dueAt).getTime() < Date.now();
  return (
    <>
      <time dateTime={task.dueAt}>{formatDateTime(task.dueAt, i18n.language)}</time>
      <div className={overdue ? 'overdue' : 'muted'}>{overdue ? t('overdue', { time: relative }) : t('dueIn', { time: relative })}</div>
      {task.escalatedAt && <div className="overdue">{t('escalated', { time: formatRelative(task.escalatedAt, i18n.language) })}</div>}
    </>
  );
}

function Holder({ task, me }: { task: Task; me: string }) {
  const { t } = useTranslation('inbox');
  if (!task.assigneeId) return <span className="muted">{t('unassigned')}</span>;
  return <>{task.assigneeId === me ? t('me') : t('someone')}</>;
}

type Action = { kind: 'claim' } | { kind: 'release' } | { kind: 'complete'; decision: string };

function TaskPanel({ task, me, onChange, onClose }: { task: Task; me: string; onChange: (task: Task) => void; onClose: () => void }) {
  const { t, i18n } = useTranslation('inbox');
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const act = useMutation({
    mutationFn: async (action: Action) => {
      const params = { path: { id: task.id } };
      if (action.kind === 'claim') return unwrap(await api.POST('/tasks/{id}/claim', { params }));
      if (action.kind === 'release') return unwrap(await api.POST('/tasks/{id}/release', { params }));
      const body = { decision: action.decision, ...(comment.trim() ? { comment: comment.trim() } : {}) };
      return unwrap(await api.POST('/tasks/{id}/complete', { params, body }));
    },
    onSuccess: (updated) => {
      onChange(updated);
      void queryClient.invalidateQueries({ queryKey: ['tasks'] });
    },
  });
  const active = isActive(task);

  return (
    <section className="panel" aria-labelledby="task-title">
      <h2 id="task-title">{task.title}</h2>
      <p className="muted">{task.kind} · {task.entityType} {task.entityId}</p>
      {task.decision && (
        <p role="status">{t('done', { decision: task.decision })}{' '}
          {task.decidedAt && t('decided', { decision: task.decision, who: task.decidedBy === me ? t('me') : t('someone'), time: formatDateTime(task.decidedAt, i18n.language) })}
        </p>
      )}
      <h3>{t('payload')}</h3>
      <pre className="payload">{JSON.stringify(task.payload, null, 2)}</pre>
      {act.error && <p role="alert" className="error">{act.error.message}</p>}
      {active && (
        <div className="actions">
          {!task.assigneeId && <button type="button" disabled={act.isPending} onClick={() => act.mutate({ kind: 'claim' })}>{t('claim')}</button>}
          {task.assigneeId === me && <button type="button" disabled={act.isPending} onClick={() => act.mutate({ kind: 'release' })}>{t('release')}</button>}
          <label htmlFor="task-comment">{t('comment')}</label>
          <textarea id="task-comment" rows={3} maxLength={5000} value={comment} onChange={(e) => setComment(e.target.value)} />
          <div role="group" aria-label={t('decide')}>
            {task.decisions.map((decision) => (
              <button key={decision} type="button" className="primary" disabled={act.isPending}
                onClick={() => act.mutate({ kind: 'complete', decision })}>{decision}</button>
            ))}
          </div>
        </div>
      )}
      <button type="button" onClick={onClose}>{t('close')}</button>
    </section>
  );
}
