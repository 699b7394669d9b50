/**
 * `npm start` as real processes: it stops the hub and the worker (and a Podman service it
 * started itself, never one it found running) on SIGTERM, SIGINT, the exit of either
 * child, or its own sudden death, leaving no orphan and a free port; and a restart shows
 * one worker, online, under the same identity.
 *
 * The signal cases run the worker on its process driver (BOSUN_QUICKSTART_ENGINE=none)
 * so they never touch the shared engine; the engine cases use a fake `podman` on PATH
 * with its own state dir, so the shared engine other suites use is never stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, repoRoot, until } from './spawn-app.test-util.js';

interface QuickStart {
  child: ChildProcess;
  port: number;
  dataDir: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: QuickStart[] = [];
const extraPids: number[] = [];

/** Whether `pid` runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of the live processes whose parent is `ppid` and whose command line contains `needle`. */
function childrenOf(ppid: number, needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid || fields[0] === 'Z') continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Pids of the live processes started for the quick start using `dataDir` (by their environment). */
function pidsOfRun(dataDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`BOSUN_QUICKSTART_DIR=${dataDir}`) && alive(Number(name))) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function startQuickStart(env: NodeJS.ProcessEnv, dataDir = mkdtempSync(join(tmpdir(), 'bosun-qs-')), via: 'node' | 'npm' = 'node'): Promise<QuickStart> {
  const port = await freePort();
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    HUB_PORT: String(port),
    BOSUN_QUICKSTART_DIR: dataDir,
    BOSUN_ENGINE_DIR: mkdtempSync(join(tmpdir(), 'bosun-qs-engine-')),
    LOG_LEVEL: 'info',
    ...env,
  };
  const [cmd, args] = via === 'npm' ? ['npm', ['start']] : [process.execPath, ['--import', 'tsx', '--conditions=@bosun/source', join(repoRoot, 'tools/src/quick-start.ts')]];
  const child = spawn(cmd as string, args as string[], {
    cwd: repoRoot,
    // An undefined value unsets the variable (e.g. DOCKER_HOST for the fake-engine cases).
    env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const qs = { child, port, dataDir, output: () => out, exited };
  started.push(qs);
  await until('the printed URL and the worker online', () => /browser: http:\/\/127\.0\.0\.1:\d+\/#token=/.test(out) && /is online/.test(out), 90_000).catch((err: Error) => {
    throw new Error(`${err.message}\n--- quick start output ---\n${out}`);
  });
  return qs;
}

function parts(qs: QuickStart): { hub: number; worker: number } {
  const pid = qs.child.pid!;
  const [hub] = childrenOf(pid, 'apps/hub/src/main.ts');
  const [worker] = childrenOf(pid, 'apps/worker/src/main.ts');
  expect(hub, 'hub pid').toBeDefined();
  expect(worker, 'worker pid').toBeDefined();
  return { hub: hub!, worker: worker! };
}

async function expectAllGone(qs: QuickStart, pids: number[]): Promise<void> {
  for (const pid of pids) await until(`pid ${pid} to end`, () => !alive(pid), 30_000);
  await until(`port ${qs.port} to be free`, () => portFree(qs.port), 30_000);
}

afterEach(async () => {
  for (const qs of started.splice(0)) {
    if (qs.child.exitCode === null && qs.child.signalCode === null) qs.child.kill('SIGKILL');
    // A failed case must not leave its hub on a port: end whatever of this run still lives.
    for (const pid of pidsOfRun(qs.dataDir)) process.kill(pid, 'SIGKILL');
  }
  for (const pid of extraPids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

const noEngine = { BOSUN_QUICKSTART_ENGINE: 'none' };

describe('quick start (npm start)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops the hub and the worker and frees the port when it gets ${signal}`, async () => {
      const qs = await startQuickStart(noEngine);
      const { hub, worker } = parts(qs);
      qs.child.kill(signal);
      expect(await qs.exited).toEqual({ code: 0, signal: null });
      await expectAllGone(qs, [hub, worker]);
    }, 180_000);
  }

  it('stops the hub, exits 1 and frees the port when the worker dies', async () => {
    const qs = await startQuickStart(noEngine);
    const { hub, worker } = parts(qs);
    process.kill(worker, 'SIGKILL');
    expect((await qs.exited).code).toBe(1);
    await expectAllGone(qs, [hub, worker]);
  }, 180_000);

  it('stops the worker, exits 1 and frees the port when the hub dies', async () => {
    const qs = await startQuickStart(noEngine);
    const { hub, worker } = parts(qs);
    process.kill(hub, 'SIGKILL');
    expect((await qs.exited).code).toBe(1);
    await expectAllGone(qs, [hub, worker]);
  }, 180_000);

  it('leaves no orphan when the quick start itself is killed with SIGKILL', async () => {
    const qs = await startQuickStart(noEngine);
    const { hub, worker } = parts(qs);
    qs.child.kill('SIGKILL');
    await qs.exited;
    await expectAllGone(qs, [hub, worker]);
  }, 180_000);

  it('stops everything it started, through npm and tsx, when the `npm start` process gets SIGTERM', async () => {
    const qs = await startQuickStart(noEngine, undefined, 'npm');
    const pids = pidsOfRun(qs.dataDir);
    expect(pids.length).toBeGreaterThanOrEqual(4); // npm's child chain, the quick start, hub, worker
    qs.child.kill('SIGTERM');
    await qs.exited;
    await expectAllGone(qs, pids);
    expect(pidsOfRun(qs.dataDir)).toEqual([]);
  }, 180_000);

  it('shows one worker, online, with the same id and a 0600 identity file when restarted on the same data dir', async () => {
    const first = await startQuickStart(noEngine);
    const id = /worker identity (\w+) \(new/.exec(first.output())?.[1];
    expect(id).toBeDefined();
    first.child.kill('SIGTERM');
    await first.exited;
    const second = await startQuickStart(noEngine, first.dataDir);
    expect(second.output()).toContain(`worker identity ${id} (reused`);
    expect(statSync(join(first.dataDir, 'worker-identity.json')).mode & 0o777).toBe(0o600);
    const adminToken = readFileSync(join(first.dataDir, 'hub', 'admin-token'), 'utf8').trim();
    const res = await fetch(`http://127.0.0.1:${second.port}/api/workers`, { headers: { authorization: `Bearer ${adminToken}` } });
    const { workers } = (await res.json()) as { workers: { workerId: string; online: boolean }[] };
    expect(workers).toEqual([expect.objectContaining({ workerId: id, online: true })]);
  }, 240_000);

  it('says the worker falls back to its process driver, at start and once it is online, when it has no engine', async () => {
    const qs = await startQuickStart(noEngine);
    expect(qs.output()).toMatch(/engine: NONE — BOSUN_QUICKSTART_ENGINE=none/);
    expect(qs.output()).toMatch(/PROCESS DRIVER/);
    expect(qs.output()).toMatch(/is online, using its PROCESS DRIVER/);
    expect(qs.output()).not.toMatch(/"level":/); // child logs are shown as lines for people
  }, 180_000);
});

