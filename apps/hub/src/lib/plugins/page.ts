/**
 * The browser page: `/health` (no ids) and the page built by Vite from `apps/hub/web`
 * (TypeScript on @bosun/terminal-client and xterm.js) into `apps/hub/web/dist`. The root
 * `build:page` script builds it, and `npm ci`/`npm install` (`prepare`) and `npm start`
 * (`prestart`) run that script, so a fresh clone needs no extra step. When the build is
 * missing, `/` says how to make it (503) instead of a bare 404.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Options of {@link page}. */
export interface PageOptions {
  /** Folder of the built page (default `apps/hub/web/dist`). */
  pageDir?: string;
}

/** Where the page is built to by default. */
export const DEFAULT_PAGE_DIR = join(import.meta.dirname, '../../../web/dist');

/**
 * Headers of every page response: the page loads only its own scripts and talks only to
 * this hub (fetch and the viewer WebSocket); xterm.js sets inline styles; no framing, no
 * referrer.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
});

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Bosun hub</title>
<p>The page is not built. Run <code>npm run build:page</code> at the repository root (npm ci and npm start run it too).</p>`;

/** The page, its assets and `/health`. */
export const page: FastifyPluginAsync<PageOptions> = async (app, o) => {
  const dir = o.pageDir ?? DEFAULT_PAGE_DIR;
  app.get('/health', async () => ({ status: 'ok' }));
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', async (_req, reply) => reply.code(503).headers(PAGE_HEADERS).type('text/html').send(NOT_BUILT));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
    cacheControl: false,
    setHeaders: (res, path) => {
      for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
      // File names under assets/ carry a content hash; index.html must be asked for again.
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
};
