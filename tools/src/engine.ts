/**
 * Makes a real Docker-compatible container engine available for tests and development.
 *
 * Order: a `DOCKER_HOST` that answers, then the well-known sockets (Docker's, Podman's
 * rootful and rootless, and the one this script starts), and only then does it start
 * Podman's Docker API service itself, installing Podman from Debian first when it runs
 * as root and Podman is missing. Podman is configured with runc and lower default
 * ulimits, which is what works on these machines (see shared/DESIGN.md).
 *
 * Idempotent: a second run finds the socket that the first one started and reuses it.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { engineSocketCandidates } from '@bosun/util';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The local test image every engine test uses: Debian's static busybox, imported. */
export const TEST_IMAGE = 'localhost/bosun-test:busybox';

/** Options for {@link ensureEngine}. */
export interface EngineOptions {
  /** Where the socket, config, pid and log live (default `$BOSUN_ENGINE_DIR` or `<tmp>/bosun-engine`). */
  stateDir?: string;
  /** Environment to read `DOCKER_HOST` and `XDG_RUNTIME_DIR` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Progress lines go here (default stderr). */
  log?: (line: string) => void;
  /** How long to wait for the service to answer (default 30 s). */
  startTimeoutMs?: number;
  /** Deadlines of the pings of an engine that accepts connections but answers slowly (default 2, 5, 10, 20 s). */
  pingDeadlinesMs?: readonly number[];
}

/** What {@link ensureEngine} found or started. */
export interface EngineInfo {
  /** `unix:///…` URL to use as `DOCKER_HOST`. */
  dockerHost: string;
  /** Path of the containers.conf the Podman CLI must use to match the service (when Podman). */
  containersConf?: string;
  /** True when this call started the service; false when one already answered. */
  started: boolean;
  /** Engine name and version as the engine reports them. */
  engine: { name: string; version: string };
}

const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
`;

/** Default state directory for the engine this script manages. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BOSUN_ENGINE_DIR ?? join(tmpdir(), 'bosun-engine');
}

/** Turns `unix:///path` (or a bare path) into a socket path; undefined for tcp URLs. */
export function socketPathOf(dockerHost: string): string | undefined {
  if (dockerHost.startsWith('unix://')) return dockerHost.slice('unix://'.length);
  if (dockerHost.startsWith('/')) return dockerHost;
  return undefined;
}

/** Asks the engine at `socketPath` for its version; undefined when nothing answers within the deadline. */
export function pingEngine(socketPath: string, timeoutMs = 2000): Promise<{ name: string; version: string } | undefined> {
  return new Promise((resolve) => {
    if (!existsSync(socketPath)) return resolve(undefined);
    const req = request({ socketPath, path: '/version', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          const v = JSON.parse(body) as { Version?: string; Components?: { Name?: string }[] };
          const podman = v.Components?.some((c) => /podman/i.test(c.Name ?? ''));
          resolve({ name: podman ? 'podman' : 'docker', version: v.Version ?? 'unknown' });
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The sockets to try, in order, before starting one: the shared list of `@bosun/util`, then our own. */
export function candidateSockets(env: NodeJS.ProcessEnv, stateDir: string): string[] {
  const list = engineSocketCandidates(env).flatMap((e) => (e.socketPath ? [e.socketPath] : []));
  return [...new Set([...list, join(stateDir, 'podman.sock')])];
}

async function which(cmd: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${cmd}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Installs the Debian packages in `names` that are missing (when root; otherwise says
 * which to install). Returns the ones it installed.
 */
export async function ensureDebianPackages(names: readonly string[], log: (l: string) => void): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    try {
      await run('dpkg-query', ['-W', '-f=${Status}', name]).then(({ stdout }) => {
        if (!stdout.includes('install ok installed')) missing.push(name);
      });
    } catch {
      missing.push(name);
    }
  }
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages (install them as root): ${missing.join(' ')}`);
  log(`installing ${missing.join(', ')} from Debian…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 << 20 });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, maxBuffer: 64 << 20 });
  return missing;
}

async function installPodman(log: (l: string) => void): Promise<void> {
  await ensureDebianPackages(['podman', 'runc', 'busybox-static'], log);
}

async function startPodman(stateDir: string, log: (l: string) => void, timeoutMs: number): Promise<string> {
  const socket = join(stateDir, 'podman.sock');
  const conf = join(stateDir, 'containers.conf');
  writeFileSync(conf, CONTAINERS_CONF);
  rmSync(socket, { force: true });
  const out = openSync(join(stateDir, 'podman.log'), 'a');
  const child = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, CONTAINERS_CONF: conf },
  });
  child.unref();
  writeFileSync(join(stateDir, 'podman.pid'), String(child.pid));
  log(`started podman system service (pid ${child.pid}) on ${socket}`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingEngine(socket, 1000)) return socket;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = readFileSync(join(stateDir, 'podman.log'), 'utf8').split('\n').slice(-5).join('\n');
  throw new Error(`podman service did not answer on ${socket} within ${timeoutMs} ms:\n${tail}`);
}

