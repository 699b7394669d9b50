/**
 * Terminals at wire speed (issue 10): Bosun's terminal path side by side with `ssh -tt`,
 * raw node-pty and a one-process ws + node-pty bridge, in one process tree, interleaved.
 *
 * What it starts (and stops at the end, on error and on SIGINT/SIGTERM; a detached reaper
 * stops them if this process is killed outright):
 * - a private sshd on 127.0.0.1 (own config, host and client keys in a temp dir),
 * - the hub and two workers from the built dist (LOG_LEVEL=warn): one on the container
 *   engine (container shell, exec), one forced onto the process driver by a DOCKER_HOST
 *   that does not exist (host shell),
 * - bench/bridge.ts (ws server + node-pty, per-message deflate off),
 * - one busybox container, created and started through the hub API.
 *
 * Every path is a byte pipe to an interactive `sh` in a PTY; the bench types into it:
 * - throughput: `head -c <mb MiB> /dev/urandom | base64; echo BOSUN""-END` (the echoed
 *   command line never holds the marker), MB/s = bytes the client received / 10^6 / seconds
 *   from sending the line to seeing `BOSUN-END`,
 * - CPU per MB of the relaying processes over the same window, ms per 10^6 bytes received
 *   (what each path counts: see its opener; the shell and its commands never count),
 * - echo: `stty raw -echo; echo READY; exec cat`, one probe byte, then `--echo`
 *   single-byte round trips, each sent only after the previous came back,
 * - idle RSS of worker and hub, per idle terminal, the sshd listener,
 * - `/bin/true` exec in the container, hub API vs the podman CLI.
 *
 * Run: `npm run bench:terminal` (the engine is started when it is not running). Flags:
 * `--rounds=5 --mb=50 --echo=500 --skip=<list>` where the list may name sections
 * (`throughput,echo,rss,exec,build`) and paths (`raw,ssh,bridge,host,node-agent,container,raw-podman,ssh-podman`).
 * The table goes to stdout, progress to stderr. Container rows are compared with the
 * container references (`ssh -tt … podman exec -it`, raw node-pty `podman exec -it`),
 * host rows with `ssh -tt` and raw node-pty running `sh`.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nodePty from 'node-pty';
import WebSocket from 'ws';
import { ensureEngine, TEST_IMAGE } from '../tools/src/engine.js';
import { appArgs, freePort, pct, pollFor, root, rssMb, sleep, startHub } from './lib.js';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const rounds = Math.max(1, Number(arg('rounds', '5')));
const mb = Number(arg('mb', '50'));
const echoCount = Math.max(1, Number(arg('echo', '500')));
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const execFileP = promisify(execFile);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const TENANT = 'bench';
const COLS = 200;
const ROWS = 50;
/** Bytes of urandom per run (`--mb` MiB, as a plain number: busybox's head takes no `M`). */
const RANDOM_BYTES = Math.round(mb * 1024 * 1024);
const SCRIPT = `head -c ${RANDOM_BYTES} /dev/urandom | base64; echo BOSUN""-END`;
/** Deadline of one throughput run: generous for a slow path, finite for a stuck one. */
const THROUGHPUT_MS = 30_000 + mb * 2_000;

// ---------------------------------------------------------------------------------------
// Cleanup: everything started registers how to stop it; run once, newest first.

const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | undefined;
const onCleanup = (name: string, fn: () => Promise<void> | void) => cleanups.push({ name, fn });
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await Promise.race([c.fn(), sleep(15_000).then(() => Promise.reject(new Error('took more than 15 s')))]);
      } catch (err) {
        log(`cleanup of ${c.name} failed: ${(err as Error).message}`);
      }
    }
    tellReaper({ kind: 'done' });
    reaper.stdin.end();
  })();
  return cleaning;
}
// `on`, not `once`: a Ctrl-C reaches this process twice (from the terminal's process group
// and relayed by tsx), and a second default SIGINT would kill it half-way through cleaning up.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (cleaning) return log(`${sig}: still cleaning up`);
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => {
      report(`interrupted by ${sig}: partial results`);
      process.exit(130);
    });
  });
}

/**
 * A watchdog for the case cleanup cannot run: this process killed outright (tsx's CLI
 * SIGKILLs its child when the child does not acknowledge a relayed Ctrl-C within 30 ms,
 * which a busy bench on two loaded cores easily misses). A detached `node -e` (its own
 * process group, so Ctrl-C does not reach it) is told, one JSON line each, every child
 * pid (with its start time, so a reused pid is never signalled), container and temp dir;
 * when its stdin closes without `done`, it stops and removes them.
 */
