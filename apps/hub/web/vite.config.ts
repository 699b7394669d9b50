/**
 * Builds the hub's page (apps/hub/web) into apps/hub/web/dist, which the hub serves
 * (src/lib/plugins/page.ts). Workspace packages resolve to their TypeScript sources
 * through the `@bosun/source` condition, so the build needs no other build first.
 * Run by the root `build:page` script, itself run by `npm ci`/`npm install` (`prepare`)
 * and `npm start` (`prestart`).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  resolve: { conditions: ['@bosun/source', 'module', 'browser', 'development|production'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
    reportCompressedSize: false,
  },
});
