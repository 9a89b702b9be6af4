// Pieces the admin pages share: the API's enumerations as runtime lists (typed against the generated schema, so a new
// role or severity fails the type-check until it is offered here), refusals that keep the API's per-field reasons, a
// labelled field that shows its own reason, and a secret shown once.
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, type Role } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.d.ts';

type Json<P extends keyof paths, M extends 'get' | 'put' | 'post' | 'patch'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
export type LifecyclePolicy = Json<'/policies/lifecycle', 'put'>;
export type IncidentPolicy = Json<'/policies/incidents', 'put'>;
type Stage = NonNullable<LifecyclePolicy['nurture']['goal']>;
type Step = LifecyclePolicy['nurture']['steps'][number];
type Target = NonNullable<Json<'/escalation-policies/{id}', 'patch'>['levels']>[number]['targets'][number];
export type ResponderRole = Extract<Target, { role: unknown }>['role'];
type Severity = IncidentPolicy['postmortemFor'][number];

// A Record over the union must name every member, and only members: the lists cannot drift from the API.
const keys = <K extends string>(all: Record<K, true>): K[] => Object.keys(all) as K[];
export const ROLES = keys<Role>({ admin: true, ops_manager: true, reviewer: true, legal: true, oncall: true, analyst: true, ingest: true });
export const RESPONDER_ROLES = keys<ResponderRole>({ oncall: true, ops_manager: true, admin: true });
export const SEVERITIES = keys<Severity>({ P1: true, P2: true, P3: true, P4: true });
export const FUNNEL_STAGES = keys<Stage>({ acquired: true, activated: true, retained: true, monetized: true, referrer: true });
export const TEMPLATES = keys<Step['template']>({ welcome: true, tips: true, nudge: true, summary: true });
export const CATEGORIES = keys<Step['category']>({ marketing: true, transactional: true });

type FieldProblem = components['schemas']['Error']['error'] extends { fields?: (infer F)[] } ? F : never;

/** A refusal that keeps the API's per-field reasons, so a form can show each beside its input. */
export class FormError extends ApiError {
  readonly fields: FieldProblem[];
  constructor(status: number, message: string, fields: FieldProblem[]) {
    super(status, message);
    this.fields = fields;
  }
  /** The reason for one field (`frequencyCap.window`, `levels[0].wait`), or for any field under it. */
  reason(path: string): string | undefined {
    return this.fields.find((f) => f.field === path)?.message;
  }
}

/** Like client.ts's unwrap, but the refusal keeps its fields. */
export function unwrapForm<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = result.error as Partial<components['schemas']['Error']> | undefined;
    const fields = body?.error?.fields ?? [];
    const message = body?.error?.message ?? `${result.response.status} ${result.response.statusText}`;
    throw new FormError(result.response.status, message, fields);
  }
  return result.data as T;
}

/** The reason the API gave for `path`, when the last refusal was a FormError. */
export const reasonFor = (error: Error | null | undefined, path: string): string | undefined =>
  error instanceof FormError ? error.reason(path) : undefined;

/** A refusal with every field's reason listed (the fields are also shown beside their inputs). */
export function Refusal({ error }: { error: Error | null | undefined }) {
  if (!error) return null;
  const fields = error instanceof FormError ? error.fields : [];
  return (
    <div role="alert" className="error">
      <p>{error.message}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export interface ControlProps {
  id: string;
  'aria-invalid'?: true;
  'aria-describedby'?: string;
}

/** A label, its control, an optional hint and the API's reason for this field, tied together for screen readers. */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(error ? { 'aria-invalid': true as const } : {}), ...(described ? { 'aria-describedby': described } : {}) })}
      {hint && (
        <span id={`${id}-hint`} className="muted">
          {hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

/** A token or signing secret the API answers once: shown with a copy button and a plain warning. */
export function ShownOnce({ title, label, value, onDone }: { title: string; label: string; value: string; onDone: () => void }) {
  const { t } = useTranslation('admin');
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'no' | undefined>();
  const copy = () => {
    navigator.clipboard.writeText(value).then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };
  return (
    <section className="panel once" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p className="warning">
        <strong>{t('once.warning')}</strong>
      </p>
      <label htmlFor={id}>{label}</label>
      <div className="once-value">
        <input id={id} readOnly value={value} size={Math.min(64, value.length)} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>
          {t('once.copy')}
        </button>
      </div>
      <p role="status">{copied === 'yes' ? t('once.copied') : copied === 'no' ? t('once.copyFailed') : ''}</p>
      <button type="button" className="primary" onClick={onDone}>
        {t('once.done')}
      </button>
    </section>
  );
}

/** Checkboxes for a set of values in a fieldset with its legend. */
export function CheckboxGroup<V extends string>({
  legend,
  options,
  value,
  onChange,
  label,
  error,
}: {
  legend: string;
  options: readonly V[];
  value: readonly V[];
  onChange: (value: V[]) => void;
  label: (v: V) => string;
  error?: string | undefined;
}) {
  const id = useId();
  return (
    <fieldset className={error ? 'checks invalid' : 'checks'} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option}>
          <input
            type="checkbox"
            checked={value.includes(option)}
            onChange={(e) =>
              onChange(e.target.checked ? options.filter((o) => o === option || value.includes(o)) : value.filter((v) => v !== option))
            }
          />{' '}
          {label(option)}
        </label>
      ))}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </fieldset>
  );
}

/** Names for operators' ids in the audit log and escalation levels (the first 500 operators; beyond that an id shows as itself). */
export function useOperatorNames(): Map<string, string> {
  const operators = useQuery({
    queryKey: ['operators', 'names'],
    queryFn: async () => unwrapForm(await api.GET('/operators', { params: { query: { limit: 500, offset: 0 } } })),
    staleTime: 60_000,
  });
  return new Map(operators.data?.items.map((o) => [o.id, o.name]) ?? []);
}
