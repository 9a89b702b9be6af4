// The campaign form, for a new campaign and for an edit: every field POST /campaigns and PATCH /campaigns/:id take,
// with the audience's live count and the message rendered for a sample customer as the sender renders it. A refusal
// shows the API's reasons beside their fields and keeps every input; an edit sends only the fields that changed.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.ts';
import { ErrorNote } from '../../components/page.tsx';
import { formatNumber } from '../../format.ts';
import { navigate } from '../../router.tsx';
import {
  FieldRefusal,
  GOAL_METRICS,
  GUARD_METRICS,
  LIFECYCLE_STAGES,
  SEGMENTS,
  TEMPLATE_FIELDS,
  unwrapWithFields,
  WINNING_METRICS,
  type Campaign,
  type GoalMetric,
  type GuardMetric,
  type LifecycleStage,
  type Segment,
  type WinningMetric,
} from './campaigns-api.ts';
import { audienceOf, changedFields, emptyForm, fromSpec, hasAudience, toSpec, type FormState, type Spec } from './form-state.ts';

const CURRENCIES = ['CNY', 'USD', 'EUR', 'GBP', 'JPY', 'HKD', 'SGD'];

/** A value that settles: the live count and preview ask the API once typing pauses, not at every key. */
function useSettled<T>(value: T, ms = 400): T {
  const json = JSON.stringify(value);
  const [settled, setSettled] = useState(json);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(json), ms);
    return () => clearTimeout(timer);
  }, [json, ms]);
  return useMemo(() => JSON.parse(settled) as T, [settled]);
}

type Errors = Record<string, string[]>;
/** The API's field messages of the last refusal, by field path. */
const ErrorsContext = createContext<Errors>({});

