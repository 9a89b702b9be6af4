// One task: its facts, its payload rendered for its kind, claim and release, and the decision with a comment. A
// refusal (403/409/422) shows the API's reason and keeps the comment.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Task } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading } from '../../components/page.tsx';
import { formatDateTime } from '../../format.ts';
import { Link, navigate } from '../../router.tsx';
import { Due, Holder, isActive, kindLabel, Priority } from './Inbox.tsx';
import { getTask, keys, listTasks } from './inbox-api.ts';
import { CampaignApprovalView } from './views/CampaignApprovalView.tsx';
import { ContentReviewView } from './views/ContentReviewView.tsx';
import { ContractApprovalView, ContractRenewalView } from './views/ContractViews.tsx';
import { PostmortemView } from './views/PostmortemView.tsx';
import { TemplateReviewView, type TemplateReviewPayload } from '../templates/TemplateReviewView.tsx';

type Action = { kind: 'claim' } | { kind: 'release' } | { kind: 'complete'; decision: string };

/** Where each entity lives in the console (another area). */
const ENTITY_PATHS: Record<string, string> = {
  content: '~/console/content',
  campaign: '~/console/campaigns',
  contract: '~/console/partners/contracts',
  incident: '~/console/incidents',
};

export function TaskPanel({ taskId, me, canAssign = false }: { taskId: string; me: string; canAssign?: boolean }) {
  const { t } = useTranslation('inbox');
  const heading = useRef<HTMLHeadingElement>(null);
  const task = useQuery({ queryKey: keys.task(taskId), queryFn: () => getTask(taskId), refetchInterval: 15_000 });
  const loaded = task.data !== undefined;
  // Opened from the list (or a link), the task takes the focus: a keyboard user goes on from its heading.
  useEffect(() => {
    if (loaded) heading.current?.focus();
  }, [loaded]);

  return (
    <section className="panel task-view" aria-labelledby="task-title">
      {task.isPending && <Loading />}
      <ErrorNote error={task.error} />
      {task.data && <TaskBody task={task.data} me={me} canAssign={canAssign} headingRef={heading} />}
      <button type="button" onClick={() => navigate('/console/inbox')}>
        {t('close')}
      </button>
    </section>
  );
}

function TaskBody({
  task,
  me,
  canAssign,
  headingRef,
}: {
  task: Task;
  me: string;
  canAssign: boolean;
  headingRef: React.RefObject<HTMLHeadingElement | null>;
}) {
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
      queryClient.setQueryData(keys.task(task.id), updated);
      void queryClient.invalidateQueries({ queryKey: keys.tasks });
    },
  });
  const active = isActive(task);
  const decisionLabel = (d: string) => t(`decisions.${d}`, { defaultValue: d });
  const entityPath = ENTITY_PATHS[task.entityType];
  // The postmortem is decided through its own form (summary, root cause, action items), not a bare "done".
  const ownForm = task.kind === 'postmortem';

  return (
    <>
      <h2 id="task-title" tabIndex={-1} ref={headingRef}>
        {task.title}
      </h2>
      <Facts
        items={[
          [t('facts.kind'), kindLabel(t, task.kind)],
          [t('facts.priority'), <Priority priority={task.priority} />],
          [t('facts.status'), t(`statuses.${task.status}`)],
          [t('facts.due'), <Due task={task} />],
          [t('facts.role'), t(`translation:role.${task.candidateRole}`)],
          [t('facts.holder'), <Holder task={task} me={me} />],
          [t('facts.opened'), formatDateTime(task.createdAt, i18n.language)],
        ]}
      />
      {entityPath && (
        <p>
          <Link to={`${entityPath}/${task.entityId}`}>
            {t('openEntity', { what: t(`entities.${task.entityType}`, { defaultValue: task.entityType }) })}
          </Link>
        </p>
      )}
      {task.decision && (
        <p role="status">
          {t('done', { decision: decisionLabel(task.decision) })}{' '}
          {task.decidedAt &&
            t('decided', {
              decision: decisionLabel(task.decision),
              who: task.decidedBy === me ? t('me') : t('someone'),
              time: formatDateTime(task.decidedAt, i18n.language),
            })}
        </p>
      )}
      {task.status === 'cancelled' && task.comment && <p className="muted">{t('cancelledNote', { reason: task.comment })}</p>}
      <OtherTasks task={task} me={me} />

      <KindView task={task} active={active} />
      {active && canAssign && <Assign task={task} />}

      <ErrorNote error={act.error} />
      {active && (
        <div className="actions">
          {!task.assigneeId && (
            <button type="button" disabled={act.isPending} onClick={() => act.mutate({ kind: 'claim' })}>
              {t('claim')}
            </button>
          )}
          {task.assigneeId === me && (
            <button type="button" disabled={act.isPending} onClick={() => act.mutate({ kind: 'release' })}>
              {t('release')}
            </button>
          )}
          {!ownForm && (
            <>
              <div className="task-comment">
                <label htmlFor="task-comment">{t('comment')}</label>
                <textarea id="task-comment" rows={3} maxLength={5000} value={comment} onChange={(e) => setComment(e.target.value)} />
              </div>
              <div role="group" aria-label={t('decide')} className="decide-row">
                {task.decisions.map((decision) => (
                  <button
                    key={decision}
                    type="button"
                    className="primary"
                    disabled={act.isPending}
                    onClick={() => act.mutate({ kind: 'complete', decision })}
                  >
                    {decisionLabel(decision)}
                  </button>
                ))}
              </div>
            </>
          )}
        </div>
      )}
    </>
  );
}

