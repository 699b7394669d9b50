import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@bosun/util';
import { describe, expect, it, vi } from 'vitest';
import { createServer as createHttpServer } from 'node:http';
import { findEngineSocket, findEngineSockets, parseDockerHost, pingEngine } from './socket.js';
import { expectCode } from '../conformance/conformance.test-util.js';

const existsOnly = (...paths: string[]) => (p: string) => paths.includes(p);

describe('findEngineSocket', () => {
  it('prefers an explicit dockerHost over DOCKER_HOST and the well-known sockets', () => {
    const ep = findEngineSocket({ dockerHost: 'unix:///a.sock', env: { DOCKER_HOST: 'unix:///b.sock' }, exists: () => true });
    expect(ep).toEqual({ socketPath: '/a.sock', source: 'dockerHost' });
  });

  it('takes DOCKER_HOST even when its socket is missing (the caller asked for it)', () => {
    expect(findEngineSocket({ env: { DOCKER_HOST: 'unix:///gone.sock' }, exists: () => false })).toEqual({
      socketPath: '/gone.sock',
      source: 'DOCKER_HOST',
    });
  });

  it('falls back to docker, then rootless podman, then rootful podman, when they exist', () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    const all = existsOnly('/var/run/docker.sock', '/run/user/1000/podman/podman.sock', '/run/podman/podman.sock');
    expect(findEngineSockets({ env, exists: all }).map((e) => e.source)).toEqual(['docker', 'podman-rootless', 'podman-rootful']);
    expect(findEngineSocket({ env, exists: existsOnly('/run/user/1000/podman/podman.sock') })?.source).toBe('podman-rootless');
    expect(findEngineSocket({ env: {}, exists: existsOnly('/run/podman/podman.sock') })?.socketPath).toBe('/run/podman/podman.sock');
  });

  it('finds nothing when no socket exists and no host is given', () => {
    expect(findEngineSocket({ exists: () => false })).toBeUndefined();
  });

  it('parses unix, bare path and tcp hosts, and rejects others', () => {
    expect(parseDockerHost('/x.sock')).toEqual({ socketPath: '/x.sock', source: 'DOCKER_HOST' });
    expect(parseDockerHost('tcp://10.0.0.1:2376')).toEqual({ host: '10.0.0.1', port: 2376, source: 'DOCKER_HOST' });
    expect(parseDockerHost('tcp://engine')).toMatchObject({ host: 'engine', port: 2375 });
    expect(parseDockerHost('ssh://user@host')).toBeUndefined();
  });
});

describe('pingEngine', () => {
  it('rejects engine_unavailable when nothing listens', async () => {
    await expectCode(pingEngine({ socketPath: '/nonexistent/bosun.sock', source: 'test' }, 500), 'engine_unavailable');
  });

  it('rejects timeout at the deadline when the socket accepts but never answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bosun-sock-'));
    const path = join(dir, 'mute.sock');
    let requestBytes = 0;
    const server = createServer((conn) => conn.on('data', (b: Buffer) => (requestBytes += b.length)));
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const clock = manualClock();
      const ping = pingEngine({ socketPath: path, source: 'test' }, 200, clock);
      let settled = false;
      ping.then(
        () => (settled = true),
        () => (settled = true),
      );
      // The request reached the mute peer; only the deadline can end the ping now.
      await vi.waitFor(() => expect(requestBytes).toBeGreaterThan(0));
      clock.advance(199);
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      clock.advance(1);
      await expectCode(ping, 'timeout');
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes liveness from /_ping and waits longer for a /version that is slow to compute', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bosun-sock-'));
    const path = join(dir, 'podman.sock');
    const asked: string[] = [];
    let answerVersion: (() => void) | undefined;
    // Podman answers /_ping at once and spends about a second on /version.
    const server = createHttpServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url === '/_ping') res.end('OK');
      else answerVersion = () => res.end(JSON.stringify({ Version: '4.3.1', ApiVersion: '1.41', Components: [{ Name: 'Podman Engine' }] }));
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const clock = manualClock();
      const ping = pingEngine({ socketPath: path, source: 'test' }, 200, clock, 30_000);
      await vi.waitFor(() => expect(answerVersion).toBeDefined());
      clock.advance(5_000); // far past the ping deadline: /version has its own
      answerVersion?.();
      await expect(ping).resolves.toEqual({ name: 'podman', version: '4.3.1', apiVersion: '1.41' });
      expect(asked).toEqual(['/_ping', '/version']);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