const REAPER = `
const { execFileSync } = require('node:child_process');
const { readFileSync, rmSync } = require('node:fs');
const items = []; let done = false; let buf = '';
const start = (pid) => { try { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]; } catch { return undefined; } };
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buf += c;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const m = JSON.parse(buf.slice(0, i)); buf = buf.slice(i + 1);
    if (m.kind === 'done') done = true; else items.push(m);
  }
});
process.stdin.on('end', () => {
  if (done) return;
  const pids = items.filter((m) => m.kind === 'pid');
  const signal = (sig) => { for (const m of pids) if (start(m.pid) === m.start) { try { process.kill(m.pid, sig); } catch {} } };
  signal('SIGTERM');
  setTimeout(() => {
    signal('SIGKILL');
    for (const m of items) {
      try {
        if (m.kind === 'container') execFileSync('podman', ['rm', '-f', m.id], { env: { ...process.env, ...m.env }, stdio: 'ignore', timeout: 60000 });
        if (m.kind === 'dir') rmSync(m.path, { recursive: true, force: true });
      } catch {}
    }
    process.stderr.write('[bench reaper] cleaned up after the bench was killed\\n');
  }, 5000);
});
`;
const reaper = spawn(process.execPath, ['-e', REAPER], { detached: true, stdio: ['pipe', 'ignore', 'inherit'] });
reaper.stdin.on('error', () => undefined);
const tellReaper = (m: Record<string, unknown>) => reaper.stdin.write(`${JSON.stringify(m)}\n`);
/** Registers a child with the reaper. */
const reapChild = (child: ChildProcess) => tellReaper({ kind: 'pid', pid: child.pid, start: procStartTime(child.pid ?? 0) });

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot). */
function procStartTime(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Stops a child: SIGTERM, then SIGKILL after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<boolean>((r) => child.once('exit', () => r(true)));
  child.kill('SIGTERM');
  if (await Promise.race([exited, sleep(5_000).then(() => false)])) return;
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(2_000)]);
}

/** Forwards a child's stderr lines to ours with a prefix (and keeps its pipe drained). */
function forwardStderr(child: ChildProcess, prefix: string): void {
  child.stderr?.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (line.trim()) process.stderr.write(`[${prefix}] ${line.slice(0, 500)}\n`);
  });
}

/** Rejects after `ms` with "`what` timed out"; `fn` gets to register what to undo. */
function deadline<T>(what: string, ms: number, fn: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    fn(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}


// ---------------------------------------------------------------------------------------
// CPU time from /proc.

const TICK_MS = 1000 / (Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100);

interface ProcStat {
  comm: string;
  ppid: number;
  /** utime + stime of the process itself, ms (children not included). */
  cpuMs: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    // Fields after the comm: 3 state, 4 ppid, …, 14 utime, 15 stime (clock ticks).
    const f = s.slice(close + 2).split(' ');
    return { comm: s.slice(s.indexOf('(') + 1, close), ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
  } catch {
    return undefined; // gone
  }
}

/** utime + stime of these processes, ms (a process that is gone counts 0). */
/** The pid of a spawned child (throws when the spawn failed). */
function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error(`${child.spawnfile} did not start`);
  return child.pid;
}

const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + (procStat(pid)?.cpuMs ?? 0), 0);

