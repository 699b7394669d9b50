import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@bosun/logger';
import { manualClock, type ManualClock } from '@bosun/util';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubServer, type Hub } from '../hub-server.js';
import { MAX_CALLBACK_WORKSPACES } from './nodes-api.js';

const open: Hub[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.app.close();
});

function memoryLogger(): Logger & { text: () => string } {
  const lines: string[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ''}`);
  return { text: () => lines.join('\n'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function startHub(o: { clock?: ManualClock; rotateAfterMs?: number; dataDir?: string } = {}) {
  const logger = memoryLogger();
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'bosun-hub-nodes-'));
  const hub = await createHubServer({
    dataDir,
    logger,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.rotateAfterMs ? { nodeTokenRotateAfterMs: o.rotateAfterMs } : {}),
  });
  open.push(hub);
  const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, token = hub.adminToken) =>
    hub.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const register = async (nodeId: string, name?: string): Promise<string> => {
    const res = await admin('POST', '/api/nodes', { nodeId, ...(name ? { name } : {}) });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { nodeId: string; callbackToken: string };
    expect(body.nodeId).toBe(nodeId);
    return body.callbackToken;
  };
  const callback = (token: string, body: unknown) =>
    hub.app.inject({ method: 'POST', url: '/api/nodes/callback', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const list = async () => (await admin('GET', '/api/nodes')).json() as { nodes: Record<string, unknown>[] };
  return { hub, logger, dataDir, admin, register, callback, list };
}

const beat = (nodeId: string, extra: Record<string, unknown> = {}) => ({
  nodeId,
  version: '0.1.0',
  workspaces: [
    { workspaceId: 'ws-a', terminals: 2 },
    { workspaceId: 'ws-b', terminals: 1 },
  ],
  metrics: { cpuCount: 2, loadAvg1: 0.5, memoryTotal: 8e9, memoryFree: 4e9, uptimeSec: 1234 },
  intervalMs: 30_000,
  ...extra,
});

describe('nodesApi', () => {
  it('accepts a callback with the token registration returned and lists the node with its workspaces when registered', async () => {
    const { register, callback, list, dataDir, logger } = await startHub();
    const token = await register('node-1', 'rack 4');
    expect(token).toMatch(/^bnc_/);
    const res = await callback(token, beat('node-1'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    const [node] = (await list()).nodes;
    expect(node).toMatchObject({
      nodeId: 'node-1',
      name: 'rack 4',
      online: true,
      version: '0.1.0',
      intervalMs: 30_000,
      workspaces: [
        { workspaceId: 'ws-a', terminals: 2 },
        { workspaceId: 'ws-b', terminals: 1 },
      ],
      metrics: { cpuCount: 2 },
    });
    expect(node?.['lastSeenAt']).toEqual(expect.any(String));
    // Only the hash is on disk, in a 0600 file; the token is in no log line.
    const file = join(dataDir, 'nodes.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = token.slice('bnc_'.length + 17);
    expect(secret).toHaveLength(43);
    expect(readFileSync(file, 'utf8')).not.toContain(secret);
    expect(logger.text()).not.toContain(secret);
  });

  it('answers 401 to the old token when the node is registered again (rotation)', async () => {
    const { register, callback, list } = await startHub();
    const old = await register('node-1', 'first');
    const fresh = await register('node-1');
    expect(fresh).not.toBe(old);
    expect((await callback(old, beat('node-1'))).statusCode).toBe(401);
    expect((await callback(fresh, beat('node-1'))).statusCode).toBe(200);
    // The name given first is kept, and the node is listed once.
    expect((await list()).nodes).toEqual([expect.objectContaining({ nodeId: 'node-1', name: 'first' })]);
  });

  it('answers 401 and unlists the node when it is revoked, and 404 for an unknown node', async () => {
    const { register, callback, list, admin } = await startHub();
    const token = await register('node-1');
    expect((await admin('DELETE', '/api/nodes/node-1')).statusCode).toBe(204);
    expect((await callback(token, beat('node-1'))).statusCode).toBe(401);
    expect((await list()).nodes).toEqual([]);
    expect((await admin('DELETE', '/api/nodes/node-1')).statusCode).toBe(404);
  });

  it('answers 403 when the callback names another node than its token', async () => {
    const { register, callback, list } = await startHub();
    const mine = await register('node-1');
    await register('node-2');
    const res = await callback(mine, beat('node-2'));
    expect(res.statusCode).toBe(403);
    expect((res.json() as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await list()).nodes.every((n) => n['online'] === false)).toBe(true);
  });

  it('answers 401 without reading the body when the token is missing, malformed or forged', async () => {
    const { register, callback, hub, logger } = await startHub();
    const token = await register('node-1');
    const forged = `${token.slice(0, -4)}AAAA`;
    for (const t of ['', 'nonsense', forged, hub.adminToken]) expect((await callback(t, { not: 'a heartbeat' })).statusCode).toBe(401);
    const none = await hub.app.inject({ method: 'POST', url: '/api/nodes/callback', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(beat('node-1')) });
    expect(none.statusCode).toBe(401);
    expect(logger.text()).toContain('refused node callback');
    expect(logger.text()).not.toContain(forged);
  });

  it('answers 400 with the field path when the callback body is malformed', async () => {
    const { register, callback } = await startHub();
    const token = await register('node-1');
    const cases: [unknown, (string | number)[]][] = [
      [beat('node-1', { version: 7 }), ['version']],
      [beat('node-1', { intervalMs: 5 }), ['intervalMs']],
      [beat('node-1', { metrics: { cpuCount: 2, loadAvg1: -1, memoryTotal: 1, memoryFree: 1, uptimeSec: 1 } }), ['metrics', 'loadAvg1']],
      [beat('node-1', { workspaces: [{ workspaceId: '../etc', terminals: 1 }] }), ['workspaces', 0, 'workspaceId']],
      [beat('node-1', { workspaces: [{ workspaceId: 'ok', terminals: 1.5 }] }), ['workspaces', 0, 'terminals']],
      [{ ...beat('node-1'), nodeId: undefined }, ['nodeId']],
    ];
    for (const [body, path] of cases) {
      const res = await callback(token, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'invalid_field', path } });
    }
  });

  it('refuses more workspaces than the bound and a body over the callback size limit', async () => {
    const { register, callback } = await startHub();
    const token = await register('node-1');
    const many = Array.from({ length: MAX_CALLBACK_WORKSPACES + 1 }, (_, i) => ({ workspaceId: `w${i}`, terminals: 1 }));
    const res = await callback(token, beat('node-1', { workspaces: many }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_field', path: ['workspaces'] } });
    const huge = await callback(token, beat('node-1', { version: 'x'.repeat(400 * 1024) }));
    expect(huge.statusCode).toBe(413);
  });

  it('requires the admin token and a valid node id to register, list and revoke', async () => {
    const { admin } = await startHub();
    expect((await admin('POST', '/api/nodes', { nodeId: 'node-1' }, 'wrong')).statusCode).toBe(401);
    expect((await admin('GET', '/api/nodes', undefined, 'wrong')).statusCode).toBe(401);
    expect((await admin('DELETE', '/api/nodes/node-1', undefined, 'wrong')).statusCode).toBe(401);
    const bad = await admin('POST', '/api/nodes', { nodeId: 'a b/c' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_field', path: ['nodeId'] } });
    expect((await admin('POST', '/api/nodes', { nodeId: 'n', extra: 1 })).statusCode).toBe(400);
  });

  it('reports a node offline when three of its intervals pass without a callback (injected clock)', async () => {
    const clock = manualClock(Date.parse('2030-01-01T00:00:00Z'));
    const { register, callback, list } = await startHub({ clock });
    const token = await register('node-1');
    expect((await list()).nodes[0]?.['online']).toBe(false);
    await callback(token, beat('node-1', { intervalMs: 10_000 }));
    clock.advance(30_000);
    expect((await list()).nodes[0]?.['online']).toBe(true);
    clock.advance(1);
    expect((await list()).nodes[0]).toMatchObject({ online: false, lastSeenAt: '2030-01-01T00:00:00.000Z', workspaces: [{ workspaceId: 'ws-a' }, { workspaceId: 'ws-b' }] });
    await callback(token, beat('node-1', { intervalMs: 10_000 }));
    expect((await list()).nodes[0]?.['online']).toBe(true);
  });

  it('hands out a refreshed token once the one in use is older than the rotation age, and ends the old one when the new one is used', async () => {
    const clock = manualClock(Date.parse('2030-01-01T00:00:00Z'));
    const { register, callback } = await startHub({ clock, rotateAfterMs: 60_000 });
    const first = await register('node-1');
    expect((await callback(first, beat('node-1'))).json()).toEqual({ ok: true });
    clock.advance(60_000);
    const lost = (await callback(first, beat('node-1'))).json() as { callbackToken?: string };
    expect(lost.callbackToken).toMatch(/^bnc_/);
    // The reply was lost: the node calls again with the old token, which still works and gets another refresh.
    const again = (await callback(first, beat('node-1'))).json() as { callbackToken?: string };
    expect(again.callbackToken).toMatch(/^bnc_/);
    expect(again.callbackToken).not.toBe(lost.callbackToken);
    expect((await callback(lost.callbackToken ?? '', beat('node-1'))).statusCode).toBe(401);
    // The node takes it up: from then on only the new token works.
    expect((await callback(again.callbackToken ?? '', beat('node-1'))).json()).toEqual({ ok: true });
    expect((await callback(first, beat('node-1'))).statusCode).toBe(401);
  });

  it('keeps registered nodes and their tokens across a hub restart', async () => {
    const first = await startHub();
    const token = await first.register('node-1');
    await first.hub.app.close();
    open.splice(open.indexOf(first.hub), 1);
    const second = await startHub({ dataDir: first.dataDir });
    expect((await second.callback(token, beat('node-1'))).statusCode).toBe(200);
  });

  it('documents the node routes in the API reference with their fields', async () => {
    const { hub } = await startHub();
    const doc = (await hub.app.inject({ method: 'GET', url: '/api/docs/openapi.json' })).json() as { paths: Record<string, Record<string, { security?: unknown }>> };
    expect(Object.keys(doc.paths['/api/nodes'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/nodes/{nodeId}']?.['delete']).toBeDefined();
    expect(doc.paths['/api/nodes/callback']?.['post']?.security).toBeUndefined();
    expect(JSON.stringify(doc)).toContain('terminals alive in it');
  });
});
