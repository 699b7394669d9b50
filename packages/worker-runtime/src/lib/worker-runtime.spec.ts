import type { ContainerDriver } from '@bosun/container-driver';
import type { WorkerCommand, WorkerToOrchestratorMessage } from '@bosun/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Backoff } from './backoff.js';
import type { CommandHandler } from './command-handler.js';
import { silentLogger } from './logger.js';
import { WorkerRuntime } from './worker-runtime.js';

type Msg = Record<string, unknown> & { type: string; id?: string };

/** A real WebSocket orchestrator on loopback that records what the worker sends. */
async function orchestrator() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const received: Msg[] = [];
  const auth: (string | undefined)[] = [];
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws, req) => {
    auth.push(req.headers.authorization);
    sockets.push(ws);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Msg;
      received.push(m);
      if (m.type === 'worker.register') ws.send(JSON.stringify({ v: 1, type: 'worker.registered', id: m.id, workerId: 'w-1', heartbeatIntervalMs: 1000 }));
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/ws/worker`;
  return { wss, url, received, auth, sockets };
}

async function until<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const driver = { listAll: async () => [] } as unknown as ContainerDriver;
const payloads = {
  register: async () => ({ name: 'w', hostname: 'h', platform: 'linux', cpuCount: 2, memoryTotal: 1, containerEngines: [], agentVersion: '0.1.0', mode: 'byom' as const }),
  heartbeat: async () => ({ cpuUsage: 1, memoryFree: 1, containersRunning: 0 }),
};
/** A handler whose commands finish only when the test says so. */
function heldHandler() {
  const held: ((r: WorkerToOrchestratorMessage) => void)[] = [];
  const handler = {
    handle: (cmd: WorkerCommand) =>
      new Promise<WorkerToOrchestratorMessage>((resolve) => held.push(() => resolve({ v: 1, type: 'images.list.result', id: cmd.id, images: [] }))),
  } as unknown as CommandHandler;
  return { handler, held };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('WorkerRuntime', () => {
  it('sends the token at the upgrade, registers, then heartbeats at the interval the orchestrator gives', async () => {
    const o = await orchestrator();
    const rt = new WorkerRuntime({ url: o.url, token: 'secret-token', driver, handler: heldHandler().handler, payloads, logger: silentLogger });
    cleanup.push(() => rt.close(), () => o.wss.close());
    rt.start();
    await until(() => (o.received.filter((m) => m.type === 'worker.heartbeat').length >= 2 ? true : undefined), 4000);
    expect(o.auth[0]).toBe('Bearer secret-token');
    expect(o.received[0]).toMatchObject({ v: 1, type: 'worker.register', name: 'w', containers: [] });
    expect(rt.id).toBe('w-1');
  });

  it('answers a malformed or unknown message with a typed error and stays connected', async () => {
    const o = await orchestrator();
    const rt = new WorkerRuntime({ url: o.url, token: 't', driver, handler: heldHandler().handler, payloads, logger: silentLogger });
    cleanup.push(() => rt.close(), () => o.wss.close());
    rt.start();
    await until(() => (rt.id ? true : undefined));
    o.sockets[0].send('{oops');
    o.sockets[0].send(JSON.stringify({ v: 1, type: 'container.explode', id: 'c1' }));
    o.sockets[0].send(JSON.stringify({ v: 2, type: 'images.list', id: 'c2' }));
    const errors = await until(() => {
      const e = o.received.filter((m) => m.type === 'error');
      return e.length >= 3 ? e : undefined;
    });
    expect(errors.map((e) => [e.code, e.id])).toEqual([
      ['invalid_json', undefined],
      ['unknown_type', 'c1'],
      ['unsupported_version', 'c2'],
    ]);
    expect(o.sockets).toHaveLength(1);
  });

  it('answers busy past its concurrency limit instead of queueing unseen, and runs commands again once some finish', async () => {
    const o = await orchestrator();
    const { handler, held } = heldHandler();
    const rt = new WorkerRuntime({ url: o.url, token: 't', driver, handler, payloads, logger: silentLogger, maxConcurrentCommands: 2 });
    cleanup.push(() => rt.close(), () => o.wss.close());
    rt.start();
    await until(() => (rt.id ? true : undefined));
    for (const id of ['a', 'b', 'c']) o.sockets[0].send(JSON.stringify({ v: 1, type: 'images.list', id }));
    const busy = await until(() => o.received.find((m) => m.type === 'error' && m.id === 'c'));
    expect(busy.code).toBe('busy');
    await until(() => (held.length === 2 ? true : undefined));
    held[0]({} as WorkerToOrchestratorMessage);
    await until(() => o.received.find((m) => m.type === 'images.list.result' && m.id === 'a'));
    o.sockets[0].send(JSON.stringify({ v: 1, type: 'images.list', id: 'd' }));
    await until(() => (held.length === 3 ? true : undefined));
  });

  it('reconnects after the orchestrator drops it and registers again', async () => {
    const o = await orchestrator();
    const rt = new WorkerRuntime({
      url: o.url,
      token: 't',
      driver,
      handler: heldHandler().handler,
      payloads,
      logger: silentLogger,
      backoff: new Backoff({ initialMs: 50, random: () => 0.5 }),
    });
    cleanup.push(() => rt.close(), () => o.wss.close());
    const drops: number[] = [];
    rt.on('disconnected', (e) => drops.push(e.retryInMs));
    rt.start();
    await until(() => (rt.id ? true : undefined));
    o.sockets[0].terminate();
    await until(() => (o.received.filter((m) => m.type === 'worker.register').length === 2 ? true : undefined));
    expect(drops).toEqual([50]);
  });

  it('logs a flood of malformed messages once plus a count, and answers each one', async () => {
    const o = await orchestrator();
    const warns: unknown[] = [];
    const logger = { ...silentLogger, warn: (obj: object | string) => void warns.push(obj) };
    const rt = new WorkerRuntime({ url: o.url, token: 't', driver, handler: heldHandler().handler, payloads, logger });
    cleanup.push(() => rt.close(), () => o.wss.close());
    rt.start();
    await until(() => (rt.id ? true : undefined));
    for (let i = 0; i < 500; i++) o.sockets[0].send('{oops');
    await until(() => (o.received.filter((m) => m.type === 'error').length === 500 ? true : undefined));
    expect(warns.filter((w) => (w as { code?: string }).code === 'invalid_json')).toHaveLength(1);
    expect(o.sockets).toHaveLength(1);
  });

  it('answers too_deep for a deeply nested command and stays connected', async () => {
    const o = await orchestrator();
    const rt = new WorkerRuntime({ url: o.url, token: 't', driver, handler: heldHandler().handler, payloads, logger: silentLogger });
    cleanup.push(() => rt.close(), () => o.wss.close());
    rt.start();
    await until(() => (rt.id ? true : undefined));
    o.sockets[0].send(`{"v":1,"type":"images.list","id":"deep","x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    const err = await until(() => o.received.find((m) => m.type === 'error' && m.id === 'deep'));
    expect(err.code).toBe('too_deep');
    expect(o.sockets).toHaveLength(1);
  });

  it('registers without containers when the engine does not answer the listing in time', async () => {
    const o = await orchestrator();
    const frozen = { listAll: () => new Promise<never>(() => undefined) } as unknown as ContainerDriver;
    const rt = new WorkerRuntime({ url: o.url, token: 't', driver: frozen, handler: heldHandler().handler, payloads, logger: silentLogger, registerListTimeoutMs: 20 });
    cleanup.push(() => rt.close(), () => o.wss.close());
    rt.start();
    await until(() => (rt.id ? true : undefined));
    expect(o.received[0]).toMatchObject({ type: 'worker.register', containers: [] });
  });
});