/** Imports Debian's static busybox as {@link TEST_IMAGE} unless the engine already has it. */
export async function ensureTestImage(stateDir: string, containersConf: string | undefined, log: (l: string) => void): Promise<void> {
  const env = { ...process.env, ...(containersConf ? { CONTAINERS_CONF: containersConf } : {}) };
  try {
    await run('podman', ['image', 'exists', TEST_IMAGE], { env });
    return;
  } catch {
    // missing: import below
  }
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox-static is not installed: apt-get install busybox-static');
  const rootfs = join(stateDir, 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  for (const d of ['bin', 'tmp', 'etc', 'root', 'work', 'proc', 'sys', 'dev']) mkdirSync(join(rootfs, d), { recursive: true });
  await run('cp', [busybox, join(rootfs, 'bin/busybox')]);
  const { stdout } = await run(busybox, ['--list']);
  for (const applet of stdout.split('\n').filter(Boolean)) {
    if (applet !== 'busybox') await run('ln', ['-sf', 'busybox', join(rootfs, 'bin', applet)]);
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  const tar = join(stateDir, 'busybox-rootfs.tar');
  await run('tar', ['-C', rootfs, '-cf', tar, '.']);
  await run('podman', ['import', '--change', 'CMD ["/bin/sh"]', '--change', 'ENV PATH=/bin', tar, TEST_IMAGE], { env });
  rmSync(rootfs, { recursive: true, force: true });
  log(`imported ${TEST_IMAGE}`);
}

/** Whether something accepts connections on the unix socket `path` (a stale socket file refuses them). */
export function socketAccepts(path: string, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const s = connect({ path });
    const done = (v: boolean) => {
      s.destroy();
      resolveAccepts(v);
    };
    s.setTimeout(timeoutMs, () => done(true)); // accepted but silent counts as live
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * An engine that already runs on one of `sockets`, waited for patiently: a loaded
 * engine that accepts connections but answers slowly is asked again with longer
 * deadlines (2, 5, 10, 20 s), never replaced by a second service on its socket.
 * `stuck` names a socket that accepts but never answered; undefined when none is live.
 */
export async function findLiveEngine(
  sockets: readonly string[],
  ping: (socket: string, timeoutMs: number) => Promise<{ name: string; version: string } | undefined> = pingEngine,
  deadlinesMs: readonly number[] = [2000, 5000, 10_000, 20_000],
): Promise<{ socket: string; engine: { name: string; version: string } } | { stuck: string } | undefined> {
  let stuck: string | undefined;
  for (const socket of sockets) {
    if (!existsSync(socket) || !(await socketAccepts(socket))) continue;
    for (const ms of deadlinesMs) {
      const engine = await ping(socket, ms);
      if (engine) return { socket, engine };
    }
    stuck ??= socket;
  }
  return stuck === undefined ? undefined : { stuck };
}

/**
 * Finds or starts a Docker-compatible engine and makes sure the busybox test image exists.
 * Throws with a one-paragraph explanation when no engine can be had.
 */
export async function ensureEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const env = options.env ?? process.env;
  const stateDir = options.stateDir ?? defaultStateDir(env);
  const log = options.log ?? ((l: string) => process.stderr.write(`[engine] ${l}\n`));
  mkdirSync(stateDir, { recursive: true });
  const ownConf = join(stateDir, 'containers.conf');

  // A loaded engine is waited for, never replaced: starting a second service on its socket
  // would unlink the live one's socket from under its clients.
  const live = await findLiveEngine(candidateSockets(env, stateDir), pingEngine, options.pingDeadlinesMs);
  if (live && 'stuck' in live) throw new Error(`the engine at ${live.stuck} accepts connections but does not answer /version (overloaded or stopped); not starting a second one over it`);
  if (live) {
    const { socket, engine } = live;
    const containersConf = existsSync(ownConf) && socket === join(stateDir, 'podman.sock') ? ownConf : undefined;
    if (engine.name === 'podman' && (await which('podman'))) await ensureTestImage(stateDir, containersConf, log);
    return { dockerHost: `unix://${socket}`, containersConf, started: false, engine };
  }

  if (!(await which('podman'))) await installPodman(log);
  if (!(await which('runc'))) await installPodman(log);
  const socket = await startPodman(stateDir, log, options.startTimeoutMs ?? 30_000);
  await ensureTestImage(stateDir, ownConf, log);
  const engine = (await pingEngine(socket)) ?? { name: 'podman', version: 'unknown' };
  return { dockerHost: `unix://${socket}`, containersConf: ownConf, started: true, engine };
}

/** Stops the service {@link ensureEngine} started (no-op when it started none). */
export async function stopEngine(options: Pick<EngineOptions, 'stateDir' | 'env'> = {}): Promise<boolean> {
  const stateDir = options.stateDir ?? defaultStateDir(options.env ?? process.env);
  const pidFile = join(stateDir, 'podman.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 100));
    } catch {
      break;
    }
  }
  rmSync(join(stateDir, 'podman.sock'), { force: true });
  return true;
}