/**
 * The same item's other tasks waiting for a decision: an S-tier review's second approval, say. Its reviewers are emailed
 * one link for the round; who finds that approval taken goes on to the other from here.
 */
function OtherTasks({ task, me }: { task: Task; me: string }) {
  const { t } = useTranslation('inbox');
  const of = { entityType: task.entityType, entityId: task.entityId };
  const tasks = useQuery({ queryKey: keys.tasksOf(of), queryFn: () => listTasks({ ...of, status: 'active', limit: 20, offset: 0 }) });
  const others = (tasks.data?.items ?? []).filter((other) => other.id !== task.id);
  if (others.length === 0) return null;
  return (
    <section aria-labelledby="other-tasks">
      <h3 id="other-tasks">{t('otherTasks', { what: t(`entities.${task.entityType}`, { defaultValue: task.entityType }) })}</h3>
      <ul>
        {others.map((other) => (
          <li key={other.id}>
            <Link to={`~/console/inbox/${other.id}`}>{other.title}</Link> ({t('facts.holder')}: <Holder task={other} me={me} />)
          </li>
        ))}
      </ul>
    </section>
  );
}

function KindView({ task, active }: { task: Task; active: boolean }) {
  switch (task.kind) {
    case 'content_review':
      return <ContentReviewView task={task} />;
    case 'campaign_approval':
      return <CampaignApprovalView task={task} />;
    case 'contract_approval':
      return <ContractApprovalView task={task} />;
    case 'contract_renewal':
      return <ContractRenewalView task={task} />;
    case 'postmortem':
      return <PostmortemView task={task} active={active} />;
    case 'template_review':
      return <TemplateReviewView payload={task.payload as unknown as TemplateReviewPayload} />;
    default:
      return <RawPayload task={task} />;
  }
}

/** A kind this console does not know yet: its payload as it is. */
function RawPayload({ task }: { task: Task }) {
  const { t } = useTranslation('inbox');
  return (
    <>
      <h3>{t('payload')}</h3>
      <pre className="payload">{JSON.stringify(task.payload, null, 2)}</pre>
    </>
  );
}

/** An ops manager or admin hands the task to someone with its role (the API and the workflow decide who may). */
function Assign({ task }: { task: Task }) {
  const { t } = useTranslation('inbox');
  const queryClient = useQueryClient();
  const [operatorId, setOperatorId] = useState('');
  const candidates = useQuery({
    queryKey: ['tasks', task.id, 'candidates'],
    queryFn: async () => unwrap(await api.GET('/tasks/{id}/candidates', { params: { path: { id: task.id } } })),
  });
  const assign = useMutation({
    mutationFn: async () => unwrap(await api.POST('/tasks/{id}/assign', { params: { path: { id: task.id } }, body: { operatorId } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.task(task.id), updated);
      void queryClient.invalidateQueries({ queryKey: keys.tasks });
    },
  });
  return (
    <form
      className="assign"
      onSubmit={(e) => {
        e.preventDefault();
        if (operatorId) assign.mutate();
      }}
    >
      <label htmlFor="task-assignee">{t('assignTo')}</label>{' '}
      <select id="task-assignee" value={operatorId} onChange={(e) => setOperatorId(e.target.value)}>
        <option value="">{t('assignChoose')}</option>
        {(candidates.data?.items ?? [])
          .filter((o) => o.id !== task.assigneeId)
          .map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
      </select>{' '}
      <button type="submit" disabled={!operatorId || assign.isPending}>
        {t('assign')}
      </button>
      {assign.isSuccess && <span role="status"> {t('assigned')}</span>}
      <ErrorNote error={assign.error ?? candidates.error} />
    </form>
  );
}
