import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@bosun/util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { engineSocketCandidates, mergeContainerEngines, probeEngineSockets, queryEngineSocket } from './container-engines.js';
import { recordingLogger, settledFlag, trackingClock, turn } from './fakes.test-util.js';

const DOCKER_VERSION = { Version: '27.1.0', ApiVersion: '1.46', Components: [{ Name: 'Engine', Version: '27.1.0' }] };
const PODMAN_VERSION = { Version: '4.3.1', ApiVersion: '1.41', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] };

describe('engineSocketCandidates', () => {
  it('puts a unix DOCKER_HOST first and adds rootless sockets when XDG_RUNTIME_DIR is set', () => {
    expect(engineSocketCandidates({ DOCKER_HOST: 'unix:///tmp/bosun-podman.sock', XDG_RUNTIME_DIR: '/run/user/1000' })).toEqual([
      '/tmp/bosun-podman.sock',
      '/var/run/docker.sock',
      '/run/user/1000/docker.sock',
      '/run/user/1000/podman/podman.sock',
      '/run/podman/podman.sock',
    ]);
  });

  it('ignores DOCKER_HOST when it is not a unix socket', () => {
    expect(engineSocketCandidates({ DOCKER_HOST: 'tcp://10.0.0.1:2375' })).toEqual(['/var/run/docker.sock', '/run/podman/podman.sock']);
  });
});

describe('queryEngineSocket', () => {
  let dir: string;
  const servers: Server[] = [];
  const listen = async (name: string, handler: Parameters<typeof createServer>[1]): Promise<string> => {
    const socket = join(dir, name);
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return socket;
  };
  let docker: string;
  let podman: string;
  let hung: string;
  let hungRequests = 0;
  let broken: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bosun-engine-'));
    const json = (body: unknown) => (req: { url?: string }, res: import('node:http').ServerResponse) => {
      if (req.url !== '/version') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    docker = await listen('docker.sock', json(DOCKER_VERSION));
    podman = await listen('podman.sock', json(PODMAN_VERSION));
    hung = await listen('hung.sock', () => void hungRequests++);
    broken = await listen('broken.sock', (_req, res) => res.writeHead(200).end('not json'));
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('names Docker with the daemon version when the socket answers /version', async () => {
    expect(await queryEngineSocket(docker, 1000)).toEqual({ name: 'docker', version: '27.1.0', socket: docker });
  });

  it('names Podman when its compat API lists a Podman Engine component', async () => {
    expect(await queryEngineSocket(podman, 1000)).toEqual({ name: 'podman', version: '4.3.1', socket: podman });
  });

  it('gives up at the deadline when the peer accepts and never answers', async () => {
    const clock = manualClock();
    const before = hungRequests;
    const query = queryEngineSocket(hung, 200, clock);
    const state = settledFlag(query);
    await vi.waitFor(() => expect(hungRequests).toBe(before + 1));
    clock.advance(199);
    await turn();
    expect(state.settled).toBe(false); // the peer holds the request: only the deadline ends it
    clock.advance(1);
    expect(await query).toBeUndefined();
  });

  it('returns undefined when the body is not JSON', async () => {
    expect(await queryEngineSocket(broken, 1000)).toBeUndefined();
  });

  it('probes only sockets that exist and answer when given a mixed list', async () => {
    const plainFile = join(dir, 'plain-file');
    await writeFile(plainFile, '');
    const logger = recordingLogger();
    const clock = trackingClock();
    const before = hungRequests;
    const probing = probeEngineSockets([join(dir, 'absent.sock'), plainFile, hung, podman, docker], 200, logger, clock);
    // Three sockets were queried; the two that answer have cleared their deadlines, the hung one has not.
    await vi.waitFor(() => {
      expect(clock.delays).toHaveLength(3);
      expect(clock.pending()).toBe(1);
      expect(hungRequests).toBe(before + 1);
    });
    clock.advance(200);
    const engines = await probing;
    expect(engines).toEqual([
      { name: 'podman', version: '4.3.1', socket: podman },
      { name: 'docker', version: '27.1.0', socket: docker },
    ]);
    expect(logger.lines.filter((l) => l.level === 'debug' && l.msg === 'engine socket did not answer /version')).toHaveLength(1);
  });
});

describe('mergeContainerEngines', () => {
  it('adds a CLI-only engine without a socket when its daemon did not answer', () => {
    const engines = mergeContainerEngines(
      [{ name: 'podman', version: '4.3.1', socket: '/tmp/p.sock' }],
      [
        { name: 'git', version: '2.39.5', path: '/usr/bin/git' },
        { name: 'docker', version: '28.2.2', path: '/usr/local/bin/docker' },
        { name: 'podman', version: '4.3.1', path: '/usr/bin/podman' },
      ],
    );
    expect(engines).toEqual([
      { name: 'podman', version: '4.3.1', socket: '/tmp/p.sock' },
      { name: 'docker', version: '28.2.2' },
    ]);
  });

  it('returns [] when there is neither socket nor CLI', () => {
    expect(mergeContainerEngines([], [])).toEqual([]);
  });
});