/** A labelled input with the API's messages for its field path below it. */
function Field({
  label,
  path,
  hint,
  children,
}: {
  label: string;
  path: string;
  hint?: string;
  children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const messages = useContext(ErrorsContext)[path] ?? [];
  const describedBy = [hint ? `${id}-hint` : '', messages.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(messages.length ? { 'aria-invalid': true } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {hint && (
        <span id={`${id}-hint`} className="muted">
          {hint}
        </span>
      )}
      {messages.length > 0 && (
        <span id={`${id}-error`} className="field-error">
          {messages.join('; ')}
        </span>
      )}
    </div>
  );
}

/** The API's messages for a group (a fieldset, a list) rather than one input. */
function GroupErrors({ paths }: { paths: string[] }) {
  const errors = useContext(ErrorsContext);
  const messages = paths.flatMap((p) => errors[p] ?? []);
  return messages.length ? <p className="field-error">{messages.join('; ')}</p> : null;
}

export function CampaignForm({ campaign }: { campaign?: Campaign }) {
  const { t, i18n } = useTranslation('campaigns');
  const queryClient = useQueryClient();
  // What the form was opened on; an edit sends the fields that differ from it.
  const [initial] = useState(() => (campaign?.spec ? fromSpec(campaign.spec) : emptyForm()));
  const [form, setForm] = useState<FormState>(initial);
  const [draft, setDraft] = useState(false);
  // The revision the form was opened on: a change by someone else since is refused (409), not overwritten.
  const [revision] = useState(campaign?.revision ?? null);
  const [previewVariant, setPreviewVariant] = useState(0);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  // Once approved, only the schedule may move (until launch).
  const scheduleOnly = campaign !== undefined && campaign.stage === 'scheduled';

  const save = useMutation({
    mutationFn: async (): Promise<string> => {
      const spec = toSpec(form);
      if (!campaign) {
        return unwrapWithFields(await api.POST('/campaigns', { body: { ...spec, draft } })).id;
      }
      const changes = changedFields(toSpec(initial), spec);
      const body = { ...changes, ...(revision ? { revision } : {}) };
      await unwrapWithFields(await api.PATCH('/campaigns/{id}', { params: { path: { id: campaign.id } }, body }));
      return campaign.id;
    },
    onSuccess: async (id) => {
      await queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      navigate(`/console/campaigns/${id}`);
    },
  });
  const errors = save.error instanceof FieldRefusal ? save.error.fields : {};
  const unchanged = campaign !== undefined && Object.keys(changedFields(toSpec(initial), toSpec(form))).length === 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };

  // The live audience count and the preview, once typing settles.
  const audience = useSettled(audienceOf(form));
  const count = useQuery({
    queryKey: ['campaigns', 'audience-count', audience],
    queryFn: async () => unwrap(await api.POST('/campaigns/audience-count', { body: { audience } })),
    enabled: hasAudience(audience),
    refetchInterval: 30_000,
  });
  const shown = form.mode === 'ab' ? form.variants[Math.min(previewVariant, form.variants.length - 1)] : form;
  const message = useSettled({ subject: shown?.subject ?? '', body: shown?.body ?? '' });
  const previewing = message.subject.trim() !== '' && message.body.trim() !== '';
  const preview = useQuery({
    queryKey: ['campaigns', 'preview', message, audience],
    queryFn: async () =>
      unwrap(await api.POST('/campaigns/preview', { body: { message, ...(hasAudience(audience) ? { audience } : {}) } })),
    enabled: previewing,
  });

  const toggle = <T extends string>(list: T[], value: T, on: boolean): T[] => (on ? [...list, value] : list.filter((x) => x !== value));
  const cost = Number(form.costPerSend);
  const estimate = count.data && Number.isFinite(cost) ? count.data.count * cost : null;

  return (
    <ErrorsContext value={errors}>
      <form className="campaign-form" onSubmit={submit} noValidate>
        <ErrorNote error={save.error} />

        <fieldset disabled={scheduleOnly}>
          <legend>{t('form.basics')}</legend>
          <Field label={t('form.name')} path="name">
            {(p) => <input {...p} value={form.name} maxLength={200} required onChange={(e) => set('name', e.target.value)} />}
          </Field>
        </fieldset>

        <fieldset disabled={scheduleOnly}>
          <legend>{t('form.audience')}</legend>
          <GroupErrors paths={['audience', 'audience.filters']} />
          <Field label={t('form.segment')} path="audience.segment">
            {(p) => (
              <select {...p} value={form.segment} onChange={(e) => set('segment', e.target.value as Segment | '')}>
                <option value="">{t('form.noSegment')}</option>
                {SEGMENTS.map((s) => (
                  <option key={s} value={s}>
                    {t(`segments.${s}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <fieldset className="checks">
            <legend>{t('form.stages')}</legend>
            {LIFECYCLE_STAGES.map((s) => (
              <label key={s}>
                <input
                  type="checkbox"
                  checked={form.stages.includes(s)}
                  onChange={(e) => set('stages', toggle<LifecycleStage>(form.stages, s, e.target.checked))}
                />{' '}
                {t(`lifecycle.${s}`)}
              </label>
            ))}
          </fieldset>
          <fieldset className="checks">
            <legend>{t('form.rfmSegments')}</legend>
            {SEGMENTS.map((s) => (
              <label key={s}>
                <input
                  type="checkbox"
                  checked={form.rfmSegments.includes(s)}
                  onChange={(e) => set('rfmSegments', toggle<Segment>(form.rfmSegments, s, e.target.checked))}
                />{' '}
                {t(`segments.${s}`)}
              </label>
            ))}
          </fieldset>
          <Field label={t('form.tags')} path="audience.filters.tags" hint={t('form.tagsHint')}>
            {(p) => <input {...p} value={form.tags} onChange={(e) => set('tags', e.target.value)} />}
          </Field>
          <div className="row">
            <Field label={t('form.lastActiveAfter')} path="audience.filters.lastActiveAfter">
              {(p) => (
                <input {...p} type="datetime-local" value={form.lastActiveAfter} onChange={(e) => set('lastActiveAfter', e.target.value)} />
              )}
            </Field>
            <Field label={t('form.lastActiveBefore')} path="audience.filters.lastActiveBefore">
              {(p) => (
                <input
                  {...p}
                  type="datetime-local"
                  value={form.lastActiveBefore}
                  onChange={(e) => set('lastActiveBefore', e.target.value)}
                />
              )}
            </Field>
          </div>
          <p role="status" className="audience-count" aria-live="polite">
            {!hasAudience(audience) ? (
              t('form.countNone')
            ) : count.isFetching && !count.data ? (
              t('form.counting')
            ) : count.error ? (
              <span className="field-error">{count.error.message}</span>
            ) : count.data ? (
              t('form.countNow', { count: count.data.count, formatted: formatNumber(count.data.count, i18n.language) })
            ) : null}
          </p>
        </fieldset>

        <fieldset disabled={scheduleOnly}>
          <legend>{t('form.budget')}</legend>
          <div className="row">
            <Field label={t('form.total')} path="budget.total">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min="0"
                  step="0.01"
                  inputMode="decimal"
                  value={form.total}
                  onChange={(e) => set('total', e.target.value)}
                />
              )}
            </Field>
            <Field label={t('form.currency')} path="budget.currency">
              {(p) => (
                <select {...p} value={form.currency} onChange={(e) => set('currency', e.target.value)}>
                  {[...new Set([form.currency, ...CURRENCIES])].map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t('form.costPerSend')} path="budget.costPerSend">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min="0"
                  step="0.0001"
                  inputMode="decimal"
                  value={form.costPerSend}
                  onChange={(e) => set('costPerSend', e.target.value)}
                />
              )}
            </Field>
            <Field label={t('form.sendRate')} path="sendRate" hint={t('form.sendRateHint')}>
              {(p) => (
                <input {...p} type="number" min="1" max="10000" value={form.sendRate} onChange={(e) => set('sendRate', e.target.value)} />
              )}
            </Field>
          </div>
          {estimate !== null && (
            <p className="muted">
              {t('form.estimate', { cost: formatNumber(estimate, i18n.language, { maximumFractionDigits: 2 }), currency: form.currency })}
            </p>
          )}
        </fieldset>

        <fieldset>
          <legend>{t('form.schedule')}</legend>
          {scheduleOnly && <p className="muted">{t('form.scheduleOnly')}</p>}
          <div className="row">
            <Field label={t('form.startAt')} path="schedule.startAt">
              {(p) => <input {...p} type="datetime-local" value={form.startAt} onChange={(e) => set('startAt', e.target.value)} />}
            </Field>
            <Field label={t('form.endAt')} path="schedule.endAt">
              {(p) => <input {...p} type="datetime-local" value={form.endAt} onChange={(e) => set('endAt', e.target.value)} />}
            </Field>
          </div>
        </fieldset>

        <fieldset disabled={scheduleOnly}>
          <legend>{t('form.message')}</legend>
          <GroupErrors paths={['message', 'abTest', 'abTest.variants']} />
          <div role="radiogroup" aria-label={t('form.mode')} className="row">
            <label>
              <input type="radio" name="mode" checked={form.mode === 'message'} onChange={() => set('mode', 'message')} />{' '}
              {t('form.oneMessage')}
            </label>
            <label>
              <input type="radio" name="mode" checked={form.mode === 'ab'} onChange={() => set('mode', 'ab')} /> {t('form.abTest')}
            </label>
          </div>
          <p className="muted">
            {t('form.fields', {
              fields: TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(' '),
              example: `{{firstName|${t('form.fallbackExample')}}}`,
            })}
          </p>
          {form.mode === 'message' ? (
            <>
              <Field label={t('form.subject')} path="message.subject">
                {(p) => <input {...p} value={form.subject} maxLength={300} onChange={(e) => set('subject', e.target.value)} />}
              </Field>
              <Field label={t('form.body')} path="message.body" hint={t('form.bodyHint')}>
                {(p) => <textarea {...p} rows={6} value={form.body} onChange={(e) => set('body', e.target.value)} />}
              </Field>
            </>
          ) : (
            <>
              {form.variants.map((v, i) => {
                const setVariant = (changes: Partial<typeof v>) =>
                  set(
                    'variants',
                    form.variants.map((x, j) => (j === i ? { ...x, ...changes } : x)),
                  );
                return (
                  <fieldset key={i} className="variant">
                    <legend>{t('form.variant', { name: v.name || i + 1 })}</legend>
                    <div className="row">
                      <Field label={t('form.variantName')} path={`abTest.variants[${i}].name`}>
                        {(p) => <input {...p} value={v.name} maxLength={40} onChange={(e) => setVariant({ name: e.target.value })} />}
                      </Field>
                      <Field label={t('form.split')} path={`abTest.variants[${i}].split`} hint={t('form.splitHint')}>
                        {(p) => (
                          <input
                            {...p}
                            type="number"
                            min="0"
                            max="100"
                            value={v.split}
                            onChange={(e) => setVariant({ split: e.target.value })}
                          />
                        )}
                      </Field>
                    </div>
                    <Field label={t('form.subject')} path={`abTest.variants[${i}].subject`}>
                      {(p) => <input {...p} value={v.subject} maxLength={300} onChange={(e) => setVariant({ subject: e.target.value })} />}
                    </Field>
                    <Field label={t('form.body')} path={`abTest.variants[${i}].body`}>
                      {(p) => <textarea {...p} rows={4} value={v.body} onChange={(e) => setVariant({ body: e.target.value })} />}
                    </Field>
                    {form.variants.length > 2 && (
                      <button
                        type="button"
                        onClick={() =>
                          set(
                            'variants',
                            form.variants.filter((_, j) => j !== i),
                          )
                        }
                      >
                        {t('form.removeVariant', { name: v.name || i + 1 })}
                      </button>
                    )}
                  </fieldset>
                );
              })}
              {form.variants.length < 10 && (
                <button
                  type="button"
                  onClick={() =>
                    set('variants', [
                      ...form.variants,
                      { name: String.fromCharCode(65 + form.variants.length), subject: '', body: '', split: '' },
                    ])
                  }
                >
                  {t('form.addVariant')}
                </button>
              )}
              <div className="row">
                <Field label={t('form.testShare')} path="abTest.testShare" hint={t('form.testShareHint')}>
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      min="1"
                      max="99"
                      value={form.testShare}
                      onChange={(e) => set('testShare', e.target.value)}
                    />
                  )}
                </Field>
                <Field label={t('form.testDuration')} path="abTest.testDuration" hint={t('form.durationHint')}>
                  {(p) => <input {...p} value={form.testDuration} onChange={(e) => set('testDuration', e.target.value)} />}
                </Field>
                <Field label={t('form.winningMetric')} path="abTest.winningMetric">
                  {(p) => (
                    <select {...p} value={form.winningMetric} onChange={(e) => set('winningMetric', e.target.value as WinningMetric)}>
                      {WINNING_METRICS.map((m) => (
                        <option key={m} value={m}>
                          {t(`winning.${m}`)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              </div>
            </>
          )}
        </fieldset>

        <section className="panel preview" aria-labelledby="preview-title">
          <h2 id="preview-title">{t('form.preview')}</h2>
          {form.mode === 'ab' && (
            <p>
              <label htmlFor="preview-variant">{t('form.previewVariant')}</label>{' '}
              <select
                id="preview-variant"
                value={Math.min(previewVariant, form.variants.length - 1)}
                onChange={(e) => setPreviewVariant(Number(e.target.value))}
              >
                {form.variants.map((v, i) => (
                  <option key={i} value={i}>
                    {v.name || i + 1}
                  </option>
                ))}
              </select>
            </p>
          )}
          {!previewing ? (
            <p className="muted">{t('form.previewEmpty')}</p>
          ) : preview.error ? (
            <p className="field-error">{preview.error.message}</p>
          ) : preview.data ? (
            <div aria-live="polite">
              <p className="muted">
                {preview.data.customer
                  ? t('form.previewFor', {
                      name: preview.data.customer.name ?? preview.data.customer.email,
                      id: preview.data.customer.externalId,
                    })
                  : t('form.previewNobody')}
              </p>
              <p className="mail-subject">
                <span className="muted">{t('form.subject')}:</span> {preview.data.subject}
              </p>
              <div className="mail-body">
                {preview.data.text
                  .trim()
                  .split(/\n\s*\n/)
                  .map((para, i) => (
                    <p key={i}>{para}</p>
                  ))}
              </div>
            </div>
          ) : (
            <p className="muted">{t('app.loading')}</p>
          )}
        </section>

        <fieldset disabled={scheduleOnly}>
          <legend>{t('form.goals')}</legend>
          {form.goals.length === 0 && <p className="muted">{t('form.noGoals')}</p>}
          {form.goals.map((g, i) => {
            const setGoal = (changes: Partial<typeof g>) =>
              set(
                'goals',
                form.goals.map((x, j) => (j === i ? { ...x, ...changes } : x)),
              );
            return (
              <div key={i} className="row goal" role="group" aria-label={t('form.goalN', { n: i + 1 })}>
                <Field label={t('form.goalMetric')} path={`goals[${i}].metric`}>
                  {(p) => (
                    <select {...p} value={g.metric} onChange={(e) => setGoal({ metric: e.target.value as GoalMetric })}>
                      {GOAL_METRICS.map((m) => (
                        <option key={m} value={m}>
                          {t(`goalMetrics.${m}`)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field
                  label={
                    g.metric === 'conversion_rate'
                      ? t('form.targetPercent')
                      : g.metric === 'gmv'
                        ? t('form.targetMoney', { currency: form.currency })
                        : t('form.target')
                  }
                  path={`goals[${i}].target`}
                >
                  {(p) => (
                    <input {...p} type="number" min="0" step="any" value={g.target} onChange={(e) => setGoal({ target: e.target.value })} />
                  )}
                </Field>
                <Field label={t('form.deadline')} path={`goals[${i}].deadline`}>
                  {(p) => <input {...p} type="datetime-local" value={g.deadline} onChange={(e) => setGoal({ deadline: e.target.value })} />}
                </Field>
                <button
                  type="button"
                  onClick={() =>
                    set(
                      'goals',
                      form.goals.filter((_, j) => j !== i),
                    )
                  }
                >
                  {t('form.removeGoal', { n: i + 1 })}
                </button>
              </div>
            );
          })}
          {form.goals.length < 10 && (
            <button type="button" onClick={() => set('goals', [...form.goals, { metric: 'gmv', target: '', deadline: form.endAt }])}>
              {t('form.addGoal')}
            </button>
          )}
        </fieldset>

        <fieldset disabled={scheduleOnly}>
          <legend>{t('form.guards')}</legend>
          <p className="muted">{t('form.guardsHint')}</p>
          {form.guards.map((g, i) => {
            const setGuard = (changes: Partial<typeof g>) =>
              set(
                'guards',
                form.guards.map((x, j) => (j === i ? { ...x, ...changes } : x)),
              );
            return (
              <div key={i} className="row goal" role="group" aria-label={t('form.guardN', { n: i + 1 })}>
                <Field label={t('form.guardMetric')} path={`guards[${i}].metric`}>
                  {(p) => (
                    <select {...p} value={g.metric} onChange={(e) => setGuard({ metric: e.target.value as GuardMetric })}>
                      {GUARD_METRICS.map((m) => (
                        <option key={m} value={m}>
                          {t(`guardMetrics.${m}`)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={t('form.above')} path={`guards[${i}].above`}>
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      min="0"
                      max="100"
                      step="any"
                      value={g.above}
                      onChange={(e) => setGuard({ above: e.target.value })}
                    />
                  )}
                </Field>
                <Field label={t('form.minSends')} path={`guards[${i}].minSends`}>
                  {(p) => (
                    <input {...p} type="number" min="1" value={g.minSends} onChange={(e) => setGuard({ minSends: e.target.value })} />
                  )}
                </Field>
                <button
                  type="button"
                  onClick={() =>
                    set(
                      'guards',
                      form.guards.filter((_, j) => j !== i),
                    )
                  }
                >
                  {t('form.removeGuard', { n: i + 1 })}
                </button>
              </div>
            );
          })}
          {form.guards.length < 10 && (
            <button type="button" onClick={() => set('guards', [...form.guards, { metric: 'failure_rate', above: '5', minSends: '100' }])}>
              {t('form.addGuard')}
            </button>
          )}
        </fieldset>

        <div className="form-actions">
          {!campaign && (
            <label>
              <input type="checkbox" checked={draft} onChange={(e) => setDraft(e.target.checked)} /> {t('form.draft')}
            </label>
          )}
          <button type="submit" className="primary" disabled={save.isPending || unchanged}>
            {campaign ? t('form.saveChanges') : draft ? t('form.saveDraft') : t('form.createAndSubmit')}
          </button>
          {unchanged && <span className="muted">{t('form.unchanged')}</span>}
          {campaign?.approvals.length ? <span className="muted">{t('form.clearsApprovals')}</span> : null}
        </div>
      </form>
    </ErrorsContext>
  );
}
