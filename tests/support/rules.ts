import type { CheckRules } from '../../activities/content-checks.ts';

/** Check rules the tests run with: banned words in two scripts, one allowed link domain, small length limits. */
export const TEST_RULES: CheckRules = {
  bannedWords: ['scam', '赌博'],
  allowedLinkDomains: ['example.com'],
  titleMax: 120,
  bodyMin: 10,
  bodyMax: 5000,
};
