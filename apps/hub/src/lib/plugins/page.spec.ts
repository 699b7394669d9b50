import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { page, type PageOptions } from './page.js';

const apps: { close(): unknown }[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function app(o: PageOptions = {}) {
  const a = Fastify();
  apps.push(a);
  await a.register(page, o);
  return a;
}

/** A built page as Vite lays it out. */
function builtPage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-page-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Bosun hub</title><script type="module" src="/assets/index-abc.js"></script>');
  writeFileSync(join(dir, 'assets/index-abc.js'), 'export {};');
  writeFileSync(join(dir, '..', 'secret.txt'), 'outside');
  return dir;
}

describe('page', () => {
  it('answers /health with no ids when asked without a token', async () => {
    const res = await (await app({ pageDir: builtPage() })).inject('/health');
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves the built page with its security headers and caches only hashed assets', async () => {
    const a = await app({ pageDir: builtPage() });
    const index = await a.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>Bosun hub</title>');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await a.inject('/assets/index-abc.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers 404 when a path climbs out of the page folder', async () => {
    const a = await app({ pageDir: builtPage() });
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await a.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('outside');
    }
  });

  it('says how to build the page with 503 when the build is missing', async () => {
    const a = await app({ pageDir: join(mkdtempSync(join(tmpdir(), 'bosun-page-')), 'nothing') });
    const res = await a.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:page');
  });
});
