// Every policy the API keeps, each as its own form: loaded from the API (version 0 is the built-in defaults), saved
// whole with PUT; a refusal shows each field's reason beside its input and keeps what was typed.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { paths } from '../../api/schema.d.ts';
import { Loading, usePageTitle } from '../../components/page.tsx';
import {
  CATEGORIES,
  CheckboxGroup,
  Field,
  FUNNEL_STAGES,
  reasonFor,
  Refusal,
  SEVERITIES,
  TEMPLATES,
  unwrapForm,
  type IncidentPolicy,
  type LifecyclePolicy,
} from './shared.tsx';

type Out<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer R } } } } }
  ? R
  : never;
type In<P extends keyof paths> = paths[P] extends { put: { requestBody: { content: { 'application/json': infer B } } } } ? B : never;
type MessagingPolicy = In<'/policies/messaging'>;
type ContractPolicy = In<'/policies/contracts'>;

export function Policies() {
  const { t } = useTranslation('admin');
  usePageTitle(t('policies.title'));
  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">{t('policies.title')}</h1>
      <p className="muted">{t('policies.intro')}</p>
      <nav aria-label={t('policies.jump')} className="jump">
        <ul>
          {(['messaging', 'lifecycle', 'campaign', 'contracts', 'incidents'] as const).map((p) => (
            <li key={p}>
              <a href={`#policy-${p}`}>{t(`policies.${p}.title`)}</a>
            </li>
          ))}
        </ul>
      </nav>
      <MessagingForm />
      <LifecycleForm />
      <CampaignApprovalForm />
      <ContractForm />
      <IncidentForm />
    </section>
  );
}

/**
 * One policy's form: loads it, keeps a draft (kept through a refusal), saves it whole. `toDraft` and `save` convert
 * where the form's shape differs from the API's (a currency table for a map, an empty input for null).
 */
function PolicyForm<T extends { version: number }, D>({
  id,
  title,
  help,
  queryKey,
  load,
  save,
  toDraft,
  children,
}: {
  id: string;
  title: string;
  help: string;
  queryKey: string;
  load: () => Promise<T>;
  save: (body: D) => Promise<T>;
  toDraft: (value: T) => D;
  children: (draft: D, setDraft: (next: D) => void, error: Error | null) => ReactNode;
}) {
  const query = useQuery({ queryKey: ['policy', queryKey], queryFn: load });
  return (
    <section className="panel" aria-labelledby={`policy-${id}-title`} id={`policy-${id}`}>
      <h2 id={`policy-${id}-title`}>{title}</h2>
      <p className="muted">{help}</p>
      <Refusal error={query.error} />
      {query.isPending && <Loading />}
      {query.data && (
        <Draft id={id} value={query.data} queryKey={queryKey} save={save} toDraft={toDraft}>
          {children}
        </Draft>
      )}
    </section>
  );
}

