// Automated content checks: pure rules over title and body, configured from the environment.
import type { CheckFinding, CheckResult } from '../domain/content.ts';

export interface CheckRules {
  bannedWords: string[];
  /** Link hosts allowed (a subdomain of a listed domain is allowed too); every other link is flagged. */
  allowedLinkDomains: string[];
  titleMax: number;
  bodyMin: number;
  bodyMax: number;
}

const PERSONAL_DATA: { label: string; pattern: RegExp }[] = [
  { label: 'an email address', pattern: /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/i },
  {
    label: 'a mainland China ID number',
    pattern: /(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx])/,
  },
  { label: 'a US social security number', pattern: /(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/ },
  { label: 'a mobile phone number', pattern: /(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)/ },
  { label: 'a phone number', pattern: /(?<![\w+])\+\d{1,3}[\s-]?(?:\(\d{1,4}\)[\s-]?)?\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)/ },
];

// With a scheme, or a bare www. host (people paste links both ways).
const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"')\]]+/gi;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Each distinct text the pattern matches, in order. */
function allMatches(text: string, pattern: RegExp): string[] {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  return [...new Set([...text.matchAll(global)].map((m) => m[0]))];
}

function hostAllowed(host: string, allowed: string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((d) => h === d.toLowerCase() || h.endsWith(`.${d.toLowerCase()}`));
}

// Chinese, Japanese and Korean say in one character what Latin scripts say in about two (the convention of Weibo's
// and X's limits), so a length limit counts a wide character twice: 10 Chinese characters are as long as 20 letters.
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

/** The length a limit compares: code points (an emoji is one), a wide character counting two. */
export function textLength(text: string): { length: number; wide: boolean } {
  let length = 0;
  let wide = false;
  for (const ch of text) {
    const isWide = WIDE.test(ch);
    wide ||= isWide;
    length += isWide ? 2 : 1;
  }
  return { length, wide };
}

function lengthFinding(part: 'title' | 'body', text: string, bound: 'at least' | 'at most', limit: number): CheckFinding | null {
  const { length, wide } = textLength(text);
  if (bound === 'at least' ? length >= limit : length <= limit) return null;
  const counted = wide ? ', counting each Chinese, Japanese or Korean character as two' : '';
  return { rule: 'length', severity: 'block', message: `${part} is ${length} characters${counted}; ${bound} ${limit}` };
}

export function checkContent(rules: CheckRules, { title, body }: { title: string; body: string }): CheckResult {
  const findings: CheckFinding[] = [];
  const text = `${title}\n${body}`;

  for (const word of rules.bannedWords) {
    // Word boundaries for Latin words; plain containment for CJK, which has no spaces between words.
    const pattern = /^[\w-]+$/.test(word) ? new RegExp(`\\b${escapeRegExp(word)}\\b`, 'i') : new RegExp(escapeRegExp(word), 'i');
    const found = allMatches(text, pattern);
    if (found.length)
      findings.push({ rule: 'banned_word', severity: 'block', message: `contains the banned word "${word}"`, matches: found });
  }
  for (const finding of [
    lengthFinding('title', title, 'at most', rules.titleMax),
    lengthFinding('body', body, 'at least', rules.bodyMin),
    lengthFinding('body', body, 'at most', rules.bodyMax),
  ]) {
    if (finding) findings.push(finding);
  }
  for (const link of new Set(text.match(LINK) ?? [])) {
    const absolute = /^https?:\/\//i.test(link) ? link : `http://${link}`;
    const host = URL.canParse(absolute) ? new URL(absolute).hostname : link;
    if (!hostAllowed(host, rules.allowedLinkDomains)) {
      findings.push({ rule: 'link', severity: 'flag', message: `links to ${host}, which is not on the allow-list`, matches: [link] });
    }
  }
  // Links are reported above; strip them so an address inside a URL is not also reported as personal data.
  const withoutLinks = text.replace(LINK, ' ');
  for (const { label, pattern } of PERSONAL_DATA) {
    const found = allMatches(withoutLinks, pattern);
    if (found.length) findings.push({ rule: 'personal_data', severity: 'flag', message: `appears to contain ${label}`, matches: found });
  }

  const outcome = findings.some((f) => f.severity === 'block') ? 'block' : findings.length ? 'flag' : 'pass';
  return { outcome, findings };
}
