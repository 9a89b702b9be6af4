import { checkContent } from '../../activities/content-checks.ts';
import { TEST_RULES } from '../support/rules.ts';

const check = (body: string, title = 'A fine title') => checkContent(TEST_RULES, { title, body });
const rules = (body: string, title?: string) => check(body, title).findings.map((f) => `${f.rule}:${f.severity}`);

test('clean content passes with no findings', () => {
  expect(check('Everything is 20% off this weekend, see https://shop.example.com/sale')).toEqual({ outcome: 'pass', findings: [] });
});

test('banned words block: whole words in Latin script, containment in CJK', () => {
  expect(rules('This is a scam, honestly.')).toEqual(['banned_word:block']);
  expect(rules('Nothing to see: scamper away, little mouse.')).toEqual([]);
  expect(rules('本周末线上赌博活动开始了')).toEqual(['banned_word:block']);
  expect(check('SCAM alert for everyone').outcome).toBe('block');
});

test('length limits block, and name the limit', () => {
  const findings = check('short', 'x'.repeat(121)).findings;
  expect(findings.map((f) => f.message)).toEqual(['title is 121 characters; at most 120', 'body is 5 characters; at least 10']);
  expect(check('y'.repeat(5001)).outcome).toBe('block');
});

test('a Chinese, Japanese or Korean character counts as two letters against the limits; an emoji as one', () => {
  // The bodyMin of 10: five Chinese characters are as long as ten letters, four are not.
  expect(rules('周末全场八折')).toEqual([]);
  expect(rules('全场八折')).toEqual(['length:block']);
  expect(check('全场八折').findings[0]!.message).toBe(
    'body is 8 characters, counting each Chinese, Japanese or Korean character as two; at least 10',
  );
  expect(rules('세일 시작합니다')).toEqual([]);
  expect(rules('🎉🎉🎉🎉🎉🎉🎉🎉🎉')).toEqual(['length:block']);
  expect(check('标'.repeat(61)).findings.map((f) => f.message)).toEqual([]);
  expect(check('ok body here', '标'.repeat(61)).findings[0]!.message).toBe(
    'title is 122 characters, counting each Chinese, Japanese or Korean character as two; at most 120',
  );
});

test('links outside the allow-list are flagged; the domain and its subdomains are allowed', () => {
  expect(rules('Read https://example.com/a and https://www.example.com/b today')).toEqual([]);
  const flagged = check('Read http://evil.test/x and https://notexample.com/y now');
  expect(flagged.outcome).toBe('flag');
  expect(check('Visit www.evil.test/deal for the prize').findings[0]!.message).toBe(
    'links to www.evil.test, which is not on the allow-list',
  );
  expect(flagged.findings.map((f) => f.message)).toEqual([
    'links to evil.test, which is not on the allow-list',
    'links to notexample.com, which is not on the allow-list',
  ]);
});

test('personal data patterns are flagged', () => {
  expect(check('Write to jane.doe@corp.cn for the prize').findings[0]!.message).toMatch(/email address/);
  expect(check('Call 138 0013 8000 for the prize today').findings[0]!.message).toMatch(/mobile phone/);
  expect(check('Call +44 20 7946 0958 for the prize today').findings[0]!.message).toMatch(/phone number/);
  expect(check('ID 11010519491231002X belongs to the winner').findings[0]!.message).toMatch(/ID number/);
  expect(check('SSN 078-05-1120 belongs to the winner').findings[0]!.message).toMatch(/social security/);
  expect(rules('Order 20261122 ships in 3 days, 20% off')).toEqual([]);
});

test('a block outweighs flags', () => {
  expect(check('scam at http://evil.test now').outcome).toBe('block');
});
