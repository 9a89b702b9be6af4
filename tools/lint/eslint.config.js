// The project's lint rules. It lives in this workspace so that typescript-eslint loads the TypeScript 6 installed
// here (it needs the compiler API that TypeScript 7 no longer ships); eslint.config.js at the root re-exports it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The import rules of one layer, for its files up to four folders deep (a relative import string says where it
 * lands only together with the importing file's depth).
 * @param {string} folder the layer's root folder
 * @param {{ folders?: string[], packages?: string[], denyFolders?: string[], denyPackages?: string[],
 *   typeOnlyFolders?: string[] }} rule the folders and packages it may import (all others are denied, so a folder
 *   added later is too), or the ones it may not
 */
function layer(folder, rule) {
  const any = (names) => names.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  return [1, 2, 3, 4].map((depth) => {
    const up = `^(\\.\\./){${depth}}`;
    const patterns = [];
    if (rule.folders) {
      patterns.push({
        regex: `${up}(?!(${any(rule.folders)})/)`,
        allowTypeImports: true,
        message: `${folder}/ imports only from ${rule.folders.join('/, ')}/ (and \`import type\` from anywhere).`,
      });
    }
    if (rule.packages) {
      patterns.push({
        regex: `^(?![./])(?!(${any(rule.packages)})$)`,
        allowTypeImports: true,
        message: `${folder}/ imports no package but ${rule.packages.join(', ')} (and \`import type\` from any).`,
      });
    }
    if (rule.denyFolders) {
      patterns.push({
        regex: `${up}(${any(rule.denyFolders)})/`,
        message: `${folder}/ never imports ${rule.denyFolders.join('/, ')}/.`,
      });
    }
    if (rule.typeOnlyFolders) {
      patterns.push({
        regex: `${up}(${any(rule.typeOnlyFolders)})/`,
        allowTypeImports: true,
        message: `${folder}/ imports only types from ${rule.typeOnlyFolders.join('/, ')}/.`,
      });
    }
    if (rule.denyPackages) {
      patterns.push({
        regex: `^(${any(rule.denyPackages)})(/|$)`,
        message: `${folder}/ never imports ${rule.denyPackages.join(', ')}.`,
      });
    }
    return {
      name: `opsflow/layers/${folder}/depth-${depth}`,
      files: [`${folder}/${'*/'.repeat(depth - 1)}*.ts`],
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
    };
  });
}

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'coverage/',
      '.data/',
      '.tools/',
      'console/src/api/schema.d.ts', // generated from the OpenAPI document
    ],
  },
  {
    name: 'opsflow/typescript',
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `import { type A } from 'a'` still loads 'a' under verbatimModuleSyntax (into the workflow bundle, say).
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  // Arrows point down only: api, activities, worker -> db -> domain; workflows -> domain (STYLE.md).
  ...layer('workflows', {
    folders: ['workflows', 'domain'],
    packages: ['@temporalio/workflow'],
  }),
  // Pure libraries domain/ already uses: durations (ms), calendars (luxon), message templates (liquidjs, juice,
  // html-to-text: string in, string out), and node:net's BlockList for webhook target rules (no sockets).
  ...layer('domain', {
    folders: ['domain'],
    packages: ['ms', 'luxon', 'liquidjs', 'html-to-text', 'juice', 'node:net'],
  }),
  ...layer('api', {
    denyFolders: ['activities', 'worker'],
    denyPackages: ['@temporalio/worker'],
  }),
  ...layer('db', {
    denyFolders: ['api', 'activities', 'worker'],
    typeOnlyFolders: ['workflows'],
  }),
);
