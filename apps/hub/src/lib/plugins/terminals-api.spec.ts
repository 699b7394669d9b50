import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@bosun/logger';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeWorker } from '../fake-worker.test-util.js';
import { createHubServer, type Hub } from '../hub-server.js';
import { TerminalsListSchema, type TerminalEntry } from './terminals-api.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function startHub() {
  const hub = await createHubServer({ dataDir: mkdtempSync(join(tmpdir(), 'bosun-hub-terminals-')), logger: silentLogger });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  open.push({ close: () => hub.app.close() });
  return { hub, port: (hub.app.server.address() as { port: number }).port };
}

async function list(hub: Hub): Promise<TerminalEntry[]> {
  const res = await hub.app.inject({ method: 'GET', url: '/api/terminals', headers: { authorization: `Bearer ${hub.adminToken}` } });
  expect(res.statusCode).toBe(200);
  return TerminalsListSchema.parse(res.json()).terminals;
}

function viewer(port: number, hub: Hub, q: Record<string, string>) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/terminal?${new URLSearchParams(q)}`, ['bosun.v1', `bearer.${hub.adminToken}`]);
  open.push({ close: () => ws.terminate() });
  const control: Record<string, unknown>[] = [];
  ws.on('message', (d, isBinary) => void (isBinary ? undefined : control.push(JSON.parse(d.toString()) as Record<string, unknown>)));
  return { ws, control };
}

describe('terminalsApi', () => {
  it('answers 401 with the error body when the admin token is missing or wrong', async () => {
    const { hub } = await startHub();
    for (const headers of [{}, { authorization: 'Bearer nope' }]) {
      const res = await hub.app.inject({ method: 'GET', url: '/api/terminals', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('lists a terminal a viewer opened with its tenant and offset, still alive after the viewer left', async () => {
    const { hub, port } = await startHub();
    const { workerId, token } = await hub.tokens.issue('fake');
    const w = await startFakeWorker({ url: `ws://127.0.0.1:${port}/ws/worker`, token, inFlightBytes: 0, lateInFlightBytes: 0 });
    open.push({ close: () => w.ws.terminate() });
    w.addTerminal('t1', 'acme');
    w.produce('t1', 300);
    const v = viewer(port, hub, { worker: workerId, tenant: 'acme', terminal: 't1', offset: '0' });
    await until('attached', () => v.control.find((f) => f['type'] === 'attached'));
    w.produce('t1', 200);
    await until('offset 500', async () => (await list(hub))[0]?.offset === 500);
    expect(await list(hub)).toEqual([
      { workerId, workerOnline: true, tenant: 'acme', terminalId: 't1', offset: 500, state: 'alive', viewers: 1, source: 'viewer' },
    ]);
    v.ws.close();
    await until('viewer gone', async () => (await list(hub))[0]?.viewers === 0);
    expect((await list(hub))[0]).toMatchObject({ terminalId: 't1', state: 'alive', offset: 500 });
  });

  it('marks a terminal ended with its exit code when the worker reports terminal.exit', async () => {
    const { hub, port } = await startHub();
    const { workerId, token } = await hub.tokens.issue('fake');
    const w = await startFakeWorker({ url: `ws://127.0.0.1:${port}/ws/worker`, token, inFlightBytes: 0, lateInFlightBytes: 0 });
    open.push({ close: () => w.ws.terminate() });
    w.addTerminal('t1', 'acme');
    const v = viewer(port, hub, { worker: workerId, tenant: 'acme', terminal: 't1', offset: '0' });
    await until('attached', () => v.control.find((f) => f['type'] === 'attached'));
    w.sendRaw(JSON.stringify({ v: 1, type: 'terminal.exit', terminalId: 't1', exitCode: null, signal: 'SIGKILL' }));
    await until('exit frame', () => v.control.find((f) => f['type'] === 'exit'));
    await until('ended', async () => (await list(hub))[0]?.state === 'ended');
    expect((await list(hub))[0]).toMatchObject({ terminalId: 't1', tenant: 'acme', state: 'ended', exitCode: null, signal: 'SIGKILL' });
  });

  it("marks only the asker's entry ended when another tenant's viewer asks for a terminal it does not own", async () => {
    const { hub, port } = await startHub();
    const { workerId, token } = await hub.tokens.issue('fake');
    const w = await startFakeWorker({ url: `ws://127.0.0.1:${port}/ws/worker`, token, inFlightBytes: 0, lateInFlightBytes: 0 });
    open.push({ close: () => w.ws.terminate() });
    w.addTerminal('t1', 'acme');
    const owner = viewer(port, hub, { worker: workerId, tenant: 'acme', terminal: 't1', offset: '0' });
    await until('attached', () => owner.control.find((f) => f['type'] === 'attached'));
    const intruder = viewer(port, hub, { worker: workerId, tenant: 'evil', terminal: 't1', offset: '0' });
    await until('refused', () => intruder.control.find((f) => f['type'] === 'error'));
    const all = await list(hub);
    expect(all.find((t) => t.tenant === 'acme')).toMatchObject({ state: 'alive' });
    expect(all.find((t) => t.tenant === 'evil')).toMatchObject({ state: 'ended' });
  });

  it('lists terminals a worker reported at registration with their container when no viewer opened them', async () => {
    const { hub, port } = await startHub();
    const { workerId, token } = await hub.tokens.issue('tmux-host');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/worker`, ['bosun.v1'], { headers: { authorization: `Bearer ${token}` } });
    open.push({ close: () => ws.terminate() });
    await new Promise((r) => ws.once('open', r));
    const registered = new Promise((r) => ws.once('message', r));
    ws.send(
      JSON.stringify({
        v: 1,
        type: 'worker.register',
        id: 'reg-1',
        name: 'tmux-host',
        hostname: 'h',
        platform: 'linux',
        cpuCount: 1,
        memoryTotal: 1024,
        containerEngines: [],
        agentVersion: '0.0.0',
        mode: 'byom',
        terminals: [{ terminalId: 't-kept', offset: 1234, containerId: 'c0ffee' }],
      }),
    );
    await registered;
    expect(await list(hub)).toEqual([
      { workerId, workerOnline: true, containerId: 'c0ffee', terminalId: 't-kept', offset: 1234, state: 'alive', viewers: 0, source: 'register' },
    ]);
    ws.close();
    await until('offline', async () => (await list(hub))[0]?.workerOnline === false);
  });

  it('forgets the terminals of a revoked worker', async () => {
    const { hub, port } = await startHub();
    const { workerId, token } = await hub.tokens.issue('fake');
    const w = await startFakeWorker({ url: `ws://127.0.0.1:${port}/ws/worker`, token, inFlightBytes: 0, lateInFlightBytes: 0 });
    open.push({ close: () => w.ws.terminate() });
    w.addTerminal('t1', 'acme');
    const v = viewer(port, hub, { worker: workerId, tenant: 'acme', terminal: 't1', offset: '0' });
    await until('attached', () => v.control.find((f) => f['type'] === 'attached'));
    const res = await hub.app.inject({ method: 'DELETE', url: `/api/workers/${workerId}`, headers: { authorization: `Bearer ${hub.adminToken}` } });
    expect(res.statusCode).toBe(204);
    expect(await list(hub)).toEqual([]);
  });
});
