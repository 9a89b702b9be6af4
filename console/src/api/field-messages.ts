// The API's field refusals in the console's language. The API words them in English and adds a code with its figures
// (api/errors.ts fieldCode); English shows the API's words, Chinese says the known codes in its own and shows the
// API's words for the rest.
import type { components } from './schema.d.ts';

type FieldError = NonNullable<components['schemas']['Error']['error']['fields']>[number];
type Params = Record<string, unknown>;

const num = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('zh-CN') : String(v));
const list = (v: unknown) => (Array.isArray(v) ? v.join('、') : String(v));

const FORMATS_ZH: Record<string, string> = {
  datetime: '不是有效的日期时间（例如 2026-12-05T10:00:00+08:00）',
  email: '不是有效的邮箱地址',
  uuid: '不是有效的 ID',
  url: '不是有效的网址',
};

/** A bound on a text's length, a list's size or a number, in the words for its side (至少 … or 最多 …). */
function bound(p: Params, limit: unknown, words: { count: string; strict: string; inclusive: string }): string {
  if (p.origin === 'string') return `${words.count} ${num(limit)} 个字符`;
  if (p.origin === 'array' || p.origin === 'set') return `${words.count} ${num(limit)} 项`;
  return `${p.inclusive === false ? words.strict : words.inclusive} ${num(limit)}`;
}

const ZH: Record<string, (p: Params) => string | undefined> = {
  too_small: (p) => bound(p, p.minimum, { count: '至少', strict: '必须大于', inclusive: '不能小于' }),
  too_big: (p) => bound(p, p.maximum, { count: '最多', strict: '必须小于', inclusive: '不能大于' }),
  invalid_type: (p) => (p.missing ? '必填' : undefined),
  // A pattern's own words (a metric name's rule, say) say more than 格式不正确: those stay the API's.
  invalid_format: (p) => FORMATS_ZH[String(p.format)],
  invalid_value: (p) => `只能是：${list(p.values)}`,
  unrecognized_keys: (p) => `未知字段：${list(p.keys)}`,
  in_past: () => '必须是将来的时间',
  not_after: () => '必须晚于开始时间',
  over_budget: () => '不能超过总预算：预算不够发送一封',
  years_1970_9999: () => '必须在 1970 年至 9999 年之间（UTC）',
  duration: (p) => `必须是 ${String(p.range).replace(' to ', ' 至 ')} 之间的时长，如 30s、5m、24h 或 14d`,
  names_repeat: () => '版本名称不能重复',
  splits_some: () => '要么每个版本都填写比例，要么都不填',
  splits_sum: () => '各版本的比例之和必须是 100',
  rate_fraction: () => '转化率目标是 0 到 1 之间的小数',
  no_audience: () => '请选择一个分群，或至少一个筛选条件',
  message_or_ab: () => '请填写邮件内容，或设置 A/B 测试的版本（二者选一）',
  unknown_template_field: (p) => `未知的模板字段 {{${String(p.field)}}}；可用字段：${list(p.fields)}`,
};

const said = (error: FieldError): string | undefined => (error.code ? ZH[error.code]?.(error.params ?? {}) : undefined);

/** A field refusal's message in `language` (an API code the console does not know keeps the API's words). */
export function fieldMessage(error: FieldError, language: string): string {
  return (language.startsWith('zh') && said(error)) || error.message;
}

/**
 * The refusal's own line in `language` when its fields say the rest: in Chinese, instead of the API's English summary
 * ('publishAt is in the past') when each of its fields is said in Chinese; undefined keeps the API's.
 */
export function fieldsSummary(errors: FieldError[], language: string): string | undefined {
  if (!language.startsWith('zh') || errors.length === 0 || !errors.every((e) => said(e) !== undefined)) return undefined;
  return '请按下列各项修改。';
}
