// Escalation policies: who is paged for an incident, level by level. The paged list, and one policy's form (create,
// change, delete); incidents already open keep the policy they started with.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';
import { Loading, usePageTitle } from '../../components/page.tsx';
import { Pager } from '../../components/Pager.tsx';
import { Field, reasonFor, Refusal, RESPONDER_ROLES, unwrapForm, useOperatorNames, type ResponderRole } from './shared.tsx';

type Policy = paths['/escalation-policies']['get']['responses']['200']['content']['application/json']['items'][number];
type Body = paths['/escalation-policies']['post']['requestBody']['content']['application/json'];
type TargetDraft = { kind: 'role'; role: ResponderRole } | { kind: 'operator'; operatorId: string };
interface Draft {
  name: string;
  service: string;
  labels: { key: string; value: string }[];
  levels: { targets: TargetDraft[]; wait: string }[];
  repeat: string;
}
const PAGE = 25;

const toDraft = (p?: Policy): Draft =>
  p
    ? {
        name: p.name,
        service: p.service ?? '',
        labels: Object.entries(p.labels).map(([key, value]) => ({ key, value })),
        levels: p.levels.map((l) => ({
          wait: l.wait ?? '',
          targets: l.targets.map((t): TargetDraft =>
            t.operatorId ? { kind: 'operator', operatorId: t.operatorId } : { kind: 'role', role: t.role as ResponderRole },
          ),
        })),
        repeat: String(p.repeat),
      }
    : { name: '', service: '', labels: [], levels: [{ targets: [{ kind: 'role', role: 'oncall' }], wait: '' }], repeat: '0' };

const toBody = (d: Draft): Body => ({
  name: d.name,
  service: d.service.trim() === '' ? null : d.service.trim(),
  labels: Object.fromEntries(d.labels.map((l) => [l.key.trim(), l.value])),
  levels: d.levels.map((l) => ({
    targets: l.targets.map((t) => (t.kind === 'role' ? { role: t.role } : { operatorId: t.operatorId.trim() })),
    ...(l.wait.trim() ? { wait: l.wait.trim() } : {}),
  })),
  repeat: d.repeat.trim() === '' ? Number.NaN : Number(d.repeat),
});

