// The console's words for the API's field refusals: Chinese for the codes it knows, the API's English otherwise.
import { fieldMessage, fieldsSummary } from '../../console/src/api/field-messages.ts';

const f = (code: string | undefined, params?: Record<string, unknown>) => ({
  field: 'x',
  message: 'the API says so',
  ...(code ? { code } : {}),
  ...(params ? { params } : {}),
});

test('Chinese for the checks and refusals it knows, with their figures', () => {
  const zh = (code: string, params?: Record<string, unknown>) => fieldMessage(f(code, params), 'zh-CN');
  expect(zh('too_small', { origin: 'array', minimum: 1, inclusive: true })).toBe('至少 1 项');
  expect(zh('too_small', { origin: 'string', minimum: 3, inclusive: true })).toBe('至少 3 个字符');
  expect(zh('too_small', { origin: 'number', minimum: 0, inclusive: false })).toBe('必须大于 0');
  expect(zh('too_big', { origin: 'number', maximum: 1_000_000, inclusive: true })).toBe('不能大于 1,000,000');
  expect(zh('too_big', { origin: 'string', maximum: 1000, inclusive: true })).toBe('最多 1,000 个字符');
  expect(zh('invalid_format', { format: 'datetime' })).toMatch(/^不是有效的日期时间/);
  expect(zh('duration', { range: "'10s' to '30d'" })).toBe("必须是 '10s' 至 '30d' 之间的时长，如 30s、5m、24h 或 14d");
  expect(zh('unknown_template_field', { field: 'nick', fields: ['name', 'email'] })).toBe('未知的模板字段 {{nick}}；可用字段：name、email');
  expect(zh('message_or_ab')).toBe('请填写邮件内容，或设置 A/B 测试的版本（二者选一）');
  expect(zh('invalid_value', { values: ['S', 'A', 'B'] })).toBe('只能是：S、A、B');
  expect(zh('unrecognized_keys', { keys: ['extra'] })).toBe('未知字段：extra');
  expect(zh('invalid_type', { expected: 'string', missing: true })).toBe('必填');
  expect(zh('in_past')).toBe('必须是将来的时间');
  expect(zh('over_budget')).toBe('不能超过总预算：预算不够发送一封');
});

test("the API's English where the console has no words: in English, without a code, an unknown code, a wrong type", () => {
  expect(fieldMessage(f('in_past'), 'en')).toBe('the API says so');
  expect(fieldMessage(f(undefined), 'zh-CN')).toBe('the API says so');
  expect(fieldMessage(f('no_such_code'), 'zh-CN')).toBe('the API says so');
  expect(fieldMessage(f('invalid_type', { expected: 'string', missing: false }), 'zh-CN')).toBe('the API says so');
  // A pattern's own words (a metric name's rule) say more than a bare 格式不正确.
  expect(fieldMessage(f('invalid_format', { format: 'regex' }), 'zh-CN')).toBe('the API says so');
});

test('the summary is said in Chinese only when every field is, so no reason is left in English alone', () => {
  expect(fieldsSummary([f('in_past')], 'zh-CN')).toBe('请按下列各项修改。');
  expect(fieldsSummary([f('in_past'), f(undefined)], 'zh-CN')).toBeUndefined();
  expect(fieldsSummary([], 'zh-CN')).toBeUndefined();
  expect(fieldsSummary([f('in_past')], 'en')).toBeUndefined();
});