/** The descendants of `pid` whose comm is `comm`. */
function descendantsNamed(pid: number, comm: string): number[] {
  const children = new Map<number, number[]>();
  const comms = new Map<number, string>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(Number(e));
    if (!st) continue;
    comms.set(Number(e), st.comm);
    children.set(st.ppid, [...(children.get(st.ppid) ?? []), Number(e)]);
  }
  const out: number[] = [];
  const todo = [...(children.get(pid) ?? [])];
  while (todo.length) {
    const p = todo.pop();
    if (p === undefined) break;
    if (comms.get(p) === comm) out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// A connection to an interactive sh in a PTY, whatever the path.

interface Conn {
  write(b: Buffer): void;
  /** Set by the reader that currently waits; output before that is dropped. */
  onData: ((b: Buffer) => void) | undefined;
  /** Cumulative CPU ms of the processes that relay this path (what each includes: see the openers). */
  cpuMs(): number;
  close(): Promise<void>;
}

/** Resolves when `marker` has gone by (across chunk boundaries); `count` sees every chunk's size. */
function waitFor(conn: Conn, marker: string, ms: number, what: string, count?: (n: number) => void): Promise<void> {
  const m = Buffer.from(marker, 'latin1');
  const keep = m.length - 1;
  let carry = Buffer.alloc(0);
  return deadline<void>(what, ms, (resolve) => {
    conn.onData = (b) => {
      count?.(b.length);
      const hit = b.indexOf(m) >= 0 || (carry.length > 0 && Buffer.concat([carry, b.subarray(0, keep)]).indexOf(m) >= 0);
      carry = b.length >= keep ? Buffer.from(b.subarray(b.length - keep)) : Buffer.concat([carry, b]).subarray(-keep);
      if (hit) {
        conn.onData = undefined;
        resolve();
      }
    };
  }).finally(() => (conn.onData = undefined));
}

/** Collects output as latin1 text until `re` matches it; returns the match. */
function capture(conn: Conn, re: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
  let text = '';
  return deadline<RegExpExecArray>(what, ms, (resolve) => {
    conn.onData = (b) => {
      text = (text + b.toString('latin1')).slice(-4096);
      const m = re.exec(text);
      if (m) resolve(m);
    };
  }).finally(() => (conn.onData = undefined));
}

/** Types `echo READY` into the shell and waits for its output (not the echoed command line). */
async function ready(conn: Conn): Promise<void> {
  const seen = waitFor(conn, 'READY', 30_000, 'shell ready');
  conn.write(Buffer.from('echo RE""ADY\n'));
  await seen;
}

interface ThroughputResult {
  mbps: number;
  cpuPerMb: number;
}

async function throughput(conn: Conn): Promise<ThroughputResult> {
  await ready(conn);
  let bytes = 0;
  const done = waitFor(conn, 'BOSUN-END', THROUGHPUT_MS, 'throughput end marker', (n) => (bytes += n));
  const cpu0 = conn.cpuMs();
  const t0 = performance.now();
  conn.write(Buffer.from(`${SCRIPT}\n`));
  await done;
  const secs = (performance.now() - t0) / 1000;
  const cpu = conn.cpuMs() - cpu0;
  // base64 makes 4 bytes of 3, plus line ends: anything shorter means the stream did not run.
  if (bytes < (RANDOM_BYTES * 4) / 3) throw new Error(`only ${bytes} bytes before the end marker (expected more than ${Math.round((RANDOM_BYTES * 4) / 3)})`);
  return { mbps: bytes / 1e6 / secs, cpuPerMb: cpu / (bytes / 1e6) };
}

/** Sends one byte and resolves with the µs until it came back. */
function roundTrip(conn: Conn, byte: number, ms: number): Promise<number> {
  return deadline<number>(`echo of ${String.fromCharCode(byte)}`, ms, (resolve) => {
    const t0 = performance.now();
    conn.onData = (b) => {
      if (b.includes(byte)) resolve((performance.now() - t0) * 1000);
    };
    conn.write(Buffer.from([byte]));
  }).finally(() => (conn.onData = undefined));
}

/** Echo round trips through `stty raw -echo; exec cat`, in µs. */
async function echo(conn: Conn, n: number): Promise<number[]> {
  const seen = waitFor(conn, 'READY', 30_000, 'cat ready');
  conn.write(Buffer.from('stty raw -echo; echo RE""ADY; exec cat\n'));
  await seen;
  await roundTrip(conn, 0x70, 10_000); // a probe: cat reads
  const lat: number[] = [];
  for (let i = 0; i < n; i++) lat.push(await roundTrip(conn, 0x61 + (i % 26), 5_000));
  return lat;
}

// ---------------------------------------------------------------------------------------
// Openers, one per kind of path.

const ptyEnv = { ...process.env, TERM: 'xterm-256color' } as Record<string, string>;

/**
 * node-pty in this process. CPU: this process's `process.cpuUsage()` (it relays, but it
 * is also the client: the marker scan counts here and nowhere else).
 */
function ptyConn(file: string, args: string[]): Conn {
  const p = nodePty.spawn(file, args, { cols: COLS, rows: ROWS, encoding: null, env: ptyEnv });
  const conn: Conn = {
    onData: undefined,
    write: (b) => p.write(b),
    cpuMs: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
    close: async () => {
      try {
        p.kill('SIGKILL');
      } catch {
        // gone
      }
    },
  };
  // With `encoding: null` node-pty hands out Buffers, whatever its typings say.
  p.onData((d) => conn.onData?.(d as unknown as Buffer));
  return conn;
}

interface Sshd {
  child: ChildProcess;
  port: number;
  key: string;
}

/**
 * `ssh -tt` to the private sshd running `remote`. CPU: the ssh client + every `sshd`
 * process below the listener (with UsePAM no and a root login that is the one
 * `sshd: root@pts/N` session process; a privileged monitor too when there is one; one
 * connection at a time), read while they are alive. Not counted, as for every other
 * path: the shell and what it runs (sh, head, base64, and on the container path the
 * podman CLI and conmon that relay the exec).
 */
function sshConn(sshd: Sshd, remote: string): Conn {
  const child = spawn(
    'ssh',
    ['-F', '/dev/null', '-tt', '-e', 'none', '-p', String(sshd.port), '-i', sshd.key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', `${userInfo().username}@127.0.0.1`, remote],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  forwardStderr(child, 'ssh');
  const conn: Conn = {
    onData: undefined,
    write: (b) => child.stdin.write(b),
    cpuMs: () => cpuOf([pidOf(child), ...descendantsNamed(pidOf(sshd.child), 'sshd')]),
    close: () => stopChild(child),
  };
  child.stdout.on('data', (d: Buffer) => conn.onData?.(d));
  return conn;
}

/** Opens a ws client; binary frames go to `conn.onData`, text frames to `onText`. */
function openWs(url: string, protocols: string[], options: WebSocket.ClientOptions, cpuMs: () => number, onText?: (msg: Record<string, unknown>, ws: WebSocket) => void): { conn: Conn; ws: WebSocket } {
  const ws = new WebSocket(url, protocols, options);
  const conn: Conn = {
    onData: undefined,
    write: (b) => ws.send(b, { binary: true }),
    cpuMs,
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      ws.close();
      await Promise.race([closed, sleep(3_000).then(() => ws.terminate())]);
    },
  };
  ws.on('message', (d, isBinary) => {
    if (isBinary) conn.onData?.(d as Buffer);
    else onText?.(JSON.parse(d.toString()) as Record<string, unknown>, ws);
  });
  return { conn, ws };
}

/** The bridge: CPU is the bridge process's utime + stime. */
async function bridgeConn(bridge: { child: ChildProcess; port: number }): Promise<Conn> {
  const { conn, ws } = openWs(`ws://127.0.0.1:${bridge.port}/?cols=${COLS}&rows=${ROWS}`, [], { perMessageDeflate: false }, () => cpuOf([pidOf(bridge.child)]));
  await deadline<void>('bridge connect', 10_000, (resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return conn;
}

interface Hub {
  child: ChildProcess;
  port: number;
  admin: string;
}

async function api<T = Record<string, unknown>>(hub: Hub, path: string, body?: object, ms = 60_000): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${hub.port}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${hub.admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(ms),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

const command = <T = Record<string, unknown>>(hub: Hub, workerId: string, body: object) => api<T>(hub, `/api/workers/${workerId}/commands`, body);

/**
 * A new Bosun terminal through the hub's viewer socket, as a browser opens one: in
 * `container`, or a host shell (`host=1`; the worker allows it only on the process
 * driver). The ws client offers per-message
 * deflate as a browser does; the hub decides. CPU: hub + that worker (utime + stime of
 * both processes; the engine's own processes on the container path are not counted).
 * `close()` closes the terminal too, unless `keepTerminal` (then only the viewer goes).
 */
async function bosunConn(hub: Hub, worker: { id: string; child: ChildProcess }, container?: string, keepTerminal = false): Promise<Conn & { terminalId: string }> {
  const q = new URLSearchParams({ worker: worker.id, tenant: TENANT, cols: String(COLS), rows: String(ROWS) });
  let terminalId: string | undefined;
  if (container) q.set('container', container);
  else q.set('host', '1');
  let attached: (() => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  let closing = false;
  const { conn, ws } = openWs(`ws://127.0.0.1:${hub.port}/ws/terminal?${q}`, ['bosun.v1', `bearer.${hub.admin}`], {}, () => cpuOf([pidOf(hub.child), pidOf(worker.child)]), (m) => {
    if (m.type === 'terminal') terminalId = String(m.terminalId);
    else if (m.type === 'attached') attached?.();
    else if (m.type === 'error' || m.type === 'dropped' || (m.type === 'exit' && !closing)) {
      const e = new Error(`viewer socket: ${JSON.stringify(m).slice(0, 300)}`);
      if (failed) failed(e);
      else log(e.message);
    }
  });
  const closeWs = conn.close;
  conn.close = async () => {
    closing = true;
    if (terminalId && !keepTerminal) await command(hub, worker.id, { type: 'terminal.close', tenant: TENANT, terminalId }).catch((err: Error) => log(`terminal.close: ${err.message}`));
    await closeWs();
  };
  try {
    await deadline<void>('attach through the hub', 30_000, (resolve, reject) => {
      attached = resolve;
      failed = reject;
      ws.once('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`viewer socket closed ${code} ${reason.toString()}`)));
    });
  } catch (err) {
    await conn.close();
    throw err;
  }
  failed = undefined;
  return Object.assign(conn, { terminalId: terminalId ?? '' });
}

// ---------------------------------------------------------------------------------------
// Set-up: engine, build, hub, workers, sshd, bridge.

interface Worker {
  id: string;
  child: ChildProcess;
  info: Record<string, unknown>;
}

async function startWorker(hub: Hub, dataDir: string, name: string, env: Record<string, string>): Promise<Worker> {
  const { workerId, token } = await api<{ workerId: string; token: string }>(hub, '/api/workers', { name });
  const child = spawn(process.execPath, appArgs('apps/worker/dist/main.js'), {
    cwd: root,
    env: { ...process.env, ORCHESTRATOR_WS_URL: `ws://127.0.0.1:${hub.port}/ws/worker`, WORKER_TOKEN: token, DATA_DIR: join(dataDir, name), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  forwardStderr(child, name);
  reapChild(child);
  onCleanup(name, () => stopChild(child));
  const info = await pollFor(`worker ${name} registered`, 60_000, async () => {
    const { workers } = await api<{ workers: { workerId: string; online: boolean; info?: Record<string, unknown> }[] }>(hub, '/api/workers');
    const w = workers.find((x) => x.workerId === workerId);
    return w?.online && w.info ? w.info : undefined;
  });
  return { id: workerId, child, info };
}

interface NodeAgent {
  child: ChildProcess;
  port: number;
  /** Its self-signed certificate: the client trusts exactly it. */
  ca: string;
}

/** The node agent from dist, verifying tokens against the hub's JWKS (the hub is its control plane). */
async function startNodeAgent(hub: Hub, dataDir: string): Promise<NodeAgent> {
  const port = await freePort();
  const child = spawn(process.execPath, appArgs('apps/node-agent/dist/main.js'), {
    cwd: root,
    env: {
      ...process.env,
      NODE_ID: 'bench-node',
      CONTROL_PLANE_URL: `http://127.0.0.1:${hub.port}`,
      NODE_AGENT_HOST: '127.0.0.1',
      NODE_AGENT_PORT: String(port),
      DATA_DIR: dataDir,
      DOCKER_HOST: `unix://${join(dataDir, 'no-engine.sock')}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  forwardStderr(child, 'node-agent');
  reapChild(child);
  onCleanup('node-agent', () => stopChild(child));
  const certPath = join(dataDir, 'tls', 'cert.pem');
  const ca = await pollFor('node agent TLS certificate', 60_000, async () => (existsSync(certPath) ? readFileSync(certPath, 'utf8') : undefined));
  const { request } = await import('node:https');
  await pollFor('node agent /health', 60_000, () =>
    new Promise<boolean | undefined>((resolve) => {
      const req = request(`https://127.0.0.1:${port}/health`, { ca, timeout: 2_000 }, (res) => (res.resume(), resolve(res.statusCode === 200 || undefined)));
      req.on('error', () => resolve(undefined));
      req.on('timeout', () => (req.destroy(), resolve(undefined)));
      req.end();
    }),
  );
  return { child, port, ca };
}

/** A host shell on the node agent over wss, with a token the hub minted; CPU is the node agent's. */
async function nodeAgentConn(hub: Hub, agent: NodeAgent): Promise<Conn> {
  const { token } = await api<{ token: string }>(hub, '/api/tokens', { sub: 'bench', audience: 'workspace-terminal', workspace: 'bench-ws', ttlSec: 3600 });
  let attached: (() => void) | undefined;
  const q = new URLSearchParams({ token, cols: String(COLS), rows: String(ROWS) });
  const { conn, ws } = openWs(`wss://127.0.0.1:${agent.port}/terminal/ws?${q}`, [], { ca: agent.ca, perMessageDeflate: false }, () => cpuOf([pidOf(agent.child)]), (m) => {
    if (m.type === 'attached') attached?.();
    else if (m.type === 'error') log(`node agent socket: ${JSON.stringify(m).slice(0, 300)}`);
  });
  try {
    await deadline<void>('attach to the node agent', 30_000, (resolve, reject) => {
      attached = resolve;
      ws.once('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`node agent socket closed ${code} ${reason.toString()}`)));
    });
  } catch (err) {
    await conn.close();
    throw err;
  }
  return conn;
}

const driverOf = (w: Worker) => (w.info.containerEngines as { name: string; version: string }[] | undefined)?.[0];

async function startSshd(dir: string): Promise<Sshd | undefined> {
  if (!existsSync('/usr/sbin/sshd')) {
    log('no /usr/sbin/sshd: install it with `apt-get install openssh-server`; the ssh rows are skipped');
    return undefined;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hostKey = join(dir, 'host_ed25519');
  const key = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', key]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${key}.pub`), { mode: 0o600 });
  const port = await freePort();
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'PrintMotd no',
      'PrintLastLog no',
      'UseDNS no',
      'X11Forwarding no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  forwardStderr(child, 'sshd');
  reapChild(child);
  onCleanup('sshd', () => stopChild(child));
  // sshd writes its pid file once it listens (a probe connection would only log a kex error).
  await pollFor('sshd listening', 10_000, () => (existsSync(join(dir, 'sshd.pid')) ? true : undefined));
  return { child, port, key };
}

async function startBridge(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bridge.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  forwardStderr(child, 'bridge');
  reapChild(child);
  onCleanup('bridge', () => stopChild(child));
  const port = await deadline<number>('bridge start', 30_000, (resolve) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  return { child, port };
}

// ---------------------------------------------------------------------------------------
// Results.

/** Per-round samples of one measure on one path (undefined: that round failed). */
const samples = new Map<string, (number | undefined)[]>();
const record = (key: string, round: number, v: number | undefined) => {
  const xs = samples.get(key) ?? Array.from<number | undefined>({ length: rounds });
  xs[round] = v;
  samples.set(key, xs);
};
const single = new Map<string, number>();
const notes: string[] = [];
const note = (line: string) => (notes.push(line), log(line));

/** The median of `xs` (NaN for an empty list). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}
const present = (xs: (number | undefined)[] | undefined) => (xs ?? []).filter((x): x is number => x !== undefined && Number.isFinite(x));

/** Median over rounds of a/b, rounds where both exist (paired). */
function pairedRatio(a: string, b: string): number | undefined {
  const xs = samples.get(a);
  const ys = samples.get(b);
  if (!xs || !ys) return undefined;
  const rs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x !== undefined && y !== undefined && y > 0) rs.push(x / y);
  }
  return rs.length ? median(rs) : undefined;
}

// ---------------------------------------------------------------------------------------
// Main.

type PathKey = 'raw' | 'ssh' | 'bridge' | 'host' | 'node-agent' | 'raw-podman' | 'ssh-podman' | 'container';
const LABEL: Record<PathKey, string> = {
  raw: 'raw node-pty (sh)',
  ssh: '`ssh -tt` (sh)',
  bridge: 'ws + node-pty bridge (sh)',
  host: '**Bosun host shell** (ws → hub → worker → PTY)',
  'node-agent': '**Bosun node agent** (wss → node agent → PTY)',
  'raw-podman': 'raw node-pty `podman exec -it` (container)',
  'ssh-podman': '`ssh -tt … podman exec -it` (container)',
  container: '**Bosun container shell** (ws → hub → worker → engine)',
};
/** The `ssh -tt` and raw node-pty references of each path (same shell, host or container). */
const REF: Record<PathKey, { ssh: PathKey; raw: PathKey }> = {
  raw: { ssh: 'ssh', raw: 'raw' },
  ssh: { ssh: 'ssh', raw: 'raw' },
  bridge: { ssh: 'ssh', raw: 'raw' },
  host: { ssh: 'ssh', raw: 'raw' },
  'node-agent': { ssh: 'ssh', raw: 'raw' },
  'raw-podman': { ssh: 'ssh-podman', raw: 'raw-podman' },
  'ssh-podman': { ssh: 'ssh-podman', raw: 'raw-podman' },
  container: { ssh: 'ssh-podman', raw: 'raw-podman' },
};
const THROUGHPUT_PATHS: PathKey[] = ['raw', 'ssh', 'bridge', 'host', 'node-agent', 'raw-podman', 'ssh-podman', 'container'];
const CPU_PATHS: PathKey[] = THROUGHPUT_PATHS;
const ECHO_PATHS: PathKey[] = THROUGHPUT_PATHS;

const startedAt = new Date();
const loadStart = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-terminal-'));
tellReaper({ kind: 'dir', path: dir });
onCleanup('temp dir', () => rmSync(dir, { recursive: true, force: true }));

async function main(): Promise<void> {
  // Engine (for the container paths and exec).
  let engine: { dockerHost: string; containersConf?: string } | undefined;
  const wantsContainer = !skip.has('container') || !skip.has('raw-podman') || !skip.has('ssh-podman') || !skip.has('exec');
  if (wantsContainer) {
    try {
      engine = await ensureEngine({ log: (l) => log(`engine: ${l}`) });
    } catch (err) {
      note(`no container engine (${(err as Error).message}): container rows skipped`);
    }
  }
  const engineEnv: Record<string, string> = engine ? { DOCKER_HOST: engine.dockerHost, ...(engine.containersConf ? { CONTAINERS_CONF: engine.containersConf } : {}) } : {};
  Object.assign(ptyEnv, engineEnv.CONTAINERS_CONF ? { CONTAINERS_CONF: engineEnv.CONTAINERS_CONF } : {});

  if (!skip.has('build')) {
    log('building @bosun/worker, @bosun/hub and @bosun/node-agent (dist)…');
    execFileSync('npx', ['nx', 'run-many', '-t', 'build', '-p', '@bosun/worker', '@bosun/hub', '@bosun/node-agent'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'], // on failure the error carries nx's stderr
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NX_DAEMON: 'false' },
      timeout: 900_000,
    });
  }

  // Hub + the process-driver worker, idle RSS first (before any load).
  const hubDir = join(dir, 'hub');
  const port = await freePort();
  const hubChild = await startHub(hubDir, port, false, true);
  forwardStderr(hubChild, 'hub');
  reapChild(hubChild);
  onCleanup('hub', () => stopChild(hubChild));
  const hub: Hub = { child: hubChild, port, admin: readFileSync(join(hubDir, 'admin-token'), 'utf8').trim() };
  log(`hub on :${port} (pid ${hubChild.pid})`);

  const proc = await startWorker(hub, dir, 'worker-process', { DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}` });
  note(`host-shell worker: driver in use ${JSON.stringify(driverOf(proc))} (first of its registered containerEngines)`);
  if (driverOf(proc)?.name !== 'process') throw new Error('the host-shell worker did not fall back to the process driver');

  if (!skip.has('rss')) {
    await sleep(3_000);
    rssMb(pidOf(proc.child));
    await sleep(3_000);
    single.set('rss worker-process', rssMb(pidOf(proc.child)));
    single.set('rss hub', rssMb(pidOf(hubChild)));
    log(`idle RSS: worker ${single.get('rss worker-process')?.toFixed(1)} MB, hub ${single.get('rss hub')?.toFixed(1)} MB`);
    // 20 idle host terminals: opened and attached through the hub, viewers closed, terminals alive.
    const before = { worker: rssMb(pidOf(proc.child)), hub: rssMb(pidOf(hubChild)) };
    const ids: string[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const conn = await bosunConn(hub, proc, undefined, true);
        ids.push(conn.terminalId);
        await conn.close();
      }
      await sleep(3_000);
      single.set('rss per terminal worker', (rssMb(pidOf(proc.child)) - before.worker) / 20);
      single.set('rss per terminal hub', (rssMb(pidOf(hubChild)) - before.hub) / 20);
      const { terminals } = await api<{ terminals: { workerId: string; terminalId: string; state: string; viewers: number }[] }>(hub, '/api/terminals');
      const alive = terminals.filter((t) => t.workerId === proc.id && ids.includes(t.terminalId) && t.state === 'alive' && t.viewers === 0).length;
      note(`idle terminals: ${alive} of ${ids.length} alive with no viewer when their RSS was read`);
    } catch (err) {
      note(`idle terminals failed: ${(err as Error).message}`);
    }
    for (const terminalId of ids) await command(hub, proc.id, { type: 'terminal.close', tenant: TENANT, terminalId }).catch(() => undefined);
  }

  // The engine worker and its container.
  let eng: Worker | undefined;
  let containerId: string | undefined;
  if (engine) {
    try {
      eng = await startWorker(hub, dir, 'worker-engine', engineEnv);
      note(`container worker: registered containerEngines ${JSON.stringify(eng.info.containerEngines)} (the probe's list; the process driver would be named first)`);
      if (driverOf(eng)?.name === 'process') throw new Error('the engine worker fell back to the process driver');
      if (!skip.has('rss')) {
        await sleep(3_000);
        rssMb(pidOf(eng.child));
        await sleep(3_000);
        single.set('rss worker-engine', rssMb(pidOf(eng.child)));
      }
      const created = await command<{ containerId: string }>(hub, eng.id, { type: 'container.create', tenant: TENANT, workspaceId: 'bench', image: TEST_IMAGE, cmd: ['sleep', '86400'] });
      containerId = created.containerId;
      const cid = containerId;
      const w = eng;
      tellReaper({ kind: 'container', id: cid, env: engineEnv });
      onCleanup('container', async () => {
        try {
          await command(hub, w.id, { type: 'container.remove', tenant: TENANT, containerId: cid, force: true });
        } catch {
          await execFileP('podman', ['rm', '-f', cid], { env: { ...process.env, ...engineEnv }, timeout: 30_000 });
        }
      });
      await command(hub, eng.id, { type: 'container.start', tenant: TENANT, containerId });
      const { stdout } = await execFileP('podman', ['container', 'inspect', '--format', 'running={{.State.Running}} image={{.Config.Image}}', containerId], { env: { ...process.env, ...engineEnv }, timeout: 30_000 });
      note(`container ${containerId.slice(0, 12)}, created through the hub, as the engine sees it (podman inspect): ${stdout.trim()}`);
      if (!stdout.startsWith('running=true')) throw new Error('the engine does not see the container running');
    } catch (err) {
      note(`container set-up failed (${(err as Error).message}): container rows skipped`);
      containerId = undefined;
    }
  }

  const sshd =
    skip.has('ssh') && skip.has('ssh-podman')
      ? undefined
      : await startSshd(join(dir, 'ssh')).catch((err: Error) => void note(`sshd did not start (${err.message}): ssh rows skipped`));
  if (sshd) single.set('rss sshd', rssMb(pidOf(sshd.child)));
  const bridge = skip.has('bridge') ? undefined : await startBridge();
  const agent = skip.has('node-agent') ? undefined : await startNodeAgent(hub, join(dir, 'node-agent')).catch((err: Error) => void note(`node agent did not start (${err.message}): its rows are skipped`));

  const podmanShell = (c: string) => `CONTAINERS_CONF=${engineEnv.CONTAINERS_CONF ?? ''} exec podman exec -it ${c} sh`;
  const openers: Partial<Record<PathKey, () => Promise<Conn> | Conn>> = {
    raw: () => ptyConn('sh', []),
    ...(sshd ? { ssh: () => sshConn(sshd, 'exec sh') } : {}),
    ...(bridge ? { bridge: () => bridgeConn(bridge) } : {}),
    host: () => bosunConn(hub, proc),
    ...(agent ? { 'node-agent': () => nodeAgentConn(hub, agent) } : {}),
    ...(containerId && eng
      ? {
          'raw-podman': () => ptyConn('podman', ['exec', '-it', containerId, 'sh']),
          ...(sshd ? { 'ssh-podman': () => sshConn(sshd, podmanShell(containerId)) } : {}),
          container: () => bosunConn(hub, eng, containerId),
        }
      : {}),
  };
  for (const k of Object.keys(openers) as PathKey[]) if (skip.has(k)) delete openers[k];

  // Each path is what it claims: the host shell runs on this host, the container shell elsewhere.
  const hostnameOf = async (open: () => Promise<Conn> | Conn) => {
    const conn = await open();
    try {
      const m = capture(conn, /HN=(\S+)\r?\n/, 30_000, 'hostname');
      conn.write(Buffer.from('echo H""N=$(hostname)\n'));
      return (await m)[1];
    } finally {
      await conn.close();
    }
  };
  for (const k of ['host', 'node-agent', 'container'] as const) {
    const open = openers[k];
    if (!open) continue;
    try {
      const h = await hostnameOf(open);
      const onHost = h === hostname();
      note(`${k} shell: hostname ${h} (this host: ${hostname()}) → ${onHost ? 'runs on the host' : 'runs elsewhere (a container)'}`);
      if ((k !== 'container') !== onHost) throw new Error(`the ${k} shell is not what it claims`);
    } catch (err) {
      note(`${k} path check failed (${(err as Error).message}): its rows are skipped`);
      delete openers[k];
    }
  }

  const run = async <T>(k: PathKey, what: string, fn: (c: Conn) => Promise<T>): Promise<T | undefined> => {
    let conn: Conn | undefined;
    try {
      const open = openers[k];
      if (!open) throw new Error('no such path');
      conn = await open();
      return await fn(conn);
    } catch (err) {
      log(`${what} ${k} failed: ${(err as Error).message}`);
      return undefined;
    } finally {
      await conn?.close().catch(() => undefined);
    }
  };

  for (let r = 0; r < rounds; r++) {
    if (!skip.has('throughput')) {
      for (const k of THROUGHPUT_PATHS) {
        if (!openers[k]) continue;
        const res = await run(k, `round ${r + 1} throughput`, throughput);
        record(`mbps ${k}`, r, res?.mbps);
        if (CPU_PATHS.includes(k)) record(`cpu ${k}`, r, res?.cpuPerMb);
        if (res) log(`round ${r + 1}/${rounds} throughput ${k}: ${res.mbps.toFixed(1)} MB/s, ${res.cpuPerMb.toFixed(1)} ms CPU/MB`);
      }
    }
    if (!skip.has('echo')) {
      for (const k of ECHO_PATHS) {
        if (!openers[k]) continue;
        const lat = await run(k, `round ${r + 1} echo`, (c) => echo(c, echoCount));
        record(`p50 ${k}`, r, lat ? pct(lat, 50) : undefined);
        record(`p99 ${k}`, r, lat ? pct(lat, 99) : undefined);
        if (lat) log(`round ${r + 1}/${rounds} echo ${k}: p50 ${pct(lat, 50).toFixed(0)} µs, p99 ${pct(lat, 99).toFixed(0)} µs`);
      }
    }
  }

  // Exec /bin/true: hub API vs podman CLI, interleaved.
  if (!skip.has('exec') && containerId && eng) {
    const viaApi: number[] = [];
    const viaCli: number[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        let t0 = performance.now();
        const res = await command<{ exitCode: number | null }>(hub, eng.id, { type: 'container.exec', tenant: TENANT, containerId, cmd: ['/bin/true'] });
        if (res.exitCode !== 0) throw new Error(`exit ${res.exitCode}`);
        viaApi.push(performance.now() - t0);
        t0 = performance.now();
        await execFileP('podman', ['exec', containerId, '/bin/true'], { env: { ...process.env, ...engineEnv }, timeout: 30_000 });
        viaCli.push(performance.now() - t0);
      } catch (err) {
        log(`exec ${i} failed: ${(err as Error).message}`);
      }
    }
    if (viaApi.length && viaCli.length) {
      single.set('exec api', median(viaApi));
      single.set('exec cli', median(viaCli));
      log(`exec: hub API ${median(viaApi).toFixed(1)} ms, podman CLI ${median(viaCli).toFixed(1)} ms (medians of ${viaApi.length}/${viaCli.length})`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The table.

type Row = [string, string, string, string, string, string, string];

function table(): string {
  const rows: Row[] = [];
  const fmtRatio = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)}×`);
  const check = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ✓' : ' ✗');
  const series = (measure: string, title: string, unit: string, digits: number, paths: PathKey[], ratios: { ssh?: boolean; raw?: boolean; bridge?: boolean }, goal: (k: PathKey, r: { ssh?: number; raw?: number; bridge?: number }) => string) => {
    for (const k of paths) {
      const key = `${measure} ${k}`;
      const xs = present(samples.get(key));
      if (!samples.has(key)) continue;
      const r = {
        ssh: ratios.ssh && k !== REF[k].ssh ? pairedRatio(key, `${measure} ${REF[k].ssh}`) : undefined,
        raw: ratios.raw && k !== REF[k].raw ? pairedRatio(key, `${measure} ${REF[k].raw}`) : undefined,
        bridge: ratios.bridge && k !== 'bridge' ? pairedRatio(key, `${measure} bridge`) : undefined,
      };
      const failed = rounds - xs.length;
      rows.push([
        `${title}: ${LABEL[k]}`,
        xs.length ? `${median(xs).toFixed(digits)} ${unit}${failed ? ` (${failed} of ${rounds} rounds failed)` : ''}` : 'failed',
        xs.length ? `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}` : '—',
        fmtRatio(r.ssh),
        fmtRatio(r.raw),
        fmtRatio(r.bridge),
        goal(k, r),
      ]);
    }
  };
  const bosun = (k: PathKey) => k === 'host' || k === 'container' || k === 'node-agent';
  series('mbps', 'throughput', 'MB/s', 1, THROUGHPUT_PATHS, { ssh: true, raw: true }, (k, r) =>
    bosun(k) ? `≥ 1.0× ssh${check(r.ssh === undefined ? undefined : r.ssh >= 1)}, ≥ 0.9× raw${check(r.raw === undefined ? undefined : r.raw >= 0.9)}` : '',
  );
  series('cpu', 'CPU per MB', 'ms/MB', 1, CPU_PATHS, { ssh: true, raw: true, bridge: true }, (k, r) => (bosun(k) ? `≤ 1.3× bridge${check(r.bridge === undefined ? undefined : r.bridge <= 1.3)}` : ''));
  series('p50', 'echo p50', 'µs', 0, ECHO_PATHS, { ssh: true, raw: true, bridge: true }, (k, r) => (bosun(k) ? `≤ 1.0× ssh${check(r.ssh === undefined ? undefined : r.ssh <= 1)}` : ''));
  series('p99', 'echo p99', 'µs', 0, ECHO_PATHS, { ssh: true, raw: true, bridge: true }, (k, r) =>
    bosun(k) ? `≤ 1.5× ssh${check(r.ssh === undefined ? undefined : r.ssh <= 1.5)} (stretch ≤ 1.0×${check(r.ssh === undefined ? undefined : r.ssh <= 1)})` : '',
  );
  const one = (key: string, label: string, unit: string, digits: number, goal: (v: number) => string) => {
    const v = single.get(key);
    if (v !== undefined) rows.push([label, `${v.toFixed(digits)} ${unit}`, '—', '—', '—', '—', goal(v)]);
  };
  one('rss worker-process', 'idle RSS: worker (process driver), after register', 'MB', 1, (v) => `≤ 60 MB${check(v <= 60)}`);
  one('rss worker-engine', 'idle RSS: worker (engine), after register', 'MB', 1, (v) => `≤ 60 MB${check(v <= 60)}`);
  one('rss hub', 'idle RSS: hub with one worker', 'MB', 1, (v) => `≤ 80 MB${check(v <= 80)}`);
  one('rss per terminal worker', 'idle RSS per idle host terminal: worker (20 open)', 'MB', 2, (v) => `≤ 2 MB${check(v <= 2)}`);
  one('rss per terminal hub', 'idle RSS per idle host terminal: hub (20 open)', 'MB', 2, () => '');
  one('rss sshd', 'idle RSS: sshd listener (reference)', 'MB', 1, () => '');
  const api = single.get('exec api');
  const cli = single.get('exec cli');
  if (api !== undefined && cli !== undefined) {
    rows.push(['exec `/bin/true` in the container: hub API (median of 20)', `${api.toFixed(1)} ms`, '—', '—', '—', '—', `≤ 0.5× CLI: ${(api / cli).toFixed(2)}×${check(api / cli <= 0.5)}`]);
    rows.push(['exec `/bin/true` in the container: `podman exec` CLI (median of 20)', `${cli.toFixed(1)} ms`, '—', '—', '—', '—', '']);
  }
  const head: Row = ['path / measure', 'median', 'min–max', 'vs `ssh -tt`', 'vs raw node-pty', 'vs ws bridge', 'goal'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: Row) => `| ${r.map((c, i) => c.padEnd(w[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
/** Prints the header, the table and the notes on stdout (once). */
let reported = false;
function report(status: string): void {
  if (reported) return;
  reported = true;
  const la = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    `\nTerminal bench, ${startedAt.toISOString()} (${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min${status ? `, ${status}` : ''}): nproc ${availableParallelism()}, ` +
      `load average ${la(loadStart)} at start, ${la(loadavg())} at end, node ${process.version}; ` +
      `${rounds} rounds interleaved, ${mb} MiB of urandom as base64, ${echoCount} echoes per round. ` +
      `Ratios are paired (per round, then the median).\n\n${table()}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`,
  );
}
report(exitCode ? 'failed: partial results' : '');
process.exit(exitCode);