export function Escalation() {
  const { t } = useTranslation('admin');
  usePageTitle(t('escalation.title'));
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  const names = useOperatorNames();
  const list = useQuery({
    queryKey: ['escalation-policies', { offset }],
    queryFn: async () => unwrapForm(await api.GET('/escalation-policies', { params: { query: { limit: PAGE, offset } } })),
    placeholderData: keepPreviousData,
  });

  return (
    <section aria-labelledby="escalation-title">
      <h1 id="escalation-title">{t('escalation.title')}</h1>
      <p className="muted">{t('escalation.intro')}</p>
      <div className="toolbar">
        <button type="button" onClick={() => setEditing('new')}>
          {t('escalation.new')}
        </button>
      </div>
      <Refusal error={list.error} />
      {list.isPending && <Loading />}
      {list.data && list.data.items.length === 0 && <p>{t('escalation.none')}</p>}
      {list.data && list.data.items.length > 0 && (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">{t('escalation.name')}</th>
              <th scope="col">{t('escalation.service')}</th>
              <th scope="col">{t('escalation.labels')}</th>
              <th scope="col">{t('escalation.levels')}</th>
              <th scope="col">{t('escalation.repeat')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((p) => (
              <tr key={p.id} className={editing !== 'new' && editing?.id === p.id ? 'selected' : undefined}>
                <th scope="row">
                  <button type="button" className="link" aria-label={t('escalation.edit', { name: p.name })} onClick={() => setEditing(p)}>
                    {p.name}
                  </button>
                </th>
                <td>{p.service ?? <span className="muted">{t('escalation.anyService')}</span>}</td>
                <td>
                  {Object.keys(p.labels).length ? (
                    Object.entries(p.labels)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(', ')
                  ) : (
                    <span className="muted">{t('escalation.anyLabels')}</span>
                  )}
                </td>
                <td>
                  <ol className="levels">
                    {p.levels.map((l, i) => (
                      <li key={i}>
                        {l.targets
                          .map((x) => (x.role ? t(`roles.${x.role as ResponderRole}`) : (names.get(x.operatorId!) ?? x.operatorId)))
                          .join(', ')}
                        {l.wait ? ` · ${l.wait}` : ''}
                      </li>
                    ))}
                  </ol>
                </td>
                <td>{p.repeat}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && <Pager offset={offset} limit={PAGE} total={list.data.total} shown={list.data.items.length} onChange={setOffset} />}
      {editing && (
        <PolicyEditor
          key={editing === 'new' ? 'new' : editing.id}
          policy={editing === 'new' ? undefined : editing}
          onDone={(next) => setEditing(next ?? null)}
        />
      )}
    </section>
  );
}

/** Operators who may be paged, as suggestions for an operator id (the first 500 of each responder role). */
function Responders() {
  const { t } = useTranslation('admin');
  const responders = useQuery({
    queryKey: ['operators', 'responders'],
    queryFn: async () => {
      const pages = await Promise.all(
        RESPONDER_ROLES.map(async (role) =>
          unwrapForm(await api.GET('/operators', { params: { query: { role, disabled: 'false', limit: 500, offset: 0 } } })),
        ),
      );
      return [...new Map(pages.flatMap((p) => p.items).map((o) => [o.id, o])).values()];
    },
    staleTime: 60_000,
  });
  return (
    <datalist id="responders">
      {responders.data?.map((o) => (
        <option key={o.id} value={o.id}>{`${o.name} (${o.roles.map((r) => t(`roles.${r}`)).join(', ')})`}</option>
      ))}
    </datalist>
  );
}

function PolicyEditor({ policy, onDone }: { policy: Policy | undefined; onDone: (next?: Policy) => void }) {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [d, set] = useState<Draft>(() => toDraft(policy));
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['escalation-policies'] });
  const save = useMutation({
    mutationFn: async () =>
      policy
        ? unwrapForm(await api.PATCH('/escalation-policies/{id}', { params: { path: { id: policy.id } }, body: toBody(d) }))
        : unwrapForm(await api.POST('/escalation-policies', { body: toBody(d) })),
    onSuccess: (next) => {
      setSaved(true);
      refresh();
      onDone(next);
    },
  });
  const remove = useMutation({
    mutationFn: async () => unwrapForm(await api.DELETE('/escalation-policies/{id}', { params: { path: { id: policy!.id } } })),
    onSuccess: () => {
      refresh();
      onDone();
    },
  });
  const update = (next: Draft) => {
    set(next);
    setSaved(false);
  };
  const setLevel = (i: number, level: Draft['levels'][number]) => update({ ...d, levels: d.levels.map((l, j) => (j === i ? level : l)) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    save.mutate();
  };

  return (
    <form className="panel admin-form" onSubmit={submit} aria-labelledby="escalation-editor" noValidate>
      <h2 id="escalation-editor">{policy ? t('escalation.editTitle', { name: policy.name }) : t('escalation.new')}</h2>
      {policy && <p className="muted">{t('escalation.version', { version: policy.version })}</p>}
      <div className="row">
        <Field label={t('escalation.name')} error={reasonFor(save.error, 'name')}>
          {(p) => <input {...p} value={d.name} maxLength={200} onChange={(e) => update({ ...d, name: e.target.value })} />}
        </Field>
        <Field label={t('escalation.service')} hint={t('escalation.serviceHint')} error={reasonFor(save.error, 'service')}>
          {(p) => <input {...p} value={d.service} maxLength={100} onChange={(e) => update({ ...d, service: e.target.value })} />}
        </Field>
        <Field label={t('escalation.repeat')} hint={t('escalation.repeatHint')} error={reasonFor(save.error, 'repeat')}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              max={10}
              step={1}
              value={d.repeat}
              onChange={(e) => update({ ...d, repeat: e.target.value })}
            />
          )}
        </Field>
      </div>
      <fieldset>
        <legend>{t('escalation.labels')}</legend>
        <p className="muted">{t('escalation.labelsHint')}</p>
        {reasonFor(save.error, 'labels') && <p className="field-error">{reasonFor(save.error, 'labels')}</p>}
        {d.labels.map((l, i) => (
          <div key={i} className="row">
            <Field label={t('escalation.labelKey', { n: i + 1 })} error={reasonFor(save.error, `labels.${l.key.trim()}`)}>
              {(p) => (
                <input
                  {...p}
                  value={l.key}
                  onChange={(e) => update({ ...d, labels: d.labels.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)) })}
                />
              )}
            </Field>
            <Field label={t('escalation.labelValue', { n: i + 1 })}>
              {(p) => (
                <input
                  {...p}
                  value={l.value}
                  onChange={(e) => update({ ...d, labels: d.labels.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)) })}
                />
              )}
            </Field>
            <button type="button" onClick={() => update({ ...d, labels: d.labels.filter((_, j) => j !== i) })}>
              {t('escalation.removeLabel', { n: i + 1 })}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => update({ ...d, labels: [...d.labels, { key: '', value: '' }] })}>
          {t('escalation.addLabel')}
        </button>
      </fieldset>
      {reasonFor(save.error, 'levels') && <p className="field-error">{reasonFor(save.error, 'levels')}</p>}
      {d.levels.map((level, i) => (
        <fieldset key={i} className="step">
          <legend>{t('escalation.level', { n: i + 1 })}</legend>
          {level.targets.map((target, j) => {
            const at = `levels[${i}].targets[${j}]`;
            const setTarget = (next: TargetDraft) => setLevel(i, { ...level, targets: level.targets.map((x, k) => (k === j ? next : x)) });
            return (
              <div key={j} className="row">
                <Field label={t('escalation.targetKind', { level: i + 1, n: j + 1 })}>
                  {(p) => (
                    <select
                      {...p}
                      value={target.kind}
                      onChange={(e) =>
                        setTarget(e.target.value === 'role' ? { kind: 'role', role: 'oncall' } : { kind: 'operator', operatorId: '' })
                      }
                    >
                      <option value="role">{t('escalation.byRole')}</option>
                      <option value="operator">{t('escalation.byOperator')}</option>
                    </select>
                  )}
                </Field>
                {target.kind === 'role' ? (
                  <Field label={t('escalation.targetRole', { level: i + 1, n: j + 1 })} error={reasonFor(save.error, `${at}.role`)}>
                    {(p) => (
                      <select
                        {...p}
                        value={target.role}
                        onChange={(e) => setTarget({ kind: 'role', role: e.target.value as ResponderRole })}
                      >
                        {RESPONDER_ROLES.map((r) => (
                          <option key={r} value={r}>
                            {t(`roles.${r}`)}
                          </option>
                        ))}
                      </select>
                    )}
                  </Field>
                ) : (
                  <Field
                    label={t('escalation.targetOperator', { level: i + 1, n: j + 1 })}
                    hint={t('escalation.operatorHint')}
                    error={reasonFor(save.error, `${at}.operatorId`)}
                  >
                    {(p) => (
                      <input
                        {...p}
                        value={target.operatorId}
                        size={38}
                        spellCheck={false}
                        list="responders"
                        onChange={(e) => setTarget({ kind: 'operator', operatorId: e.target.value })}
                      />
                    )}
                  </Field>
                )}
                {level.targets.length > 1 && (
                  <button type="button" onClick={() => setLevel(i, { ...level, targets: level.targets.filter((_, k) => k !== j) })}>
                    {t('escalation.removeTarget', { level: i + 1, n: j + 1 })}
                  </button>
                )}
              </div>
            );
          })}
          <div className="actions-row">
            <button type="button" onClick={() => setLevel(i, { ...level, targets: [...level.targets, { kind: 'role', role: 'oncall' }] })}>
              {t('escalation.addTarget', { level: i + 1 })}
            </button>
          </div>
          <Field
            label={t('escalation.wait', { level: i + 1 })}
            hint={t('escalation.waitHint')}
            error={reasonFor(save.error, `levels[${i}].wait`)}
          >
            {(p) => (
              <input
                {...p}
                value={level.wait}
                size={8}
                spellCheck={false}
                onChange={(e) => setLevel(i, { ...level, wait: e.target.value })}
              />
            )}
          </Field>
          {d.levels.length > 1 && (
            <button type="button" onClick={() => update({ ...d, levels: d.levels.filter((_, k) => k !== i) })}>
              {t('escalation.removeLevel', { n: i + 1 })}
            </button>
          )}
        </fieldset>
      ))}
      <Responders />
      {d.levels.length < 10 && (
        <button
          type="button"
          onClick={() => update({ ...d, levels: [...d.levels, { targets: [{ kind: 'role', role: 'oncall' }], wait: '' }] })}
        >
          {t('escalation.addLevel')}
        </button>
      )}
      <Refusal error={save.error ?? remove.error} />
      <p role="status">{saved ? t('escalation.saved') : ''}</p>
      <div className="actions-row">
        <button type="submit" className="primary" disabled={save.isPending}>
          {policy ? t('escalation.save') : t('escalation.create')}
        </button>
        {policy && !confirming && (
          <button type="button" onClick={() => setConfirming(true)}>
            {t('escalation.delete')}
          </button>
        )}
        {policy && confirming && (
          <>
            <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
              {t('escalation.confirmDelete', { name: policy.name })}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              {t('escalation.keep')}
            </button>
          </>
        )}
        <button type="button" onClick={() => onDone()}>
          {t('close')}
        </button>
      </div>
    </form>
  );
}
