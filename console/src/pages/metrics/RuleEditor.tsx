// The rule editor: every field the API takes, a dry run over past points (what the rule decides now and what it would
// have fired), save. A refusal names its fields beside their inputs and the form keeps what was typed.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, FieldRefusal, unwrap, unwrapWithFields, type Session } from '../../api/client.ts';
import { Facts } from '../../components/Facts.tsx';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { formatDateTime } from '../../format.ts';
import { Link, navigate, useLocation } from '../../router.tsx';
import {
  ACTIONS,
  AGGREGATIONS,
  canWrite,
  COMPARISONS,
  formatLabels,
  NO_DATA,
  parseLabels,
  ROLES,
  SEGMENTS,
  SEVERITIES,
  type Rule,
  type RuleAction,
  type RuleBody,
} from './api.ts';
import { CampaignPicker } from './CampaignPicker.tsx';
import { DryRunResult } from './DryRun.tsx';
import { RuleEpisodes } from './RuleEpisodes.tsx';
import { StateBadge, useFormatValue } from './parts.tsx';

interface Draft {
  name: string;
  metric: string;
  labels: string;
  aggregation: Rule['aggregation'];
  window: string;
  comparison: Rule['comparison'];
  threshold: string;
  for: string;
  keepFiring: string;
  noData: Rule['noData'];
  severity: Rule['severity'];
  actionType: RuleAction['type'];
  service: string;
  campaignId: string;
  segment: (typeof SEGMENTS)[number];
  role: (typeof ROLES)[number];
  every: string;
  enabled: boolean;
}

const NEW: Draft = {
  name: '',
  metric: '',
  labels: '',
  aggregation: 'avg',
  window: '5m',
  comparison: 'above',
  threshold: '',
  for: '0s',
  keepFiring: '0s',
  noData: 'ok',
  severity: 'P3',
  actionType: 'open_incident',
  service: '',
  campaignId: '',
  segment: 'at_risk',
  role: 'oncall',
  every: '30s',
  enabled: true,
};

function draftOf(rule: Rule): Draft {
  const action = rule.action as RuleAction;
  return {
    name: rule.name,
    metric: rule.metric,
    labels: formatLabels(rule.labels),
    aggregation: rule.aggregation,
    window: rule.window,
    comparison: rule.comparison,
    threshold: String(rule.threshold),
    for: rule.for,
    keepFiring: rule.keepFiring,
    noData: rule.noData,
    severity: rule.severity,
    actionType: action.type,
    service: action.type === 'open_incident' ? (action.service ?? '') : '',
    campaignId: action.type === 'pause_campaign' ? action.campaignId : '',
    segment: action.type === 'start_winback' ? action.segment : NEW.segment,
    role: action.type === 'notify_role' ? (action.role as Draft['role']) : NEW.role,
    every: rule.every,
    enabled: rule.enabled,
  };
}

function actionOf(d: Draft): RuleAction {
  switch (d.actionType) {
    case 'open_incident':
      return { type: 'open_incident', ...(d.service.trim() ? { service: d.service.trim() } : {}) };
    case 'pause_campaign':
      return { type: 'pause_campaign', campaignId: d.campaignId.trim() };
    case 'start_winback':
      return { type: 'start_winback', segment: d.segment };
    case 'notify_role':
      return { type: 'notify_role', role: d.role };
  }
}

/** The API's body; a threshold that is not a number is left out so the API names it, as it does every other field. */
function bodyOf(d: Draft, labels: Record<string, string>): RuleBody {
  const threshold = d.threshold.trim() === '' ? undefined : Number(d.threshold);
  return {
    name: d.name,
    metric: d.metric.trim(),
    labels,
    aggregation: d.aggregation,
    window: d.window.trim(),
    comparison: d.comparison,
    threshold: threshold as number,
    for: d.for.trim(),
    keepFiring: d.keepFiring.trim(),
    noData: d.noData,
    severity: d.severity,
    action: actionOf(d),
    every: d.every.trim(),
    enabled: d.enabled,
  };
}

