import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from './page.js';

const apps: { close(): unknown }[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function app() {
  const a = Fastify();
  apps.push(a);
  await a.register(page);
  return a;
}

const publicDir = join(import.meta.dirname, '../../../public');

describe('page', () => {
  it('answers /health with no ids when asked without a token', async () => {
    const res = await (await app()).inject('/health');
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves the page and xterm.js, and 404 for a vendor name that is an Object property', async () => {
    const a = await app();
    expect((await a.inject('/')).body).toContain('<title>Bosun hub</title>');
    expect((await a.inject('/vendor/xterm.js')).statusCode).toBe(200);
    expect((await a.inject('/vendor/constructor')).statusCode).toBe(404);
    expect((await a.inject('/vendor/__proto__')).statusCode).toBe(404);
  });

  it("checks hub frames in the page with the protocol's own schemas when served", async () => {
    const a = await app();
    const dir = mkdtempSync(join(tmpdir(), 'bosun-page-'));
    writeFileSync(join(dir, 'viewer-protocol.js'), (await a.inject('/viewer-protocol.js')).body);
    const client = readFileSync(join(publicDir, 'viewer-client.js'), 'utf8');
    writeFileSync(join(dir, 'viewer-client.js'), client);
    const m = (await import(pathToFileURL(join(dir, 'viewer-client.js')).href)) as {
      parseHubFrame(text: string): { type: string };
      viewerFrame(type: string, fields: object): string;
    };
    expect(m.parseHubFrame(JSON.stringify({ v: 1, type: 'attached', terminalId: 't1', offset: 5 })).type).toBe('attached');
    expect(m.parseHubFrame(JSON.stringify({ v: 1, type: 'exit', exitCode: null }))).toMatchObject({ exitCode: null });
    expect(() => m.parseHubFrame(JSON.stringify({ v: 2, type: 'attached', terminalId: 't1', offset: 5 }))).toThrow(/version/);
    expect(() => m.parseHubFrame(JSON.stringify({ v: 1, type: 'attached', terminalId: 't1' }))).toThrow(/missing offset/);
    expect(() => m.parseHubFrame(JSON.stringify({ v: 1, type: 'attached', terminalId: 't1', offset: '5' }))).toThrow(/bad field offset/);
    expect(() => m.parseHubFrame(JSON.stringify({ v: 1, type: 'resize', cols: 1, rows: 1 }))).toThrow(/unknown frame/);
    expect(JSON.parse(m.viewerFrame('resize', { cols: 80, rows: 24 }))).toEqual({ v: 1, type: 'resize', cols: 80, rows: 24 });
    expect(() => m.viewerFrame('attached', {})).toThrow();
  });
});
