import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDriver } from './create-driver.js';
import { expectCode } from '../conformance/conformance.test-util.js';
import { sessionPath } from './process/paths.js';

const noEngine = process.env.BOSUN_NO_ENGINE === '1';
let root: string;
afterAll(async () => root && rm(root, { recursive: true, force: true }));

describe('createDriver', () => {
  it('falls back to the process driver when no engine answers, and says why', async () => {
    root = await mkdtemp(join(tmpdir(), 'bosun-cd-'));
    const r = await createDriver({ engine: { dockerHost: 'unix:///nonexistent/bosun.sock', pingTimeoutMs: 300 }, process: { root } });
    expect(r.kind).toBe('process');
    expect(r.reason).toMatch(/no engine/);
    expect((await r.driver.capabilities()).isolation).toBe('process');
  });

  it('waits for an engine whose socket exists but answers late instead of falling back, then refuses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bosun-cd-slow-'));
    const socketPath = join(dir, 'engine.sock');
    let pings = 0;
    // An engine that accepts and stays silent, like a loaded or stopped one.
    const server = createServer((socket) => {
      pings += 1;
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      const err = await createDriver({ engine: { dockerHost: `unix://${socketPath}`, pingTimeoutMs: 20 }, engineAttempts: 3, process: { root: dir } }).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toMatch(/timeout|engine_unavailable/);
      expect(pings).toBe(3);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws engine_unavailable when the engine is required and absent', async () => {
    await expectCode(createDriver({ prefer: 'engine', engine: { dockerHost: 'unix:///nonexistent/bosun.sock' } }), 'engine_unavailable');
  });

  it.skipIf(noEngine)(`picks the engine driver when the socket answers${noEngine ? ' (skipped: BOSUN_NO_ENGINE=1)' : ''}`, async () => {
    const r = await createDriver({ engine: { env: { ...process.env }, pingTimeoutMs: 10_000 }, process: { root: '/unused' } });
    expect(r.kind).toBe('engine');
    expect(r.reason).toMatch(/podman|docker/);
    await r.driver.close();
  });
});

describe('sessionPath', () => {
  it('maps container paths into the session and refuses escapes', () => {
    expect(sessionPath('/s/abc', '/work')).toBe('/s/abc/work');
    expect(sessionPath('/s/abc', 'output/x')).toBe('/s/abc/output/x');
    expect(sessionPath('/s/abc', '/')).toBe('/s/abc');
    expect(() => sessionPath('/s/abc', '../abd')).toThrow(/leaves/);
    expect(() => sessionPath('/s/abc', '/work/../../x')).toThrow(/leaves/);
    expect(() => sessionPath('/s/abc', 'a\0b')).toThrow(/NUL/);
  });
});