/** The API's field name (`threshold`, `labels.x`, `action.campaignId`) to the input that holds it. */
function inputOf(field: string): keyof Draft | 'form' {
  const [head, sub] = field.split('.');
  if (head === 'action') {
    if (sub === 'service' || sub === 'campaignId' || sub === 'segment' || sub === 'role') return sub;
    return 'actionType';
  }
  if (head && head in NEW) return head as keyof Draft;
  if (head?.startsWith('labels')) return 'labels';
  return 'form';
}

const RANGES = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
type Range = keyof typeof RANGES;

export function RuleEditor({ session, ruleId }: { session: Session; ruleId?: string }) {
  const { t } = useTranslation('metrics');
  const rule = useQuery({
    queryKey: ['rule', ruleId],
    queryFn: async () => unwrap(await api.GET('/rules/{id}', { params: { path: { id: ruleId! } } })),
    enabled: ruleId !== undefined,
    refetchInterval: 10_000,
  });
  usePageTitle(ruleId ? (rule.data?.name ?? t('editor.editTitle')) : t('editor.newTitle'));
  if (!ruleId) return <RuleForm session={session} />;
  if (rule.isPending) return <Loading />;
  if (rule.error)
    return (
      <>
        <h1>{t('editor.editTitle')}</h1>
        <ErrorNote error={rule.error} />
        <Link to="/">{t('editor.backToRules')}</Link>
      </>
    );
  return <RuleForm session={session} rule={rule.data} />;
}