/** A `podman` whose `system service` is a tiny Docker-API server on the socket it is given. */
function fakePodmanDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-fake-podman-'));
  const script = `#!${process.execPath}
const args = process.argv.slice(2);
if (args[0] === '--version' || args[0] === 'version') { console.log('podman version 4.3.1'); process.exit(0); }
if (args[0] === 'system' && args[1] === 'service') {
  const url = args.find((a) => a.startsWith('unix://'));
  const path = url.slice('unix://'.length);
  try { require('node:fs').rmSync(path, { force: true }); } catch {}
  require('node:http').createServer((req, res) => {
    const p = req.url.split('?')[0];
    if (p.endsWith('/_ping')) { res.end('OK'); return; }
    if (p.endsWith('/version')) { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ Version: '4.3.1', ApiVersion: '1.41', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] })); return; }
    if (p.endsWith('/json')) { res.setHeader('content-type', 'application/json'); res.end('[]'); return; }
    if (p.endsWith('/events')) { res.setHeader('content-type', 'application/json'); return; }
    res.statusCode = 404; res.end('{"message":"fake engine: not here"}');
  }).listen(path);
  process.on('SIGTERM', () => process.exit(0));
} else process.exit(0);
`;
  writeFileSync(join(dir, 'podman'), script);
  chmodSync(join(dir, 'podman'), 0o755);
  return dir;
}

/** Env that makes the quick start find no engine but the fake podman (skips when a real engine answers on a well-known socket). */
function fakeEngineEnv(): NodeJS.ProcessEnv | undefined {
  if (['/var/run/docker.sock', '/run/podman/podman.sock'].some((p) => existsSync(p))) return undefined;
  return { PATH: `${fakePodmanDir()}:${process.env.PATH ?? ''}`, XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'bosun-qs-xdg-')), DOCKER_HOST: undefined };
}

describe('quick start (npm start) with an engine', () => {
  const env = fakeEngineEnv();

  it.skipIf(!env)('stops the Podman service it started when it gets SIGTERM', async () => {
    const qs = await startQuickStart(env!);
    const servicePid = Number(/started podman system service \(pid (\d+)\)/.exec(qs.output())?.[1]);
    expect(servicePid).toBeGreaterThan(0);
    expect(qs.output()).toMatch(/engine: Podman 4\.3\.1 at unix:\/\/.*\(started by this quick start, stopped when it stops\)/);
    expect(alive(servicePid)).toBe(true);
    extraPids.push(servicePid);
    const { hub, worker } = parts(qs);
    qs.child.kill('SIGTERM');
    expect((await qs.exited).code).toBe(0);
    await expectAllGone(qs, [hub, worker, servicePid]);
  }, 240_000);

  it.skipIf(!env)('leaves running a Podman service it found running when it gets SIGINT', async () => {
    const engineDir = mkdtempSync(join(tmpdir(), 'bosun-qs-engine-'));
    const socket = join(engineDir, 'podman.sock');
    const service = spawn(join(env!.PATH!.split(':')[0]!, 'podman'), ['system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
    extraPids.push(service.pid!);
    await until('the fake service socket', () => existsSync(socket));
    const qs = await startQuickStart({ ...env, BOSUN_ENGINE_DIR: engineDir });
    expect(qs.output()).toMatch(/already running, left running/);
    const { hub, worker } = parts(qs);
    qs.child.kill('SIGINT');
    expect((await qs.exited).code).toBe(0);
    await expectAllGone(qs, [hub, worker]);
    expect(alive(service.pid!)).toBe(true);
  }, 240_000);
});
