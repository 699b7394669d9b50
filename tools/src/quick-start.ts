/**
 * `npm start` — the quick start: a hub and one worker on this machine.
 *
 * - **Engine.** Uses a Docker-compatible engine when one answers, or starts Podman's
 *   service itself (see `engine.ts`); says which one and why. Without one, the worker
 *   runs its process driver, and the quick start says so loudly (never a silent
 *   fallback).
 * - **One stable worker.** The worker's id and token are kept 0600 in
 *   `<data dir>/worker-identity.json` and reused while the hub still knows them, so a
 *   restart shows one worker, online; offline `local` workers left by earlier runs are
 *   revoked.
 * - **Process hygiene.** SIGINT or SIGTERM, or the exit of either child, stops both
 *   children (SIGTERM, then SIGKILL after 10 s) and the Podman service when this run
 *   started it, then exits. Each child also ends itself when this process goes away
 *   without a word (its stdin, a pipe from here, closes), so no orphan keeps the port.
 *
 * Env: `HUB_PORT` (default 8080), `BOSUN_QUICKSTART_DIR` (default `<repo>/.bosun`),
 * `LOG_LEVEL` (default `info`), `BOSUN_ENGINE_DIR` (the engine's state, see engine.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writePrivateJsonSync } from '@bosun/util';
import { candidateSockets, defaultStateDir, ensureEngine, ensureTestImage, findLiveEngine, stopEngine } from './engine.js';
import { shebangNodeFlags } from './node-flags.js';

/** The worker's identity the quick start keeps between runs. */
export interface QuickStartIdentity {
  workerId: string;
  token: string;
}

/** The identity file in `dataDir`. */
export const identityPath = (dataDir: string): string => join(dataDir, 'worker-identity.json');

/** The stored identity, or undefined when the file is missing or not an identity (a bad file is replaced, never trusted). */
export function readIdentity(path: string): QuickStartIdentity | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<QuickStartIdentity>;
    if (typeof v.workerId === 'string' && /^[a-z0-9]{1,64}$/.test(v.workerId) && typeof v.token === 'string' && v.token.startsWith(`bwt_${v.workerId}_`)) {
      return { workerId: v.workerId, token: v.token };
    }
  } catch {
    // missing or unreadable: a new identity is issued
  }
  return undefined;
}

/**
 * Writes the identity atomically, mode 0600. A symlink in its place is removed first:
 * util's writer (write-file-atomic) follows symlinks, and the token must not be written
 * wherever a planted link points.
 */
export function saveIdentity(path: string, identity: QuickStartIdentity): void {
  try {
    if (lstatSync(path).isSymbolicLink()) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writePrivateJsonSync(path, identity);
}

/** The part of the hub's admin API the quick start uses. */
export interface HubWorkers {
  list(): Promise<{ workerId: string; name: string; online: boolean }[]>;
  issue(name: string): Promise<QuickStartIdentity>;
  revoke(workerId: string): Promise<void>;
}

/** What {@link resolveIdentity} decided. */
export interface ResolvedIdentity {
  identity: QuickStartIdentity;
  /** True when the stored identity was still known to the hub. */
  reused: boolean;
  /** Offline workers of the same name, left by earlier runs, that were revoked. */
  revoked: string[];
}

/**
 * One identity per quick start: reuse the stored one while the hub knows its id, else
 * issue a new one; then revoke the other *offline* workers of the same name (earlier
 * runs' leftovers). An online worker of that name is someone else's and is left alone.
 */
export async function resolveIdentity(hub: HubWorkers, stored: QuickStartIdentity | undefined, name: string): Promise<ResolvedIdentity> {
  const known = await hub.list();
  const reused = stored !== undefined && known.some((w) => w.workerId === stored.workerId);
  const identity = reused ? stored : await hub.issue(name);
  const revoked: string[] = [];
  for (const w of known) {
    if (w.name === name && !w.online && w.workerId !== identity.workerId) {
      await hub.revoke(w.workerId);
      revoked.push(w.workerId);
    }
  }
  return { identity, reused, revoked };
}

/** The admin API of the hub at `url` as {@link HubWorkers}. */
export function hubClient(url: string, adminToken: string): HubWorkers {
  const headers = { authorization: `Bearer ${adminToken}` };
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    list: async () => ((await (await call('GET', '/api/workers')).json()) as { workers: { workerId: string; name: string; online: boolean }[] }).workers,
    issue: async (name) => (await (await call('POST', '/api/workers', { name })).json()) as QuickStartIdentity,
    revoke: async (workerId) => void (await call('DELETE', `/api/workers/${encodeURIComponent(workerId)}`)),
  };
}

