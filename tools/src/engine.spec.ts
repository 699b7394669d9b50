import Docker from 'dockerode';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { candidateSockets, ensureDebianPackages, ensureEngine, socketPathOf, TEST_IMAGE } from './engine.js';

const quiet = () => undefined;

describe('engine tools', () => {
  it('refuses to start a second service over a socket whose engine accepts but does not answer', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'bosun-engine-stuck-'));
    const socket = join(stateDir, 'podman.sock');
    const server = createServer((c) => c.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const err = await ensureEngine({ stateDir, env: {}, log: () => undefined, pingDeadlinesMs: [10, 20] }).catch((e: unknown) => e as Error);
      expect((err as Error).message).toMatch(/not starting a second one/);
      expect(existsSync(join(stateDir, 'podman.pid'))).toBe(false);
      expect(existsSync(socket)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('tries DOCKER_HOST first, then the well-known sockets, without duplicates', () => {
    const list = candidateSockets({ DOCKER_HOST: 'unix:///run/podman/podman.sock', XDG_RUNTIME_DIR: '/run/user/1000' }, '/tmp/x');
    expect(list).toEqual(['/run/podman/podman.sock', '/var/run/docker.sock', '/run/user/1000/docker.sock', '/run/user/1000/podman/podman.sock', '/tmp/x/podman.sock']);
  });

  it('installs nothing when the Debian packages are already there', async () => {
    const logged: string[] = [];
    expect(await ensureDebianPackages(['tmux', 'podman'], (l) => logged.push(l))).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('reads socket paths out of unix URLs and ignores tcp ones', () => {
    expect(socketPathOf('unix:///a/b.sock')).toBe('/a/b.sock');
    expect(socketPathOf('tcp://127.0.0.1:2375')).toBeUndefined();
  });

  it('is idempotent when started twice: the second run reuses the same socket', async () => {
    const first = await ensureEngine({ log: quiet });
    const second = await ensureEngine({ log: quiet, env: { ...process.env, DOCKER_HOST: first.dockerHost } });
    expect(second.dockerHost).toBe(first.dockerHost);
    expect(second.started).toBe(false);
    expect(second.engine.version).toBe(first.engine.version);
    // Two patient pings of /version and two `podman image exists` on a loaded engine: a safety net, not a bound.
  }, 90_000);

  it('runs echo in a container of the busybox test image through the Docker API', async () => {
    const info = await ensureEngine({ log: quiet });
    const docker = new Docker({ socketPath: socketPathOf(info.dockerHost)! });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const [result, container] = (await docker.run(TEST_IMAGE, ['echo', 'hello from bosun'], out, { Tty: true })) as [
      { StatusCode: number },
      Docker.Container,
    ];
    await container.remove({ force: true });
    expect(result.StatusCode).toBe(0);
    expect(Buffer.concat(chunks).toString()).toContain('hello from bosun');
  }, 90_000);
});
