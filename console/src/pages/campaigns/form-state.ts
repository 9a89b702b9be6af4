// The campaign form's state as typed (strings, as inputs hold them) and its conversion to the API's body and back.
// Nothing is checked here: the API validates and names the field of each problem, which the form shows beside it.
import {
  fromLocalInput,
  toLocalInput,
  type Audience,
  type CreateBody,
  type GoalMetric,
  type GuardMetric,
  type LifecycleStage,
  type Segment,
  type WinningMetric,
} from './campaigns-api.ts';

export interface VariantDraft {
  name: string;
  subject: string;
  body: string;
  split: string;
}
export interface GoalDraft {
  metric: GoalMetric;
  target: string;
  deadline: string;
}
export interface GuardDraft {
  metric: GuardMetric;
  above: string;
  minSends: string;
}

export interface FormState {
  name: string;
  segment: Segment | '';
  stages: LifecycleStage[];
  tags: string;
  rfmSegments: Segment[];
  lastActiveAfter: string;
  lastActiveBefore: string;
  total: string;
  currency: string;
  costPerSend: string;
  startAt: string;
  endAt: string;
  sendRate: string;
  mode: 'message' | 'ab';
  subject: string;
  body: string;
  variants: VariantDraft[];
  /** Percent of the audience. */
  testShare: string;
  testDuration: string;
  winningMetric: WinningMetric;
  goals: GoalDraft[];
  guards: GuardDraft[];
}

export type Spec = Omit<CreateBody, 'draft'>;

const HOUR = 3_600_000;
/** A number typed as text; empty is NaN, which reaches the API as null and comes back as that field's message. */
const num = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));
/** A fraction shown as a percent, without floating-point noise (0.07 -> "7"). */
const percent = (fraction: number): string => String(Number((fraction * 100).toPrecision(12)));

export function emptyForm(now = Date.now()): FormState {
  return {
    name: '',
    segment: '',
    stages: [],
    tags: '',
    rfmSegments: [],
    lastActiveAfter: '',
    lastActiveBefore: '',
    total: '',
    currency: 'CNY',
    costPerSend: '0.05',
    startAt: toLocalInput(new Date(now + HOUR).toISOString()),
    endAt: toLocalInput(new Date(now + 8 * 24 * HOUR).toISOString()),
    sendRate: '50',
    mode: 'message',
    subject: '',
    body: '',
    variants: [
      { name: 'A', subject: '', body: '', split: '' },
      { name: 'B', subject: '', body: '', split: '' },
    ],
    testShare: '20',
    testDuration: '24h',
    winningMetric: 'conversions',
    goals: [],
    guards: [{ metric: 'unsubscribe_rate', above: '2', minSends: '200' }],
  };
}

export function audienceOf(s: FormState): Audience {
  const tags = s.tags
    .split(/[,，]/)
    .map((x) => x.trim())
    .filter(Boolean);
  const filters = {
    ...(s.stages.length ? { stages: s.stages } : {}),
    ...(tags.length ? { tags } : {}),
    ...(s.rfmSegments.length ? { rfmSegments: s.rfmSegments } : {}),
    ...(s.lastActiveAfter ? { lastActiveAfter: fromLocalInput(s.lastActiveAfter) } : {}),
    ...(s.lastActiveBefore ? { lastActiveBefore: fromLocalInput(s.lastActiveBefore) } : {}),
  };
  return { ...(s.segment ? { segment: s.segment } : {}), ...(Object.keys(filters).length ? { filters } : {}) };
}

export const hasAudience = (a: Audience): boolean => Boolean(a.segment) || Object.keys(a.filters ?? {}).length > 0;

export function toSpec(s: FormState): Spec {
  const withSplits = s.variants.some((v) => v.split.trim() !== '');
  return {
    name: s.name,
    audience: audienceOf(s),
    budget: { total: num(s.total), currency: s.currency.trim().toUpperCase(), costPerSend: num(s.costPerSend) },
    schedule: { startAt: fromLocalInput(s.startAt), endAt: fromLocalInput(s.endAt) },
    sendRate: num(s.sendRate),
    message: s.mode === 'message' ? { subject: s.subject, body: s.body } : null,
    abTest:
      s.mode === 'ab'
        ? {
            variants: s.variants.map((v) => ({
              name: v.name,
              subject: v.subject,
              body: v.body,
              ...(withSplits ? { split: num(v.split) } : {}),
            })),
            testShare: num(s.testShare) / 100,
            testDuration: s.testDuration.trim(),
            winningMetric: s.winningMetric,
          }
        : null,
    goals: s.goals.map((g) => ({
      metric: g.metric,
      target: g.metric === 'conversion_rate' ? num(g.target) / 100 : num(g.target),
      deadline: fromLocalInput(g.deadline),
    })),
    guards: s.guards.map((g) => ({ metric: g.metric, above: num(g.above) / 100, minSends: num(g.minSends) })),
  };
}

/** The form for a campaign as the API holds it (GET /campaigns/:id's spec). */
export function fromSpec(spec: Spec): FormState {
  const f = spec.audience.filters ?? {};
  const ab = spec.abTest ?? null;
  const base = emptyForm();
  return {
    name: spec.name,
    segment: spec.audience.segment ?? '',
    stages: f.stages ?? [],
    tags: (f.tags ?? []).join(', '),
    rfmSegments: f.rfmSegments ?? [],
    lastActiveAfter: toLocalInput(f.lastActiveAfter),
    lastActiveBefore: toLocalInput(f.lastActiveBefore),
    total: String(spec.budget.total),
    currency: spec.budget.currency,
    costPerSend: String(spec.budget.costPerSend),
    startAt: toLocalInput(spec.schedule.startAt),
    endAt: toLocalInput(spec.schedule.endAt),
    sendRate: String(spec.sendRate ?? 50),
    mode: ab ? 'ab' : 'message',
    subject: spec.message?.subject ?? '',
    body: spec.message?.body ?? '',
    variants: ab
      ? ab.variants.map((v) => ({ name: v.name, subject: v.subject, body: v.body, split: v.split === undefined ? '' : String(v.split) }))
      : base.variants,
    testShare: ab ? percent(ab.testShare) : base.testShare,
    testDuration: ab?.testDuration ?? base.testDuration,
    winningMetric: ab?.winningMetric ?? base.winningMetric,
    goals: (spec.goals ?? []).map((g) => ({
      metric: g.metric,
      target: g.metric === 'conversion_rate' ? percent(g.target) : String(g.target),
      deadline: toLocalInput(g.deadline),
    })),
    guards: (spec.guards ?? []).map((g) => ({ metric: g.metric, above: percent(g.above), minSends: String(g.minSends) })),
  };
}

/** The fields of `next` that differ from `before`: a PATCH sends only what changed. */
export function changedFields(before: Spec, next: Spec): Partial<Spec> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof Spec)[]) {
    if (JSON.stringify(next[key]) !== JSON.stringify(before[key])) out[key] = next[key];
  }
  return out as Partial<Spec>;
}
