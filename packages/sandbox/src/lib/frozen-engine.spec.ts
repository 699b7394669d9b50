import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineDriver } from '@bosun/container-driver';
import { toErrorBody } from '@bosun/protocol';
import { manualClock, type ManualClock } from '@bosun/util';
import { SandboxService } from './sandbox-service.js';

/**
 * A "frozen engine": a unix socket that accepts connections and reads requests but never
 * answers, as a SIGSTOPped engine looks to its clients once the kernel has queued the connect.
 */
describe('SandboxService', () => {
  let dir: string;
  let server: Server;
  let sockets: Socket[];
  let requests: string[];
  let arrived: (() => void)[];
  let clock: ManualClock;
  let svc: SandboxService;

  const requestArrives = (n: number) => new Promise<void>((resolve) => (requests.length >= n ? resolve() : arrived.push(() => requests.length >= n && resolve())));
  const settled = async <T>(p: Promise<T>) => {
    let state: 'pending' | 'resolved' | 'rejected' = 'pending';
    p.then(
      () => (state = 'resolved'),
      () => (state = 'rejected'),
    );
    // Let every queued reaction run before looking.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    return state;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bosun-frozen-'));
    sockets = [];
    requests = [];
    arrived = [];
    server = createServer((s) => {
      sockets.push(s);
      s.on('data', (d: Buffer) => {
        const line = d.toString('latin1').split('\r\n')[0];
        if (/^[A-Z]+ \//.test(line)) {
          requests.push(line);
          for (const f of arrived) f();
        }
      });
    });
    const socketPath = join(dir, 'engine.sock');
    await new Promise<void>((r) => server.listen(socketPath, r));
    clock = manualClock();
    const driver = new EngineDriver({ socketPath, source: 'test' }, { name: 'podman', version: 'frozen', apiVersion: '1.41' });
    svc = new SandboxService({ driver, clock, callTimeoutMs: 1000, execGraceMs: 500 });
  });

  afterEach(async () => {
    svc.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers list with timeout at its call deadline when the engine accepts but never answers', async () => {
    const p = svc.list('tenant1');
    await requestArrives(1);
    expect(requests[0]).toMatch(/^GET \/containers\/json/);
    clock.advance(999);
    expect(await settled(p)).toBe('pending');
    clock.advance(1);
    const err = await p.catch((e: unknown) => e);
    expect(toErrorBody(err)).toMatchObject({ code: 'timeout', details: { timeoutMs: 1000 } });
    expect((err as Error).message).toBe('container.list: the container engine did not answer within 1000 ms');
  });

  it('answers exec with timeout at its timeoutMs plus the grace when the engine never answers', async () => {
    const p = svc.exec({ tenant: 'tenant1', id: 'c1' }, { cmd: ['true'], timeoutMs: 5000 });
    await requestArrives(1);
    expect(requests[0]).toMatch(/^GET \/containers\/c1\/json/);
    clock.advance(5499);
    expect(await settled(p)).toBe('pending');
    clock.advance(1);
    const err = await p.catch((e: unknown) => e);
    expect(toErrorBody(err)).toMatchObject({ code: 'timeout', details: { timeoutMs: 5500 } });
    expect((err as Error).message).not.toMatch(/after 0 ms/);
  });

  it('answers start with timeout instead of hanging when the engine freezes', async () => {
    const p = svc.start({ tenant: 'tenant1', id: 'c1' });
    await requestArrives(1);
    clock.advance(1000);
    await expect(p).rejects.toMatchObject({ code: 'timeout' });
  });

  it('answers with engine_unavailable when nothing listens on the socket any more', async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    server = createServer();
    const err = await svc.list('tenant1').catch((e: unknown) => e);
    expect(toErrorBody(err).code).toBe('engine_unavailable');
  });
});
