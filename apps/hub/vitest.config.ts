import { defineConfig } from 'vitest/config';
import { bosunVitest } from '../../vitest.preset.js';

const base = bosunVitest(import.meta.dirname);
// The preset hands Node `--conditions=import`, so a CommonJS `require('ws')` (inside
// @fastify/websocket) resolves ws's ESM wrapper, which has no `WebSocket.Server`.
// Node adds `import` to ESM imports by itself; drop it here.
const conditions = ['@bosun/source', 'node', 'module', 'default'];
export default defineConfig({
  ...base,
  resolve: { ...base.resolve, conditions },
  ssr: { ...base.ssr, resolve: { ...base.ssr?.resolve, conditions } },
});
