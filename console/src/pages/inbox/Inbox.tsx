// The task inbox: tasks for my roles and those I hold, most urgent first (the API orders by priority, then due time),
// paged and filtered by status and kind, with the SLA countdown and escalation; new tasks appear without a reload.
// A task opens beside the list at /console/inbox/<taskId>.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Session, Task } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { Link } from '../../router.tsx';
import { getPreferences, keys, KINDS, listTasks, setPreferences, STATUSES, type Status } from './inbox-api.ts';
import { TaskPanel } from './TaskPanel.tsx';

const PAGE = 25;
export const isActive = (task: Pick<Task, 'status'>) => task.status === 'open' || task.status === 'escalated';

/** The current time, moving on every `everyMs`: the countdowns stay true between refetches. */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function Inbox({ session, taskId }: { session: Session; taskId: string | null }) {
  const { t } = useTranslation('inbox');
  usePageTitle(t('title'));
  const [status, setStatus] = useState<Status>('active');
  const [kind, setKind] = useState('');
  const [offset, setOffset] = useState(0);
  const tasks = useQuery({
    queryKey: [...keys.tasks, 'list', { status, kind, offset }],
    queryFn: () => listTasks({ status, ...(kind ? { kind } : {}), limit: PAGE, offset }),
    placeholderData: keepPreviousData,
    // New tasks appear without a reload.
    refetchInterval: 15_000,
  });
  const page = tasks.data;
  const me = session.operator.id;

  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">{t('title')}</h1>
      <EmailSetting />
      <div className={`inbox-layout${taskId ? ' with-task' : ''}`}>
        <div className="inbox-list">
          <div className="toolbar">
            <label>
              {t('status')}{' '}
              <select
                value={status}
                onChange={(e) => {
                  setStatus(e.target.value as Status);
                  setOffset(0);
                }}
              >
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {t(`statuses.${s}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('kind')}{' '}
              <select
                value={kind}
                onChange={(e) => {
                  setKind(e.target.value);
                  setOffset(0);
                }}
              >
                <option value="">{t('allKinds')}</option>
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`kinds.${k}`)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ErrorNote error={tasks.error} />
          {tasks.isPending && <Loading />}
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
                  <tr key={task.id} className={taskId === task.id ? 'selected' : undefined}>
                    <td>
                      <Link to={`/${task.id}`} aria-current={taskId === task.id ? 'page' : undefined}>
                        {task.title}
                      </Link>
                      <div className="kind">{kindLabel(t, task.kind)}</div>
                    </td>
                    <td>
                      <Priority priority={task.priority} />
                    </td>
                    <td>
                      <Due task={task} />
                    </td>
                    <td>{t(`translation:role.${task.candidateRole}`)}</td>
                    <td>
                      <Holder task={task} me={me} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pager offset={offset} limit={PAGE} total={page?.total} shown={page?.items.length ?? 0} onChange={setOffset} />
        </div>
        {taskId && (
          <TaskPanel
            key={taskId}
            taskId={taskId}
            me={me}
            canAssign={session.operator.roles.some((r) => r === 'admin' || r === 'ops_manager')}
          />
        )}
      </div>
    </section>
  );
}

export const kindLabel = (t: TFunction<'inbox'>, kind: string): string => t(`kinds.${kind}`, { defaultValue: kind });

export function Priority({ priority }: { priority: string }) {
  const { t } = useTranslation('inbox');
  return <span className={`priority priority-${priority}`}>{t(`priorities.${priority}`, { defaultValue: priority })}</span>;
}

/** The due time in the operator's timezone with the countdown, and the escalation once the SLA passed. */
export function Due({ task }: { task: Task }) {
  const { t, i18n } = useTranslation('inbox');
  const now = useNow();
  if (!task.dueAt) return <span className="muted">{t('noDue')}</span>;
  const relative = formatRelative(task.dueAt, i18n.language, now);
  const overdue = isActive(task) && new Date(task.dueAt).getTime() < now;
  return (
    <>
      <time dateTime={task.dueAt}>{formatDateTime(task.dueAt, i18n.language)}</time>
      {isActive(task) && (
        <div className={overdue ? 'overdue' : 'muted'}>{overdue ? t('overdue', { time: relative }) : t('dueIn', { time: relative })}</div>
      )}
      {task.escalatedAt && (
        <div>
          <span className="badge-escalated">{t('escalatedBadge')}</span>{' '}
          <span className="muted">{t('escalated', { time: formatRelative(task.escalatedAt, i18n.language, now) })}</span>
        </div>
      )}
    </>
  );
}

export function Holder({ task, me }: { task: Task; me: string }) {
  const { t } = useTranslation('inbox');
  if (!task.assigneeId) return <span className="muted">{t('unassigned')}</span>;
  return <>{task.assigneeId === me ? t('me') : t('someone')}</>;
}

/** The operator's own setting: emails when a task opens for their roles (the API keeps it per operator). */
function EmailSetting() {
  const { t } = useTranslation('inbox');
  const id = useId();
  const queryClient = useQueryClient();
  const preferences = useQuery({ queryKey: keys.preferences, queryFn: getPreferences });
  // The box follows the click at once (set in the same event), and goes back if the API refuses.
  const [ticked, setTicked] = useState<boolean | null>(null);
  const change = useMutation({
    mutationFn: setPreferences,
    onSuccess: (saved) => queryClient.setQueryData(keys.preferences, saved),
    onSettled: () => setTicked(null),
  });
  // Shown once known: an unticked box while loading would say something untrue.
  if (!preferences.data) return <ErrorNote error={preferences.error} />;
  return (
    <div className="inbox-settings">
      <input
        id={id}
        type="checkbox"
        checked={ticked ?? preferences.data.taskEmails}
        disabled={change.isPending}
        onChange={(e) => {
          setTicked(e.target.checked);
          change.mutate({ taskEmails: e.target.checked });
        }}
      />{' '}
      <label htmlFor={id}>{t('emailMe')}</label>
      {change.isSuccess && (
        <span role="status" className="muted">
          {' '}
          {t('saved')}
        </span>
      )}
      <ErrorNote error={change.error} />
    </div>
  );
}
