import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastifyWebsocket from '@fastify/websocket';
import { silentLogger } from '@bosun/logger';
import Fastify from 'fastify';
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { TerminalRelay } from '../terminal-relay.js';
import { WorkerTokenStore } from '../token-store.js';
import { WorkerRegistry } from '../worker-registry.js';
import { terminalSocket } from './terminal-socket.js';
import { workerSocket } from './worker-socket.js';

const apps: { close(): unknown }[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function hub() {
  const tokens = new WorkerTokenStore(join(mkdtempSync(join(tmpdir(), 'bosun-hub-ws-')), 'workers.json'));
  const registry = new WorkerRegistry({ tokens, logger: silentLogger });
  const relay = new TerminalRelay(registry, silentLogger);
  const app = Fastify();
  apps.push(app);
  await app.register(fastifyWebsocket, { options: { handleProtocols: (p: Set<string>) => (p.has('bosun.v1') ? 'bosun.v1' : false) } });
  await app.register(workerSocket, { tokens, registry, logger: silentLogger });
  await app.register(terminalSocket, { adminToken: 'admin-secret', registry, relay, logger: silentLogger });
  await app.ready();
  return { app, tokens, registry, relay };
}

function collect(ws: WebSocket) {
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (d, isBinary) => void (isBinary ? undefined : frames.push(JSON.parse(d.toString()) as Record<string, unknown>)));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  return { frames, closed };
}

async function until<T>(fn: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 2000; i++) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('condition never held');
}

const terminalHeaders = { 'sec-websocket-protocol': 'bosun.v1, bearer.admin-secret' };

/** Opens a terminal socket with listeners attached before the first frame can arrive. */
async function terminal(app: Awaited<ReturnType<typeof hub>>['app'], url: string) {
  let c: ReturnType<typeof collect> | undefined;
  const ws = await app.injectWS(url, { headers: terminalHeaders }, { onInit: (w) => void (c = collect(w)) });
  return { ws, ...c! };
}

describe('terminalSocket', () => {
  it('refuses the upgrade with 401 when the subprotocol token is wrong', async () => {
    const { app } = await hub();
    await expect(app.injectWS('/ws/terminal?worker=w&tenant=t&terminal=t1', { headers: { 'sec-websocket-protocol': 'bosun.v1, bearer.wrong' } })).rejects.toThrow(/401/);
  });

  it('sends a typed error and closes 1008 when the query is malformed', async () => {
    const { app } = await hub();
    const { frames, closed } = await terminal(app, '/ws/terminal?worker=w&tenant=t&terminal=t1&offset=-4');
    expect(await closed).toEqual({ code: 1008, reason: 'bad request' });
    expect(frames[0]).toMatchObject({ v: 1, type: 'error', code: 'invalid_field' });
  });

  it.each([
    ['nothing to open', 'worker=w&tenant=t'],
    ['a container and host=1', 'worker=w&tenant=t&container=c1&host=1'],
    ['a terminal and a container', 'worker=w&tenant=t&terminal=t1&container=c1'],
    ['host=yes', 'worker=w&tenant=t&host=yes'],
  ])('closes 1008 with invalid_field and asks no worker when the query names %s', async (_name, q) => {
    const { app, registry } = await hub();
    let asked = 0;
    registry.request = (() => {
      asked++;
      throw new Error('must not be called');
    }) as typeof registry.request;
    const { frames, closed } = await terminal(app, `/ws/terminal?${q}`);
    expect(await closed).toEqual({ code: 1008, reason: 'bad request' });
    expect(frames[0]).toMatchObject({ v: 1, type: 'error', code: 'invalid_field' });
    expect(asked).toBe(0);
  });

  it('refuses input with conflict and forwards nothing when the viewer is not attached', async () => {
    const { app } = await hub();
    const { ws, frames } = await terminal(app, '/ws/terminal?worker=w&tenant=t&terminal=t1&offset=0');
    await until(() => frames.find((f) => f['type'] === 'waiting'));
    ws.send(Buffer.from('ls\r'));
    ws.send(JSON.stringify({ v: 1, type: 'resize', cols: 80, rows: 24 }));
    ws.send(JSON.stringify({ type: 'resize', cols: 80, rows: 24 }));
    await until(() => frames.filter((f) => f['type'] === 'error').length >= 3);
    expect(frames.filter((f) => f['type'] === 'error').map((f) => f['code'])).toEqual(['conflict', 'conflict', 'invalid_field']);
    ws.terminate();
  });
});

describe('workerSocket', () => {
  it('refuses the upgrade with 401 when the worker token is wrong or revoked', async () => {
    const { app, tokens } = await hub();
    const { workerId, token } = await tokens.issue('w');
    await tokens.revoke(workerId);
    for (const authorization of ['Bearer bwt_nope', `Bearer ${token}`]) {
      await expect(app.injectWS('/ws/worker', { headers: { authorization, 'sec-websocket-protocol': 'bosun.v1' } })).rejects.toThrow(/401/);
    }
  });

  it('answers not_registered and keeps the socket when a heartbeat comes before register', async () => {
    const { app, tokens } = await hub();
    const { token } = await tokens.issue('w');
    const ws = await app.injectWS('/ws/worker', { headers: { authorization: `Bearer ${token}`, 'sec-websocket-protocol': 'bosun.v1' } });
    const { frames } = collect(ws);
    ws.send(JSON.stringify({ v: 1, type: 'worker.heartbeat', cpuUsage: 1, memoryFree: 1, containersRunning: 0 }));
    await until(() => frames.length >= 1);
    expect(frames[0]).toMatchObject({ type: 'error', code: 'not_registered' });
    expect(ws.readyState).toBe(ws.OPEN);
    ws.terminate();
  });
});