function Draft<T extends { version: number }, D>({
  id,
  value,
  queryKey,
  save,
  toDraft,
  children,
}: {
  id: string;
  value: T;
  queryKey: string;
  save: (body: D) => Promise<T>;
  toDraft: (value: T) => D;
  children: (draft: D, setDraft: (next: D) => void, error: Error | null) => ReactNode;
}) {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => toDraft(value));
  const [saved, setSaved] = useState(false);
  const mutation = useMutation({
    mutationFn: save,
    onSuccess: (next) => {
      setSaved(true);
      queryClient.setQueryData(['policy', queryKey], next);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    mutation.mutate(draft);
  };
  return (
    <form className="admin-form" onSubmit={submit} aria-labelledby={`policy-${id}-title`} noValidate>
      <p className="muted">{value.version === 0 ? t('policies.defaults') : t('policies.version', { version: value.version })}</p>
      {children(
        draft,
        (next) => {
          setDraft(next);
          setSaved(false);
        },
        mutation.error,
      )}
      <Refusal error={mutation.error} />
      <p role="status">{saved ? t('policies.saved', { version: value.version }) : ''}</p>
      <div>
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {t('policies.save')}
        </button>
      </div>
    </form>
  );
}

/** A duration as people write it ('30m', '24h', '14d'), with its bounds as the hint. */
function Duration({
  label,
  bounds,
  value,
  onChange,
  error,
}: {
  label: string;
  bounds: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}) {
  const { t } = useTranslation('admin');
  return (
    <Field label={label} hint={t('policies.durationHint', { bounds })} error={error}>
      {(p) => <input {...p} value={value} size={8} spellCheck={false} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

type Without<T> = Omit<T, 'version'>;
const strip = <T extends { version: number }>({ version: _version, ...rest }: T): Without<T> => rest;

function MessagingForm() {
  const { t } = useTranslation('admin');
  // `rest` keeps what this form does not edit; the brand and default language are edited when the API has them.
  type Draft = {
    capOn: boolean;
    max: string;
    window: string;
    quietOn: boolean;
    start: string;
    end: string;
    rest: object;
    defaultLocale?: string;
    platformName?: string;
    platformUrl?: string;
  };
  type Extra = { defaultLocale?: string; platform?: { name: string; url: string | null } };
  return (
    <PolicyForm<Out<'/policies/messaging'>, Draft>
      id="messaging"
      queryKey="messaging"
      title={t('policies.messaging.title')}
      help={t('policies.messaging.help')}
      load={async () => unwrapForm(await api.GET('/policies/messaging'))}
      save={async (d) => {
        const body = {
          ...d.rest,
          frequencyCap: d.capOn ? { max: d.max === '' ? Number.NaN : Number(d.max), window: d.window } : null,
          quietHours: d.quietOn ? { start: d.start, end: d.end } : null,
          ...(d.defaultLocale !== undefined ? { defaultLocale: d.defaultLocale.trim() } : {}),
          ...(d.platformName !== undefined ? { platform: { name: d.platformName, url: d.platformUrl?.trim() || null } } : {}),
        } as MessagingPolicy;
        return unwrapForm(await api.PUT('/policies/messaging', { body }));
      }}
      toDraft={(v) => ({
        rest: strip(v),
        ...((v as Extra).defaultLocale !== undefined ? { defaultLocale: (v as Extra).defaultLocale } : {}),
        ...((v as Extra).platform ? { platformName: (v as Extra).platform!.name, platformUrl: (v as Extra).platform!.url ?? '' } : {}),
        capOn: v.frequencyCap !== null,
        max: String(v.frequencyCap?.max ?? 3),
        window: v.frequencyCap?.window ?? '7d',
        quietOn: v.quietHours !== null,
        start: v.quietHours?.start ?? '21:00',
        end: v.quietHours?.end ?? '09:00',
      })}
    >
      {(d, set, error) => (
        <>
          <fieldset>
            <legend>{t('policies.messaging.cap')}</legend>
            <label className="check">
              <input type="checkbox" checked={d.capOn} onChange={(e) => set({ ...d, capOn: e.target.checked })} />{' '}
              {t('policies.messaging.capOn')}
            </label>
            {d.capOn && (
              <div className="row">
                <Field
                  label={t('policies.messaging.max')}
                  hint={t('policies.messaging.maxHint')}
                  error={reasonFor(error, 'frequencyCap.max')}
                >
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      min={1}
                      max={100}
                      step={1}
                      value={d.max}
                      onChange={(e) => set({ ...d, max: e.target.value })}
                    />
                  )}
                </Field>
                <Duration
                  label={t('policies.messaging.window')}
                  bounds="1h – 90d"
                  value={d.window}
                  onChange={(window) => set({ ...d, window })}
                  error={reasonFor(error, 'frequencyCap.window')}
                />
              </div>
            )}
          </fieldset>
          <fieldset>
            <legend>{t('policies.messaging.quiet')}</legend>
            <label className="check">
              <input type="checkbox" checked={d.quietOn} onChange={(e) => set({ ...d, quietOn: e.target.checked })} />{' '}
              {t('policies.messaging.quietOn')}
            </label>
            {d.quietOn && (
              <div className="row">
                <Field
                  label={t('policies.messaging.start')}
                  hint={t('policies.messaging.timeHint')}
                  error={reasonFor(error, 'quietHours.start')}
                >
                  {(p) => <input {...p} value={d.start} size={6} onChange={(e) => set({ ...d, start: e.target.value })} />}
                </Field>
                <Field
                  label={t('policies.messaging.end')}
                  hint={t('policies.messaging.timeHint')}
                  error={reasonFor(error, 'quietHours.end')}
                >
                  {(p) => <input {...p} value={d.end} size={6} onChange={(e) => set({ ...d, end: e.target.value })} />}
                </Field>
              </div>
            )}
          </fieldset>
          {d.defaultLocale !== undefined && (
            <Field
              label={t('policies.messaging.defaultLocale')}
              hint={t('policies.messaging.defaultLocaleHint')}
              error={reasonFor(error, 'defaultLocale')}
            >
              {(p) => (
                <input
                  {...p}
                  value={d.defaultLocale}
                  size={10}
                  spellCheck={false}
                  onChange={(e) => set({ ...d, defaultLocale: e.target.value })}
                />
              )}
            </Field>
          )}
          {d.platformName !== undefined && (
            <fieldset>
              <legend>{t('policies.messaging.platform')}</legend>
              <div className="row">
                <Field label={t('policies.messaging.platformName')} error={reasonFor(error, 'platform.name')}>
                  {(p) => (
                    <input {...p} value={d.platformName} maxLength={100} onChange={(e) => set({ ...d, platformName: e.target.value })} />
                  )}
                </Field>
                <Field
                  label={t('policies.messaging.platformUrl')}
                  hint={t('policies.messaging.platformUrlHint')}
                  error={reasonFor(error, 'platform.url')}
                >
                  {(p) => (
                    <input
                      {...p}
                      type="url"
                      value={d.platformUrl ?? ''}
                      size={40}
                      onChange={(e) => set({ ...d, platformUrl: e.target.value })}
                    />
                  )}
                </Field>
              </div>
            </fieldset>
          )}
        </>
      )}
    </PolicyForm>
  );
}

const WINDOWS = ['activationWindow', 'retentionPeriod', 'inactivity', 'winBackWait', 'couponValidity'] as const;
type NurtureStep = LifecyclePolicy['nurture']['steps'][number];

function LifecycleForm() {
  const { t } = useTranslation('admin');
  const stage = (s: string) => t(`stages.${s as (typeof FUNNEL_STAGES)[number]}`);
  return (
    <PolicyForm<Out<'/policies/lifecycle'>, LifecyclePolicy>
      id="lifecycle"
      queryKey="lifecycle"
      title={t('policies.lifecycle.title')}
      help={t('policies.lifecycle.help')}
      load={async () => unwrapForm(await api.GET('/policies/lifecycle'))}
      save={async (body) => unwrapForm(await api.PUT('/policies/lifecycle', { body }))}
      toDraft={strip}
    >
      {(d, set, error) => {
        const steps = d.nurture.steps;
        const setStep = (i: number, step: NurtureStep) =>
          set({ ...d, nurture: { ...d.nurture, steps: steps.map((s, j) => (j === i ? step : s)) } });
        return (
          <>
            <div className="row">
              {WINDOWS.map((key) => (
                <Duration
                  key={key}
                  label={t(`policies.lifecycle.${key}`)}
                  bounds="1m – 365d"
                  value={d[key]}
                  onChange={(value) => set({ ...d, [key]: value })}
                  error={reasonFor(error, key)}
                />
              ))}
            </div>
            <fieldset>
              <legend>{t('policies.lifecycle.nurture')}</legend>
              <div className="row">
                <Field
                  label={t('policies.lifecycle.goal')}
                  hint={t('policies.lifecycle.goalHint')}
                  error={reasonFor(error, 'nurture.goal')}
                >
                  {(p) => (
                    <select
                      {...p}
                      value={d.nurture.goal ?? ''}
                      onChange={(e) =>
                        set({ ...d, nurture: { ...d.nurture, goal: (e.target.value || null) as LifecyclePolicy['nurture']['goal'] } })
                      }
                    >
                      <option value="">{t('none')}</option>
                      {FUNNEL_STAGES.map((s) => (
                        <option key={s} value={s}>
                          {stage(s)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Duration
                  label={t('policies.lifecycle.staleAfter')}
                  bounds="1m – 30d"
                  value={d.nurture.staleAfter}
                  onChange={(staleAfter) => set({ ...d, nurture: { ...d.nurture, staleAfter } })}
                  error={reasonFor(error, 'nurture.staleAfter')}
                />
              </div>
              {reasonFor(error, 'nurture.steps') && <p className="field-error">{reasonFor(error, 'nurture.steps')}</p>}
              {steps.map((step, i) => {
                const at = `nurture.steps[${i}]`;
                return (
                  <fieldset key={i} className="step">
                    <legend>{t('policies.lifecycle.step', { n: i + 1 })}</legend>
                    <Field label={t('policies.lifecycle.stepName')} error={reasonFor(error, `${at}.name`)}>
                      {(p) => <input {...p} value={step.name} size={14} onChange={(e) => setStep(i, { ...step, name: e.target.value })} />}
                    </Field>
                    <Duration
                      label={t('policies.lifecycle.after')}
                      bounds="0s – 365d"
                      value={step.after}
                      onChange={(after) => setStep(i, { ...step, after })}
                      error={reasonFor(error, `${at}.after`)}
                    />
                    <Field label={t('policies.lifecycle.template')} error={reasonFor(error, `${at}.template`)}>
                      {(p) => (
                        <select
                          {...p}
                          value={step.template}
                          onChange={(e) => setStep(i, { ...step, template: e.target.value as NurtureStep['template'] })}
                        >
                          {TEMPLATES.map((x) => (
                            <option key={x} value={x}>
                              {x}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                    <Field label={t('policies.lifecycle.category')} error={reasonFor(error, `${at}.category`)}>
                      {(p) => (
                        <select
                          {...p}
                          value={step.category}
                          onChange={(e) => setStep(i, { ...step, category: e.target.value as NurtureStep['category'] })}
                        >
                          {CATEGORIES.map((x) => (
                            <option key={x} value={x}>
                              {t(`categories.${x}`)}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                    <Field label={t('policies.lifecycle.skipWhenReached')} error={reasonFor(error, `${at}.skipWhenReached`)}>
                      {(p) => (
                        <select
                          {...p}
                          value={step.skipWhenReached ?? ''}
                          onChange={(e) => {
                            const { skipWhenReached: _old, ...rest } = step;
                            setStep(
                              i,
                              e.target.value
                                ? { ...rest, skipWhenReached: e.target.value as NonNullable<NurtureStep['skipWhenReached']> }
                                : rest,
                            );
                          }}
                        >
                          <option value="">{t('none')}</option>
                          {FUNNEL_STAGES.map((s) => (
                            <option key={s} value={s}>
                              {stage(s)}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                    <button type="button" onClick={() => set({ ...d, nurture: { ...d.nurture, steps: steps.filter((_, j) => j !== i) } })}>
                      {t('policies.lifecycle.removeStep', { n: i + 1 })}
                    </button>
                  </fieldset>
                );
              })}
              {steps.length < 20 && (
                <button
                  type="button"
                  onClick={() =>
                    set({
                      ...d,
                      nurture: {
                        ...d.nurture,
                        steps: [...steps, { name: '', after: steps.at(-1)?.after ?? '0s', template: 'tips', category: 'marketing' }],
                      },
                    })
                  }
                >
                  {t('policies.lifecycle.addStep')}
                </button>
              )}
            </fieldset>
          </>
        );
      }}
    </PolicyForm>
  );
}

/** A map of currency to amount, edited as rows. */
type Thresholds = { currency: string; amount: string }[];
const toRows = (map: Record<string, number>): Thresholds =>
  Object.entries(map).map(([currency, amount]) => ({ currency, amount: String(amount) }));
const toMap = (rows: Thresholds): Record<string, number> =>
  Object.fromEntries(rows.map((r) => [r.currency.trim().toUpperCase(), r.amount.trim() === '' ? Number.NaN : Number(r.amount)]));

function ThresholdRows({
  legend,
  rows,
  onChange,
  error,
}: {
  legend: string;
  rows: Thresholds;
  onChange: (rows: Thresholds) => void;
  error: Error | null;
}) {
  const { t } = useTranslation('admin');
  return (
    <fieldset>
      <legend>{legend}</legend>
      {reasonFor(error, 'secondApprovalAbove') && <p className="field-error">{reasonFor(error, 'secondApprovalAbove')}</p>}
      {rows.map((row, i) => {
        const at = `secondApprovalAbove.${row.currency.trim().toUpperCase()}`;
        return (
          <div key={i} className="row">
            <Field
              label={t('policies.currency', { n: i + 1 })}
              hint={t('policies.currencyHint')}
              error={reasonFor(error, at) && !/^[A-Z]{3}$/.test(row.currency) ? reasonFor(error, at) : undefined}
            >
              {(p) => (
                <input
                  {...p}
                  value={row.currency}
                  size={4}
                  maxLength={3}
                  onChange={(e) => onChange(rows.map((r, j) => (j === i ? { ...r, currency: e.target.value } : r)))}
                />
              )}
            </Field>
            <Field label={t('policies.amount', { n: i + 1 })} error={/^[A-Z]{3}$/.test(row.currency) ? reasonFor(error, at) : undefined}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={0}
                  step="any"
                  value={row.amount}
                  onChange={(e) => onChange(rows.map((r, j) => (j === i ? { ...r, amount: e.target.value } : r)))}
                />
              )}
            </Field>
            <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              {t('policies.removeCurrency', { n: i + 1 })}
            </button>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rows, { currency: '', amount: '' }])}>
        {t('policies.addCurrency')}
      </button>
    </fieldset>
  );
}

function CampaignApprovalForm() {
  const { t } = useTranslation('admin');
  return (
    <PolicyForm<Out<'/policies/campaign-approval'>, { rows: Thresholds; rest: object }>
      id="campaign"
      queryKey="campaign-approval"
      title={t('policies.campaign.title')}
      help={t('policies.campaign.help')}
      load={async () => unwrapForm(await api.GET('/policies/campaign-approval'))}
      save={async ({ rows, rest }) =>
        unwrapForm(await api.PUT('/policies/campaign-approval', { body: { ...rest, secondApprovalAbove: toMap(rows) } }))
      }
      toDraft={(v) => ({ rows: toRows(v.secondApprovalAbove), rest: strip(v) })}
    >
      {(d, set, error) => (
        <ThresholdRows legend={t('policies.campaign.thresholds')} rows={d.rows} onChange={(rows) => set({ ...d, rows })} error={error} />
      )}
    </PolicyForm>
  );
}

function ContractForm() {
  const { t } = useTranslation('admin');
  type Draft = Omit<ContractPolicy, 'secondApprovalAbove'> & { rows: Thresholds };
  const durations = [
    ['linkValidity', '1m – 90d'],
    ['signatureReminderEvery', '1m – 90d'],
    ['signatureExpiry', '1m – 365d'],
  ] as const;
  return (
    <PolicyForm<Out<'/policies/contracts'>, Draft>
      id="contracts"
      queryKey="contracts"
      title={t('policies.contracts.title')}
      help={t('policies.contracts.help')}
      load={async () => unwrapForm(await api.GET('/policies/contracts'))}
      save={async ({ rows, ...rest }) =>
        unwrapForm(await api.PUT('/policies/contracts', { body: { ...rest, secondApprovalAbove: toMap(rows) } }))
      }
      toDraft={({ version: _v, secondApprovalAbove, ...rest }) => ({ ...rest, rows: toRows(secondApprovalAbove) })}
    >
      {(d, set, error) => (
        <>
          <ThresholdRows legend={t('policies.contracts.thresholds')} rows={d.rows} onChange={(rows) => set({ ...d, rows })} error={error} />
          <Field label={t('policies.contracts.approvalOrder')} error={reasonFor(error, 'approvalOrder')}>
            {(p) => (
              <select
                {...p}
                value={d.approvalOrder}
                onChange={(e) => set({ ...d, approvalOrder: e.target.value as ContractPolicy['approvalOrder'] })}
              >
                <option value="parallel">{t('policies.contracts.parallel')}</option>
                <option value="sequential">{t('policies.contracts.sequential')}</option>
              </select>
            )}
          </Field>
          <div className="row">
            {durations.map(([key, bounds]) => (
              <Duration
                key={key}
                label={t(`policies.contracts.${key}`)}
                bounds={bounds}
                value={d[key]}
                onChange={(value) => set({ ...d, [key]: value })}
                error={reasonFor(error, key)}
              />
            ))}
          </div>
        </>
      )}
    </PolicyForm>
  );
}

function IncidentForm() {
  const { t } = useTranslation('admin');
  type Draft = Omit<IncidentPolicy, 'ackSla'> & { ackSla: Record<(typeof SEVERITIES)[number], string> };
  return (
    <PolicyForm<Out<'/policies/incidents'>, Draft>
      id="incidents"
      queryKey="incidents"
      title={t('policies.incidents.title')}
      help={t('policies.incidents.help')}
      load={async () => unwrapForm(await api.GET('/policies/incidents'))}
      save={async ({ ackSla, ...rest }) => {
        const sla = Object.fromEntries(
          SEVERITIES.map((s) => [s, ackSla[s].trim() === '' ? null : ackSla[s].trim()]),
        ) as IncidentPolicy['ackSla'];
        return unwrapForm(await api.PUT('/policies/incidents', { body: { ...rest, ackSla: sla } }));
      }}
      toDraft={({ version: _v, ackSla, ...rest }) => ({
        ...rest,
        ackSla: { P1: ackSla.P1 ?? '', P2: ackSla.P2 ?? '', P3: ackSla.P3 ?? '', P4: ackSla.P4 ?? '' },
      })}
    >
      {(d, set, error) => (
        <>
          <fieldset>
            <legend>{t('policies.incidents.ackSla')}</legend>
            <p className="muted">{t('policies.incidents.ackSlaHint')}</p>
            <div className="row">
              {SEVERITIES.map((s) => (
                <Duration
                  key={s}
                  label={s}
                  bounds="10s – 24h"
                  value={d.ackSla[s]}
                  onChange={(value) => set({ ...d, ackSla: { ...d.ackSla, [s]: value } })}
                  error={reasonFor(error, `ackSla.${s}`)}
                />
              ))}
            </div>
          </fieldset>
          <CheckboxGroup
            legend={t('policies.incidents.postmortemFor')}
            options={SEVERITIES}
            value={d.postmortemFor}
            onChange={(postmortemFor) => set({ ...d, postmortemFor })}
            label={(s) => s}
            error={reasonFor(error, 'postmortemFor')}
          />
          <Duration
            label={t('policies.incidents.postmortemDue')}
            bounds="1m – 90d"
            value={d.postmortemDue}
            onChange={(postmortemDue) => set({ ...d, postmortemDue })}
            error={reasonFor(error, 'postmortemDue')}
          />
        </>
      )}
    </PolicyForm>
  );
}
