// Prints the gzipped size of the JavaScript index.html loads up front (entry and modulepreloads); fails above the budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;
const dir = path.join(import.meta.dirname, 'dist');
const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
const files = [...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="([^"]+\.js)"/g)].map((m) => m[1]!);
const kb = (n: number) => (n / 1024).toFixed(1);
let total = 0;
for (const file of files) {
  const gz = gzipSync(readFileSync(path.join(dir, file)), { level: 9 }).length;
  total += gz;
  console.log(`  ${file}  ${kb(gz)} KB gzipped`);
}
console.log(`console: initial JavaScript ${kb(total)} KB gzipped (budget ${BUDGET_KB} KB)`);
if (total > BUDGET_KB * 1024) {
  console.error(`console: over the ${BUDGET_KB} KB budget: load the new code lazily (import()) or drop a dependency`);
  process.exit(1);
}