function RuleForm({ session, rule }: { session: Session; rule?: Rule }) {
  const { t, i18n } = useTranslation('metrics');
  const queryClient = useQueryClient();
  const { params } = useLocation();
  const [draft, setDraft] = useState<Draft>(() => (rule ? draftOf(rule) : { ...NEW, metric: params.get('metric') ?? '' }));
  const [errors, setErrors] = useState<Partial<Record<keyof Draft | 'form', string>>>({});
  const [range, setRange] = useState<Range>('24h');
  const [saved, setSaved] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const writer = canWrite(session.operator.roles);
  const fmt = useFormatValue();

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
    setSaved(false);
  };
  /** The body, or null with the labels' error shown (the one field the browser checks itself: its format). */
  const checked = (): RuleBody | null => {
    const labels = parseLabels(draft.labels);
    if (!labels) {
      setErrors({ labels: t('editor.labelsFormat') });
      return null;
    }
    return bodyOf(draft, labels);
  };
  const onRefusal = (err: Error) => {
    const next: Partial<Record<keyof Draft | 'form', string>> = {};
    if (err instanceof FieldRefusal)
      for (const [input, messages] of Object.entries(err.fields)) next[input as keyof Draft | 'form'] ??= messages[0];
    setErrors(next);
  };

  const dryRun = useMutation({
    mutationFn: async (body: RuleBody) => {
      const to = new Date();
      const from = new Date(to.getTime() - RANGES[range]);
      const { name, ...rest } = body;
      return unwrapWithFields(
        await api.POST('/rules/dry-run', {
          body: { ...rest, ...(name.trim() ? { name } : {}), from: from.toISOString(), to: to.toISOString() },
        }),
        inputOf,
      );
    },
    onError: onRefusal,
    onSuccess: () => setErrors({}),
  });
  const save = useMutation({
    mutationFn: async (body: RuleBody) => {
      if (!rule) return unwrapWithFields(await api.POST('/rules', { body }), inputOf);
      const before = bodyOf(draftOf(rule), rule.labels) as Record<string, unknown>;
      const changed = Object.fromEntries(Object.entries(body).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])));
      return unwrapWithFields(await api.PATCH('/rules/{id}', { params: { path: { id: rule.id } }, body: changed }), inputOf);
    },
    onError: onRefusal,
    onSuccess: (stored) => {
      setErrors({});
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      queryClient.setQueryData(['rule', stored.id], stored);
      if (rule) setSaved(true);
      else navigate(`/console/metrics/rules/${stored.id}?created=1`);
    },
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/rules/{id}', { params: { path: { id: rule!.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      navigate('/console/metrics');
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = checked();
    if (body) save.mutate(body);
  };
  const runDry = () => {
    const body = checked();
    if (body) dryRun.mutate(body);
  };
  const refusal = save.error ?? remove.error ?? dryRun.error;
  const hints: Partial<Record<keyof Draft, string>> = {
    metric: t('hints.metric'),
    labels: t('hints.labels'),
    window: t('hints.window'),
    for: t('hints.for'),
    keepFiring: t('hints.keepFiring'),
    every: t('hints.every'),
    service: t('hints.service'),
    ...(draft.comparison.startsWith('change_') ? { threshold: t('hints.thresholdPercent') } : {}),
  };
  /** Props tying an input to its label, its hint and its error. */
  const ctl = (key: keyof Draft) => ({
    id: `rule-${key}`,
    'aria-invalid': errors[key] ? true : undefined,
    'aria-describedby': [hints[key] && `rule-${key}-hint`, errors[key] && `rule-${key}-error`].filter(Boolean).join(' ') || undefined,
  });
  const field = (key: keyof Draft, label: string, input: ReactNode) => (
    <div className="field">
      <label htmlFor={`rule-${key}`}>{label}</label>
      {input}
      {hints[key] && (
        <small id={`rule-${key}-hint`} className="muted">
          {hints[key]}
        </small>
      )}
      {errors[key] && (
        <small id={`rule-${key}-error`} className="field-error">
          {errors[key]}
        </small>
      )}
    </div>
  );
  const text = (
    key: 'name' | 'metric' | 'labels' | 'threshold' | 'window' | 'for' | 'keepFiring' | 'every' | 'service' | 'campaignId',
    extra: object = {},
  ) => <input {...ctl(key)} value={draft[key]} onChange={(e) => set(key, e.target.value)} spellCheck={false} {...extra} />;
  const choice = <K extends 'aggregation' | 'comparison' | 'noData' | 'severity' | 'actionType' | 'segment' | 'role'>(
    key: K,
    options: readonly Draft[K][],
    words: (o: Draft[K]) => string,
  ) => (
    <select {...ctl(key)} value={draft[key]} onChange={(e) => set(key, e.target.value as Draft[K])}>
      {options.map((o) => (
        <option key={o} value={o}>
          {words(o)}
        </option>
      ))}
    </select>
  );

  return (
    <section aria-labelledby="rule-title">
      <p>
        <Link to="/">{t('editor.backToRules')}</Link>
      </p>
      <h1 id="rule-title">{rule ? t('editor.editHeading', { name: rule.name }) : t('editor.newTitle')}</h1>
      {rule && (
        <>
          {params.has('created') && (
            <p role="status" className="saved">
              {t('editor.created')}
            </p>
          )}
          <h2>{t('editor.monitor')}</h2>
          <Facts
            items={[
              [t('rules.state'), <StateBadge key="s" state={rule.monitor.state} />],
              [t('editor.stateSince'), rule.monitor.since ? formatDateTime(rule.monitor.since, i18n.language) : null],
              [t('editor.episodeCount'), String(rule.monitor.episodes)],
              [t('rules.lastValue'), rule.monitor.lastValue === null ? null : fmt(rule.monitor.lastValue)],
              [
                t('editor.lastEvaluated'),
                rule.monitor.lastEvaluatedAt ? formatDateTime(rule.monitor.lastEvaluatedAt, i18n.language) : null,
              ],
              [t('editor.version'), String(rule.version)],
            ]}
          />
          <p>
            <Link to={`/${encodeURIComponent(rule.metric)}`}>{t('editor.openChart', { metric: rule.metric })}</Link>
          </p>
          <RuleEpisodes ruleId={rule.id} episodes={rule.monitor.episodes} state={rule.monitor.state} />
          <h2>{t('editor.definition')}</h2>
        </>
      )}
      <form className="rule-form" onSubmit={submit} noValidate>
        <fieldset>
          <legend>{t('editor.what')}</legend>
          {field('name', t('fields.name'), text('name', { required: true, maxLength: 200 }))}
          {field('metric', t('fields.metric'), text('metric', { required: true }))}
          {field('labels', t('fields.labels'), text('labels', { placeholder: 'region:eu, app:web' }))}
        </fieldset>
        <fieldset>
          <legend>{t('editor.when')}</legend>
          {field(
            'aggregation',
            t('fields.aggregation'),
            choice('aggregation', AGGREGATIONS, (o) => t(`aggregations.${o}`)),
          )}
          {field('window', t('fields.window'), text('window'))}
          {field(
            'comparison',
            t('fields.comparison'),
            choice('comparison', COMPARISONS, (o) => t(`comparisons.${o}`)),
          )}
          {field('threshold', t('fields.threshold'), text('threshold', { inputMode: 'decimal' }))}
          {field('for', t('fields.for'), text('for'))}
          {field('keepFiring', t('fields.keepFiring'), text('keepFiring'))}
          {field(
            'noData',
            t('fields.noData'),
            choice('noData', NO_DATA, (o) => t(`noData.${o}`)),
          )}
          {field('every', t('fields.every'), text('every'))}
        </fieldset>
        <fieldset>
          <legend>{t('editor.then')}</legend>
          {field(
            'severity',
            t('fields.severity'),
            choice('severity', SEVERITIES, (o) => o),
          )}
          {field(
            'actionType',
            t('fields.action'),
            choice('actionType', ACTIONS, (o) => t(`actions.${o}`)),
          )}
          {draft.actionType === 'open_incident' && field('service', t('fields.service'), text('service', { maxLength: 200 }))}
          {draft.actionType === 'pause_campaign' && field('campaignId', t('fields.campaignId'), text('campaignId', { required: true }))}
          {draft.actionType === 'pause_campaign' && <CampaignPicker value={draft.campaignId} onPick={(id) => set('campaignId', id)} />}
          {draft.actionType === 'start_winback' &&
            field(
              'segment',
              t('fields.segment'),
              choice('segment', SEGMENTS, (o) => t(`segments.${o}`)),
            )}
          {draft.actionType === 'notify_role' &&
            field(
              'role',
              t('fields.role'),
              choice('role', ROLES, (o) => t(`roles.${o}`)),
            )}
          <div className="field checkbox">
            <input {...ctl('enabled')} type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
            <label htmlFor="rule-enabled">{t('fields.enabled')}</label>
          </div>
        </fieldset>
        <ErrorNote error={refusal} />
        {errors.form && <p className="field-error">{errors.form}</p>}
        {saved && (
          <p role="status" className="saved">
            {t('editor.saved')}
          </p>
        )}
        <div className="rule-buttons">
          <label>
            {t('editor.range')}{' '}
            <select value={range} onChange={(e) => setRange(e.target.value as Range)}>
              {Object.keys(RANGES).map((r) => (
                <option key={r} value={r}>
                  {t(`ranges.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={runDry} disabled={dryRun.isPending}>
            {t('editor.dryRun')}
          </button>
          {writer && (
            <button type="submit" className="primary" disabled={save.isPending}>
              {rule ? t('editor.save') : t('editor.create')}
            </button>
          )}
          {writer && rule && !confirmDelete && (
            <button type="button" onClick={() => setConfirmDelete(true)}>
              {t('editor.delete')}
            </button>
          )}
          {writer && rule && confirmDelete && (
            <>
              <button type="button" className="danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
                {t('editor.confirmDelete')}
              </button>
              <button type="button" onClick={() => setConfirmDelete(false)}>
                {t('editor.keep')}
              </button>
            </>
          )}
        </div>
        {!writer && <p className="muted">{t('editor.readOnly')}</p>}
      </form>
      {dryRun.isPending && <Loading />}
      {dryRun.data && dryRun.variables && <DryRunResult result={dryRun.data} rule={dryRun.variables} />}
    </section>
  );
}
