// The console's build: console/src -> console/dist (served by the API process at /, /sign-in and /console/...).
// JSX goes through Vite's own Oxc transform; @vitejs/plugin-react (Fast Refresh) is left out because its optional
// Babel 8 peer conflicts with jest's Babel 7 in npm's resolver, and a production build does not need it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vite';

// `npm run dev:console` beside `npm start`: the API's paths (from the generated document) go to the running API.
const documentFile = path.join(import.meta.dirname, 'openapi.json');
const apiPaths = existsSync(documentFile) ? Object.keys((JSON.parse(readFileSync(documentFile, 'utf8')) as { paths: object }).paths) : [];
const prefixes = new Set(['/openapi.json', '/docs', ...apiPaths.map((p) => `/${p.split('/')[1]}`)]);
const api = process.env.OPSFLOW_API ?? 'http://localhost:3000';

export default defineConfig({
  root: import.meta.dirname,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: false,
    // TanStack Query marks its hooks "use client" for React Server Components; a client-only bundle has no use for it.
    rolldownOptions: {
      onwarn: (warning, warn) => {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: { proxy: Object.fromEntries([...prefixes].map((prefix) => [`^${prefix}(/|$)`, api])) },
});