/** Which engine the worker is pointed at, as the quick start found it. */
export type EngineOutcome =
  | { kind: 'engine'; name: string; version: string; dockerHost: string; started: boolean; containersConf?: string }
  | { kind: 'none'; reason: string };

/** The lines that say which engine the worker uses and why (printed at start). */
export function describeEngine(e: EngineOutcome): string[] {
  if (e.kind === 'engine') {
    const name = e.name === 'podman' ? 'Podman' : 'Docker';
    const why = e.started ? 'started by this quick start, stopped when it stops' : 'already running, left running when the quick start stops';
    return [`engine: ${name} ${e.version} at ${e.dockerHost} (${why}); the worker runs sandboxes as containers`];
  }
  return [
    `engine: NONE — ${e.reason}`,
    'the worker falls back to its PROCESS DRIVER: a sandbox is a directory and a process group on this machine,',
    'with much weaker isolation than a container. Install Podman or Docker (or run `npm run engine:start`) and restart to use containers.',
  ];
}

const DROP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/**
 * One log line of a child as people read it: pino's JSON becomes
 * `[label] message (key=value, …)` (`warning:`/`error:` in front when above info);
 * anything that is not a pino line passes through as it is.
 */
export function formatLogLine(label: string, line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
    if (typeof rec !== 'object' || rec === null || typeof rec.msg !== 'string') return `[${label}] ${line}`;
  } catch {
    return `[${label}] ${line}`;
  }
  const level = typeof rec.level === 'number' ? (LEVELS[rec.level] ?? String(rec.level)) : 'info';
  const fields = Object.entries(rec)
    .filter(([k]) => !DROP.has(k))
    .map(([k, v]) => {
      const s = typeof v === 'string' ? (/[\s,()=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
      return `${k}=${s.length > 200 ? `${s.slice(0, 200)}…` : s}`;
    });
  return `[${label}] ${level === 'info' ? '' : `${level}: `}${rec.msg}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
}

/** Preloaded into each child: it ends itself (SIGTERM, so it shuts down cleanly) when its stdin pipe from the quick start closes. */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  "if(!process.stdin.isTTY){process.stdin.on('end',()=>process.kill(process.pid,'SIGTERM'));process.stdin.on('error',()=>{});process.stdin.resume();process.stdin.unref?.();}",
)}`;

/** The parent pid of `pid` (from /proc; undefined where there is none). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return pid === process.pid ? process.ppid : undefined;
  }
}

/** The pids of `pid`'s parent, grandparent… (`depth` of them, stopping at init). */
export function ancestry(pid: number, depth: number): number[] {
  const out: number[] = [];
  for (let p: number | undefined = parentOf(pid); p !== undefined && p > 1 && out.length < depth; p = parentOf(p)) out.push(p);
  return out;
}

/** Options of {@link runQuickStart}. */
export interface QuickStartOptions {
  root: string;
  port: number;
  dataDir: string;
  logLevel: string;
  engineDir: string;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the quick start until a signal or a child's exit; resolves with the exit code once everything it started has stopped. */
export function runQuickStart(o: QuickStartOptions): Promise<number> {
  const children = new Map<string, ChildProcess>();
  let engine: Promise<EngineOutcome> | undefined;
  let stopping: Promise<number> | undefined;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finish = r));
  let driverLine: Record<string, unknown> | undefined;
  const say = (line: string): void => o.err(`[start] ${line}\n`);

  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

  const stop = (code: number, why: string): Promise<number> => {
    if (stopping) {
      // A second Ctrl-C: no more patience.
      for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      return stopping;
    }
    stopping = (async () => {
      say(`stopping (${why})`);
      for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      const all = Promise.all([...children.values()].map(exited));
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 10_000)))]);
      clearTimeout(timer);
      if (late) {
        say('a child did not stop within 10 s; killing it');
        for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        await all;
      }
      await engine?.catch(() => undefined);
      if (startedService) {
        say('stopping the Podman service this quick start started');
        await stopEngine({ stateDir: o.engineDir }).catch((err: Error) => say(`could not stop the Podman service: ${err.message}`));
      }
      return code;
    })();
    void stopping.then(finish);
    return stopping;
  };

  const startApp = (entry: string, env: NodeJS.ProcessEnv, label: string): ChildProcess => {
    const child = spawn(process.execPath, [...shebangNodeFlags(join(o.root, entry)), '--import', EXIT_WITH_PARENT, '--import', 'tsx', '--conditions=@bosun/source', join(o.root, entry)], {
      cwd: o.root,
      env: { ...o.env, ...env },
      stdio: ['pipe', 'inherit', 'pipe'],
    });
    children.set(label, child);
    let rest = '';
    child.stderr?.on('data', (c: Buffer) => {
      const lines = (rest + c.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        if (label === 'worker' && line.includes('"container driver ready"')) driverLine = JSON.parse(line) as Record<string, unknown>;
        o.err(`${formatLogLine(label, line)}\n`);
      }
    });
    child.on('exit', (code, signal) => {
      say(`${label} exited (${signal ?? code})`);
      if (!stopping) void stop(1, `the ${label} exited`);
    });
    return child;
  };

  const signalled = (signal: NodeJS.Signals) => () => void stop(0, signal);
  process.on('SIGINT', signalled('SIGINT'));
  process.on('SIGTERM', signalled('SIGTERM'));
  // `npm start` is npm → tsx → this process, and npm does not pass a SIGTERM on: when
  // our parent or its parent goes away (their parent pid changes), stop too.
  const lineage = ancestry(process.pid, 2);
  setInterval(() => {
    if (!stopping && ancestry(process.pid, 2).join() !== lineage.join()) void stop(0, 'the process that started npm start went away');
  }, 1000).unref();

  const pidFile = join(o.engineDir, 'podman.pid');
  const readPid = (): string | undefined => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : undefined);
  /** Set when this run started a Podman service (its pid file changed under us), even if it then failed to answer. */
  let startedService = false;

  const chooseEngine = async (): Promise<EngineOutcome> => {
    if (o.env.BOSUN_QUICKSTART_ENGINE === 'none') return { kind: 'none', reason: 'BOSUN_QUICKSTART_ENGINE=none asks for no engine' };
    const live = await findLiveEngine(candidateSockets(o.env, o.engineDir));
    if (live && 'stuck' in live) {
      return { kind: 'none', reason: `the engine at ${live.stuck} accepts connections but did not answer /version within 37 s (overloaded?); not starting a second one over it` };
    }
    if (live) {
      const own = join(o.engineDir, 'containers.conf');
      const containersConf = live.socket === join(o.engineDir, 'podman.sock') && existsSync(own) ? own : undefined;
      if (live.engine.name === 'podman') await ensureTestImage(o.engineDir, containersConf, say).catch((err: Error) => say(`test image not imported: ${err.message}`));
      return { kind: 'engine', ...live.engine, dockerHost: `unix://${live.socket}`, started: false, ...(containersConf ? { containersConf } : {}) };
    }
    const before = readPid();
    try {
      const found = await ensureEngine({ env: o.env, stateDir: o.engineDir, log: say });
      startedService = found.started;
      return { kind: 'engine', ...found.engine, dockerHost: found.dockerHost, started: found.started, ...(found.containersConf ? { containersConf: found.containersConf } : {}) };
    } catch (err) {
      startedService = readPid() !== undefined && readPid() !== before;
      return { kind: 'none', reason: (err as Error).message.split('\n')[0] ?? 'no engine' };
    }
  };

  const main = async (): Promise<void> => {
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    engine = chooseEngine();
    const e = await engine;
    if (stopping) return;
    for (const line of describeEngine(e)) say(line);
    const engineEnv: NodeJS.ProcessEnv =
      e.kind === 'engine'
        ? { DOCKER_HOST: e.dockerHost, ...(e.containersConf ? { CONTAINERS_CONF: e.containersConf } : {}) }
        : { DOCKER_HOST: 'unix:///nonexistent/bosun-no-engine.sock' };

    const hubUrl = `http://127.0.0.1:${o.port}`;
    startApp('apps/hub/src/main.ts', { HUB_PORT: String(o.port), HUB_DATA_DIR: join(o.dataDir, 'hub'), LOG_LEVEL: o.logLevel }, 'hub');
    for (;;) {
      if (stopping) return;
      try {
        if ((await fetch(`${hubUrl}/health`, { signal: AbortSignal.timeout(1000) })).ok) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const adminToken = readFileSync(join(o.dataDir, 'hub', 'admin-token'), 'utf8').trim();
    const hub = hubClient(hubUrl, adminToken);
    const idFile = identityPath(o.dataDir);
    const { identity, reused, revoked } = await resolveIdentity(hub, readIdentity(idFile), 'local');
    if (!reused) saveIdentity(idFile, identity);
    say(`worker identity ${identity.workerId} (${reused ? 'reused' : 'new'}, kept in ${idFile})`);
    if (revoked.length > 0) say(`revoked ${revoked.length} offline "local" worker(s) left by earlier runs: ${revoked.join(', ')}`);
    if (stopping) return;
    startApp(
      'apps/worker/src/main.ts',
      {
        ...engineEnv,
        ORCHESTRATOR_WS_URL: `ws://127.0.0.1:${o.port}/ws/worker`,
        WORKER_TOKEN: identity.token,
        WORKER_NAME: 'local',
        DATA_DIR: join(o.dataDir, 'worker'),
        LOG_LEVEL: o.logLevel,
      },
      'worker',
    );
    o.out(
      `\nBosun is running.\n  browser: ${hubUrl}/#token=${adminToken}\n  worker: ${identity.workerId}\n` +
        `  API: curl -H "Authorization: Bearer ${adminToken}" ${hubUrl}/api/workers\n  API reference: ${hubUrl}/api/docs\n` +
        `Ctrl-C (or kill ${process.pid}) stops the hub and the worker${e.kind === 'engine' && e.started ? ' and the Podman service' : ''}.\n`,
    );
    for (let i = 0; i < 600 && !stopping; i++) {
      const me = (await hub.list().catch(() => [])).find((w) => w.workerId === identity.workerId);
      if (me?.online) {
        const d = driverLine as { driver?: string; reason?: string } | undefined;
        const driver = d?.driver === 'process' ? `its PROCESS DRIVER (${d.reason ?? 'no engine'})` : d?.driver ? `the ${d.driver} driver (${d.reason ?? ''})` : 'the driver it logged above';
        say(`worker "local" (${identity.workerId}) is online, using ${driver}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  main().catch((err: Error) => void stop(1, `start failed: ${err.message}`));
  // Settles only through stop(): on a signal, a child's exit, the parent's loss or a failed start.
  return done;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const root = join(import.meta.dirname, '../..');
  const code = await runQuickStart({
    root,
    port: Number(process.env.HUB_PORT ?? 8080),
    dataDir: resolve(process.env.BOSUN_QUICKSTART_DIR ?? join(root, '.bosun')),
    logLevel: process.env.LOG_LEVEL ?? 'info',
    engineDir: defaultStateDir(process.env),
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
  process.exit(code);
}
