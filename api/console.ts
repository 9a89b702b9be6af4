// The web console's built files (console/dist, made by `npm run build:console`, which `npm install` runs):
// index.html at /, /sign-in (the emailed link's page), /console/... (client-side pages) and /sign/... (the partner's
// signing page), hashed assets under /assets/. None of these paths is an API route; the fallback to index.html is
// limited to them.
import express, { Router } from 'express';
import path from 'node:path';

// OPSFLOW_CONSOLE_DIR serves another build (a developer's or a test's own vite build --outDir).
export const CONSOLE_DIR = process.env.OPSFLOW_CONSOLE_DIR ?? path.join(import.meta.dirname, '../console/dist');
const PAGES = ['/', '/sign-in', '/console', '/console/{*page}', '/sign/{*page}'];

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>opsflow</title></head><body>
<h1>The console is not built</h1>
<p>Run <code>npm run build:console</code> (<code>npm install</code> runs it), then reload. The API itself is running:
see <a href="/docs">/docs</a>.</p></body></html>`;

export function consoleFiles(dir = CONSOLE_DIR): Router {
  const router = Router();
  // File names carry their content hash, so browsers may keep them for good.
  router.use('/assets', express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '1y' }));
  router.get(PAGES, (_req, res, next) => {
    res.sendFile(path.join(dir, 'index.html'), { headers: { 'Cache-Control': 'no-cache' } }, (err?: NodeJS.ErrnoException) => {
      if (!err || res.headersSent) return;
      if (err.code === 'ENOENT') res.status(503).type('html').send(NOT_BUILT);
      else next(err);
    });
  });
  return router;
}
