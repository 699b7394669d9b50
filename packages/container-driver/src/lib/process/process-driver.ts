/**
 * The process driver, the embedded default when no engine answers.
 *
 * A "container" is a session directory (`work/`, `output/`, `logs/`, `state.json`)
 * plus the process groups it spawns. Limits are rlimits applied with prlimit(1);
 * there are no namespaces and no cgroups, and `capabilities()` says so. `/` inside the
 * container means the session directory: caller paths are mapped there and must stay
 * inside. State is one small JSON file per container, written atomically (temp +
 * rename), so a restarted agent lists and stops what still runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rm, stat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from '@bosun/util';
import { PassThrough, Duplex } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { DriverError } from '../errors.js';
import { AsyncQueue, withDeadline } from '../deadline.js';
import { assertName, assertTenant, buildLabels, matchesLabels, ownedBy } from '../labels.js';
import { validateLimits, type HostCapacity } from '../limits.js';
import { silentLogger, type Logger } from '../logger.js';
import { HeadBuffer, TailBuffer } from '../output.js';
import type {
  BackgroundJob,
  BackgroundSpec,
  BuildSpec,
  Capabilities,
  CaptureResult,
  ContainerDriver,
  ContainerInfo,
  ContainerRef,
  ContainerStatus,
  CreateSpec,
  DeadlineOptions,
  DriverEvent,
  ExecResult,
  ExecSpec,
  ImageInfo,
  LimitSupport,
  Limits,
  ListFilter,
  LogsOptions,
  OutputChunk,
  StopOptions,
  TtyExecSpec,
  TtySession,
  VolumeInfo,
} from '../types.js';
import { assertInside, sessionPath } from './paths.js';
import { isAlive, pidsWithEnv, processStartTime, signalAll } from './proc.js';

/** Options of {@link ProcessDriver}. */
export interface ProcessDriverOptions {
  /** Directory holding one session directory per container. Required (e.g. `~/.bosun/sessions`). */
  root: string;
  /** Environment every process starts with (the container's `env` is added). Default `{ PATH: '/usr/local/bin:/usr/bin:/bin' }`. */
  baseEnv?: Record<string, string>;
  /** prlimit binary. Default `/usr/bin/prlimit`. */
  prlimitPath?: string;
  /** `script` binary (util-linux) used for TTY sessions. Default `/usr/bin/script`. */
  scriptPath?: string;
  /** `stty` binary used to resize TTY sessions. Default `/usr/bin/stty`. */
  sttyPath?: string;
  /** Host capacity for limit checks. Default from `os`. */
  host?: HostCapacity;
  /**
   * Effective uid of the agent. RLIMIT_NPROC does not bind root, so the `pids` limit is
   * reported unsupported for uid 0. Default `process.getuid()`.
   */
  uid?: number;
  logger?: Logger;
}

interface JobState {
  pid: number;
  pidStart?: number;
  cmd: string[];
}

/** What `state.json` holds (version 1). */
interface State {
  v: 1;
  id: string;
  name?: string;
  tenant: string;
  workspace: string;
  image: string;
  cmd?: string[];
  env: Record<string, string>;
  workingDir: string;
  labels: Record<string, string>;
  limits: Limits;
  createdAt: string;
  status: 'created' | 'running' | 'exited';
  pid?: number;
  pidStart?: number;
  exitCode?: number;
  jobs: Record<string, JobState>;
}

interface LiveJob {
  tenant: string;
  containerId: string;
  child: ChildProcess;
  stdout: TailBuffer;
  stderr: TailBuffer;
  running: boolean;
  exitCode?: number;
}

const ID_RE = /^[a-f0-9]{24}$/;
const MARKER = 'BOSUN_SESSION_ID';
const DEFAULT_EXEC_TIMEOUT = 60_000;
const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024;
const DEFAULT_BG_OUTPUT = 1024 * 1024;

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
}

function assertCmd(cmd: unknown): asserts cmd is string[] {
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((c) => typeof c !== 'string')) {
    throw DriverError.invalidArgument('cmd must be a non-empty array of strings');
  }
}

function checkEnv(env: Record<string, string> | undefined): Record<string, string> {
  for (const k of Object.keys(env ?? {})) {
    if (!k || k.includes('=') || k.includes('\0')) throw DriverError.invalidArgument(`environment name ${JSON.stringify(k)} is malformed`);
  }
  return { ...env };
}

/** prlimit(1) arguments for the limits (address space, cpu time, nproc, file size). */
export function prlimitArgs(limits: Limits): string[] {
  const a: string[] = [];
  if (limits.memoryBytes !== undefined) a.push(`--as=${limits.memoryBytes}`);
  if (limits.cpuSeconds !== undefined) a.push(`--cpu=${limits.cpuSeconds}`);
  if (limits.pids !== undefined) a.push(`--nproc=${limits.pids}`);
  if (limits.fileSizeBytes !== undefined) a.push(`--fsize=${limits.fileSizeBytes}`);
  return a;
}

/** ContainerDriver over plain processes: session directories, process groups and rlimits. */
export class ProcessDriver implements ContainerDriver {
  readonly kind = 'process' as const;
  private readonly log: Logger;
  private readonly baseEnv: Record<string, string>;
  private readonly prlimit: string;
  private readonly support: LimitSupport;
  private readonly mains = new Map<string, ChildProcess>();
  private readonly jobs = new Map<string, LiveJob>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly emitter = new EventEmitter();
  /** States this instance read or wrote; the file stays the truth across restarts. */
  private readonly cache = new Map<string, State>();
  private readonly realDirs = new Map<string, string>();

  /** @param opts - see {@link ProcessDriverOptions}; `root` is created when missing. */
  constructor(private readonly opts: ProcessDriverOptions) {
    if (!opts?.root) throw DriverError.invalidArgument('process driver needs a root directory');
    this.log = opts.logger ?? silentLogger;
    this.baseEnv = opts.baseEnv ?? { PATH: '/usr/local/bin:/usr/bin:/bin' };
    this.prlimit = opts.prlimitPath ?? '/usr/bin/prlimit';
    const uid = opts.uid ?? process.getuid?.() ?? 0;
    this.support = { cpus: false, memory: true, pids: uid !== 0, cpuTime: true, fileSize: true };
    this.emitter.setMaxListeners(0);
  }

  async capabilities(): Promise<Capabilities> {
    return {
      kind: 'process',
      engine: 'process',
      version: process.version,
      isolation: 'process',
      limits: { ...this.support },
      images: false,
      build: false,
      volumes: false,
      mounts: false,
      networkModes: ['host'],
      readOnlyRoot: false,
      tty: existsSync(this.opts.scriptPath ?? '/usr/bin/script'),
      events: true,
    };
  }

  // ---- state -----------------------------------------------------------------------

  private dir(id: string): string {
    return join(this.opts.root, id);
  }

  /**
   * The container's state: from this instance's cache, else from its file. One driver
   * instance owns a root at a time (a restarted agent reads the files afresh).
   * Callers get a copy, so a half-done change never leaks into the cache.
   */
  private async readState(id: string): Promise<State | undefined> {
    const hit = this.cache.get(id);
    if (hit) return structuredClone(hit);
    try {
      const s = JSON.parse(await readFile(join(this.dir(id), 'state.json'), 'utf8')) as State;
      this.cache.set(id, s);
      return structuredClone(s);
    } catch {
      return undefined;
    }
  }

  private async writeState(s: State): Promise<void> {
    await writePrivateFile(join(this.dir(s.id), 'state.json'), JSON.stringify(s));
    this.cache.set(s.id, structuredClone(s));
  }

  /** Runs `fn` for one container at a time, so exit handlers and calls never interleave their writes. */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  private async allStates(): Promise<State[]> {
    let names: string[];
    try {
      names = await readdir(this.opts.root);
    } catch {
      return [];
    }
    const states = await Promise.all(names.filter((n) => ID_RE.test(n)).map((n) => this.readState(n)));
    return states.filter((s): s is State => !!s);
  }

  /** The tenant's container with this id or name; `not_found` otherwise (also for other tenants'). */
  private async resolve(ref: ContainerRef): Promise<State> {
    assertTenant(ref?.tenant);
    if (typeof ref.id !== 'string') throw DriverError.notFound('container');
    if (ID_RE.test(ref.id)) {
      const s = await this.readState(ref.id);
      if (s && ownedBy(s.labels, ref.tenant)) return s;
    }
    if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(ref.id)) {
      const s = (await this.allStates()).find((x) => x.name === ref.id && ownedBy(x.labels, ref.tenant));
      if (s) return s;
    }
    throw DriverError.notFound(`container ${ref.id}`);
  }

  /** Status now: a `running` record whose main process is gone is `exited`. */
  private async liveStatus(s: State): Promise<ContainerStatus> {
    if (s.status !== 'running' || s.pid === undefined) return s.status;
    return (await isAlive(s.pid, s.pidStart)) ? 'running' : 'exited';
  }

  private async toInfo(s: State): Promise<ContainerInfo> {
    const status = await this.liveStatus(s);
    return {
      id: s.id,
      name: s.name,
      tenant: s.tenant,
      workspace: s.workspace,
      image: s.image,
      status,
      exitCode: status === 'exited' ? s.exitCode : undefined,
      labels: s.labels,
      createdAt: s.createdAt,
    };
  }

  private emit(action: string, s: State): void {
    const e: DriverEvent = { type: 'container', action, id: s.id, tenant: s.tenant, time: Date.now() };
    this.emitter.emit('event', e);
  }

  // ---- containers ------------------------------------------------------------------

  async create(spec: CreateSpec): Promise<ContainerInfo> {
    assertTenant(spec?.tenant);
    assertTenant(spec.workspace, 'workspace');
    if (spec.name !== undefined) assertName(spec.name);
    if (typeof spec.image !== 'string' || !spec.image) throw DriverError.invalidArgument('image is required');
    if (spec.cmd !== undefined) assertCmd(spec.cmd);
    const limits = validateLimits(spec.limits, this.opts.host, this.support);
    const labels = buildLabels({ tenant: spec.tenant, workspace: spec.workspace, name: spec.name }, spec.labels);
    const env = checkEnv(spec.env);
    // Never drop a restriction silently: refuse what processes cannot enforce.
    if (spec.mounts?.length) throw DriverError.unsupported('the process driver cannot mount volumes');
    if (spec.readOnlyRoot) throw DriverError.unsupported('the process driver cannot make the root read-only');
    if (spec.tmpfs && Object.keys(spec.tmpfs).length) throw DriverError.unsupported('the process driver cannot mount tmpfs');
    if (spec.networkMode !== undefined && spec.networkMode !== 'host') {
      throw DriverError.unsupported(`the process driver cannot isolate the network (asked ${spec.networkMode})`);
    }
    const workingDir = spec.workingDir ?? '/work';
    const id = randomBytes(12).toString('hex');
    const dir = this.dir(id);
    sessionPath(dir, workingDir);
    if (spec.name !== undefined && (await this.allStates()).some((s) => s.name === spec.name && s.tenant === spec.tenant)) {
      throw DriverError.conflict(`container name ${spec.name} is in use`);
    }
    const state: State = {
      v: 1,
      id,
      name: spec.name,
      tenant: spec.tenant,
      workspace: spec.workspace,
      image: spec.image,
      cmd: spec.cmd,
      env,
      workingDir,
      labels,
      limits,
      createdAt: new Date().toISOString(),
      status: 'created',
      jobs: {},
    };
    try {
      await mkdir(this.opts.root, { recursive: true, mode: 0o700 });
      await mkdir(dir, { mode: 0o700 });
      await Promise.all(['work', 'output', 'logs'].map((d) => mkdir(join(dir, d))));
      await mkdir(sessionPath(dir, workingDir), { recursive: true });
      await this.writeState(state);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw DriverError.invalidArgument(`cannot create session directory: ${(err as Error).message}`, err);
    }
    this.emit('create', state);
    return this.toInfo(state);
  }

  /** Host working directory for a container path, created when missing, symlinks resolved and checked. */
  private async cwd(s: State, p: string | undefined): Promise<string> {
    const dir = this.dir(s.id);
    const abs = sessionPath(dir, p ?? s.workingDir);
    let real = this.realDirs.get(s.id);
    if (!real) this.realDirs.set(s.id, (real = await realpath(dir)));
    // realpath every time: a process may have swapped a directory for a symlink since.
    // Like an engine's WorkingDir, a missing directory is created.
    const resolved = await realpath(abs).catch(async () => {
      await mkdir(abs, { recursive: true });
      return realpath(abs);
    });
    assertInside(real, resolved);
    return abs;
  }

  private envFor(s: State, extra?: Record<string, string>): Record<string, string> {
    return { ...this.baseEnv, HOME: join(this.dir(s.id), 'work'), ...s.env, ...checkEnv(extra), [MARKER]: s.id };
  }

  /** Spawns with limits applied through prlimit (a bare spawn when no limit is set), in a new process group. */
  private spawnLimited(
    s: State,
    cmd: string[],
    cwd: string,
    env: Record<string, string>,
    stdio: ('ignore' | 'pipe' | number)[],
  ): ChildProcess {
    const args = prlimitArgs(s.limits);
    const [file, argv] = args.length ? [this.prlimit, [...args, '--', ...cmd]] : [cmd[0], cmd.slice(1)];
    return spawn(file, argv, { cwd, env, detached: true, stdio });
  }

  async start(ref: ContainerRef, opts: DeadlineOptions = {}): Promise<void> {
    const found = await this.resolve(ref);
    await withDeadline('start', opts.timeoutMs ?? 30_000, () => this.startLocked(found.id));
  }

  private startLocked(id: string): Promise<void> {
    const found = { id };
    return this.serial(found.id, async () => {
      const s = (await this.readState(found.id)) as State;
      if ((await this.liveStatus(s)) === 'running') return;
      if (!s.cmd) {
        s.status = 'running';
        s.exitCode = undefined;
        await this.writeState(s);
        this.emit('start', s);
        return;
      }
      const cwd = await this.cwd(s, undefined);
      const dir = this.dir(s.id);
      const out = openSync(join(dir, 'logs', 'stdout'), 'a');
      const err = openSync(join(dir, 'logs', 'stderr'), 'a');
      let child: ChildProcess;
      try {
        child = this.spawnLimited(s, s.cmd, cwd, this.envFor(s), ['ignore', out, err]);
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', resolve);
          child.once('error', reject);
        });
      } catch (e) {
        throw DriverError.invalidArgument(`cannot start ${s.cmd[0]}: ${(e as Error).message}`, e);
      } finally {
        closeSync(out);
        closeSync(err);
      }
      child.unref();
      const pid = child.pid as number;
      this.mains.set(s.id, child);
      child.once('exit', (code, signal) => {
        void this.serial(s.id, async () => {
          const cur = await this.readState(s.id);
          if (!cur || cur.pid !== pid) return;
          cur.status = 'exited';
          cur.exitCode = exitCodeOf(code, signal);
          await this.writeState(cur);
          this.emit('die', cur);
        })
          .catch((e) => this.log.warn({ err: e, id: s.id }, 'could not record exit'))
          // Only now: `wait` treats a dead pid without a watcher as "exit code unknown".
          .finally(() => this.mains.get(s.id) === child && this.mains.delete(s.id));
      });
      s.status = 'running';
      s.pid = pid;
      s.pidStart = await processStartTime(pid);
      s.exitCode = undefined;
      await this.writeState(s);
      this.emit('start', s);
    });
  }

  /** Every process of the session: its groups, and any pid carrying the session marker. */
  private async treeOf(s: State): Promise<{ groups: number[]; pids: number[] }> {
    const groups: number[] = [];
    if (s.pid !== undefined && (await isAlive(s.pid, s.pidStart))) groups.push(s.pid);
    for (const j of Object.values(s.jobs)) if (await isAlive(j.pid, j.pidStart)) groups.push(j.pid);
    for (const j of this.jobs.values()) if (j.containerId === s.id && j.running && j.child.pid) groups.push(j.child.pid);
    const pids = (await pidsWithEnv(`${MARKER}=${s.id}`)).filter((p) => p !== process.pid);
    return { groups, pids };
  }

  /** SIGTERM the whole tree, SIGKILL what is left after `graceMs`. */
  private async killTree(s: State, graceMs: number): Promise<void> {
    let tree = await this.treeOf(s);
    if (!tree.groups.length && !tree.pids.length) return;
    signalAll(tree.groups, tree.pids, 'SIGTERM');
    const until = Date.now() + graceMs;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      tree = await this.treeOf(s);
      if (!tree.groups.length && !tree.pids.length) return;
    }
    signalAll(tree.groups, tree.pids, 'SIGKILL');
    for (let i = 0; i < 40; i++) {
      tree = await this.treeOf(s);
      if (!tree.groups.length && !tree.pids.length) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(ref: ContainerRef, opts: StopOptions = {}): Promise<void> {
    const found = await this.resolve(ref);
    const graceMs = opts.graceMs ?? 10_000;
    await withDeadline('stop', opts.timeoutMs ?? graceMs + 15_000, () =>
      this.serial(found.id, async () => {
        const s = (await this.readState(found.id)) as State;
        const wasRunning = (await this.liveStatus(s)) === 'running';
        const main = this.mains.get(s.id);
        await this.killTree(s, graceMs);
        if (main && main.exitCode === null && main.signalCode === null) {
          await new Promise((r) => {
            main.once('exit', r);
            setTimeout(r, 500);
          });
        }
        if (s.status === 'running') {
          s.status = 'exited';
          if (main) s.exitCode = exitCodeOf(main.exitCode, main.signalCode);
          else if (s.exitCode === undefined) s.exitCode = s.pid !== undefined ? 143 : 0;
        }
        s.jobs = {};
        await this.writeState(s);
        if (wasRunning) this.emit('die', s);
      }),
    );
  }

  async remove(ref: ContainerRef, opts: { force?: boolean } = {}): Promise<void> {
    const found = await this.resolve(ref);
    await this.serial(found.id, async () => {
      const s = await this.readState(found.id);
      if (!s) return;
      if ((await this.liveStatus(s)) === 'running') {
        if (!opts.force) throw DriverError.conflict(`container ${ref.id} is running; stop it or pass force`);
      }
      await this.killTree(s, 0);
      for (const [jid, j] of this.jobs) if (j.containerId === s.id) this.jobs.delete(jid);
      this.mains.delete(s.id);
      await rm(this.dir(s.id), { recursive: true, force: true });
      this.cache.delete(s.id);
      this.realDirs.delete(s.id);
      this.emit('destroy', s);
    });
  }

  async inspect(ref: ContainerRef): Promise<ContainerInfo> {
    return this.toInfo(await this.resolve(ref));
  }

  async wait(ref: ContainerRef, opts: DeadlineOptions = {}): Promise<number> {
    const s0 = await this.resolve(ref);
    return withDeadline('wait', opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT, async (signal) => {
      while (!signal.aborted) {
        const s = await this.readState(s0.id);
        if (!s) throw DriverError.notFound(`container ${ref.id}`);
        if (s.status === 'exited') return s.exitCode ?? 0;
        if (s.status === 'running' && s.pid !== undefined && !this.mains.has(s.id) && !(await isAlive(s.pid, s.pidStart))) {
          // The watcher may have recorded the exit between our read and now: read once more.
          const last = await this.readState(s0.id);
          return last?.exitCode ?? -1;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return -1;
    });
  }

  async list(tenant: string, filter: ListFilter = {}): Promise<ContainerInfo[]> {
    assertTenant(tenant);
    const states = (await this.allStates()).filter(
      (s) =>
        ownedBy(s.labels, tenant) &&
        (filter.workspace === undefined || s.workspace === filter.workspace) &&
        matchesLabels(s.labels, filter.labels),
    );
    return Promise.all(states.map((s) => this.toInfo(s)));
  }

  async listAll(filter: { labels?: Record<string, string> } = {}): Promise<ContainerInfo[]> {
    const states = (await this.allStates()).filter((s) => matchesLabels(s.labels, filter.labels));
    return Promise.all(states.map((s) => this.toInfo(s)));
  }

  // ---- exec ------------------------------------------------------------------------

  private async running(ref: ContainerRef): Promise<State> {
    const s = await this.resolve(ref);
    if ((await this.liveStatus(s)) !== 'running') throw DriverError.conflict(`container ${ref.id} is not running`);
    return s;
  }

  async exec(ref: ContainerRef, spec: ExecSpec): Promise<ExecResult> {
    const started = Date.now();
    assertCmd(spec?.cmd);
    const s = await this.running(ref);
    const cwd = await this.cwd(s, spec.workingDir);
    const cap = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const out = new HeadBuffer(cap);
    const err = new HeadBuffer(cap);
    const timeoutMs = spec.timeoutMs ?? DEFAULT_EXEC_TIMEOUT;
    const child = this.spawnLimited(s, spec.cmd, cwd, this.envFor(s, spec.env), ['ignore', 'pipe', 'pipe']);
    const onData = (stream: 'stdout' | 'stderr') => (d: Buffer) => {
      (stream === 'stdout' ? out : err).push(d);
      spec.onOutput?.({ stream, data: d });
    };
    child.stdout?.on('data', onData('stdout'));
    child.stderr?.on('data', onData('stderr'));
    const done = new Promise<number>((resolve) => {
      child.once('error', (e: NodeJS.ErrnoException) => {
        // Same as a shell: a command that cannot be found exits 127.
        err.push(Buffer.from(`${spec.cmd[0]}: ${e.code === 'ENOENT' ? 'not found' : e.message}\n`));
        resolve(e.code === 'ENOENT' ? 127 : 126);
      });
      child.once('close', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
    let exitCode: number;
    try {
      exitCode = await withDeadline(`exec ${spec.cmd[0]}`, timeoutMs, () => done, spec.signal);
    } catch (e) {
      if (child.pid) signalAll([child.pid], [], 'SIGKILL');
      throw e;
    }
    return {
      exitCode,
      stdout: out.toBuffer(),
      stderr: err.toBuffer(),
      truncated: out.truncated || err.truncated,
      durationMs: Date.now() - started,
    };
  }

  async execTty(ref: ContainerRef, spec: TtyExecSpec): Promise<TtySession> {
    assertCmd(spec?.cmd);
    if (!(await this.capabilities()).tty) throw DriverError.unsupported('no script(1) for TTY sessions');
    const s = await this.running(ref);
    const cwd = await this.cwd(s, spec.workingDir);
    const quoted = spec.cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // script(1) gives the command a real pty; its own stdio stay pipes to us.
    const child = this.spawnLimited(
      s,
      [this.opts.scriptPath ?? '/usr/bin/script', '-q', '-f', '-e', '-c', quoted, '/dev/null'],
      cwd,
      { ...this.envFor(s, spec.env), TERM: spec.env?.TERM ?? 'xterm-256color', SHELL: '/bin/sh' },
      ['pipe', 'pipe', 'pipe'],
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(DriverError.unsupported(`cannot start a TTY: ${e.message}`, e)));
    });
    const readable = new PassThrough();
    child.stdout?.pipe(readable);
    child.stderr?.on('data', (d: Buffer) => readable.write(d));
    const stream = Duplex.from({ readable, writable: child.stdin ?? undefined }) as Duplex;
    // The command ending closes stdin under the duplex ("premature close"): that is the
    // normal end of a session, not an error a caller must handle.
    stream.on('error', (e) => this.log.debug({ err: e }, 'tty stream closed'));
    child.stdin?.on('error', () => undefined);
    const exited = new Promise<number>((resolve) => child.once('close', (code, sig) => resolve(exitCodeOf(code, sig))));
    const ptyOf = async (): Promise<string | undefined> => {
      // The pty slave is the stdin of script's child (the command's session leader).
      for (let i = 0; i < 40; i++) {
        const kids = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '');
        for (const k of kids.trim().split(/\s+/).filter(Boolean)) {
          const link = await realpath(`/proc/${k}/fd/0`).catch(() => '');
          if (link.startsWith('/dev/pts/')) return link;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return undefined;
    };
    const resize = async (cols: number, rows: number): Promise<void> => {
      if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1) {
        throw DriverError.invalidArgument(`terminal size ${cols}x${rows} is invalid`);
      }
      const pty = await ptyOf();
      if (!pty) throw DriverError.conflict('TTY session has ended');
      const stty = spawn(this.opts.sttyPath ?? '/usr/bin/stty', ['-F', pty, 'rows', String(rows), 'cols', String(cols)], { stdio: 'ignore' });
      await withDeadline('resize', 5000, () => new Promise((r) => stty.once('close', r)));
    };
    await resize(spec.cols ?? 80, spec.rows ?? 24).catch((e) => this.log.debug({ err: e }, 'initial resize failed'));
    return {
      stream,
      resize,
      exited,
      close: () => {
        if (child.pid) signalAll([child.pid], [], 'SIGHUP');
        stream.destroy();
      },
    };
  }

  async execBackground(ref: ContainerRef, spec: BackgroundSpec): Promise<BackgroundJob> {
    assertCmd(spec?.cmd);
    const s = await this.running(ref);
    const cwd = await this.cwd(s, spec.workingDir);
    const cap = spec.maxOutputBytes ?? DEFAULT_BG_OUTPUT;
    const child = this.spawnLimited(s, spec.cmd, cwd, this.envFor(s, spec.env), ['ignore', 'pipe', 'pipe']);
    const job: LiveJob = { tenant: ref.tenant, containerId: s.id, child, stdout: new TailBuffer(cap), stderr: new TailBuffer(cap), running: true };
    child.stdout?.on('data', (d: Buffer) => job.stdout.push(d));
    child.stderr?.on('data', (d: Buffer) => job.stderr.push(d));
    const jobId = randomBytes(8).toString('hex');
    child.once('close', (code, signal) => {
      job.running = false;
      if (job.exitCode === undefined) job.exitCode = exitCodeOf(code, signal);
    });
    await new Promise<void>((resolve) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) => {
        job.stderr.push(Buffer.from(`${spec.cmd[0]}: ${e.code === 'ENOENT' ? 'not found' : e.message}\n`));
        job.exitCode = e.code === 'ENOENT' ? 127 : 126;
        job.running = false;
        resolve();
      });
    });
    this.jobs.set(jobId, job);
    if (child.pid) {
      const pid = child.pid;
      const pidStart = await processStartTime(pid);
      await this.serial(s.id, async () => {
        const cur = await this.readState(s.id);
        if (!cur) return;
        cur.jobs[jobId] = { pid, pidStart, cmd: spec.cmd };
        await this.writeState(cur);
      });
    }
    return { id: jobId };
  }

  private async job(ref: ContainerRef, jobId: string): Promise<LiveJob> {
    const s = await this.resolve(ref);
    const job = this.jobs.get(jobId);
    if (!job || job.tenant !== ref.tenant || job.containerId !== s.id) throw DriverError.notFound(`background job ${jobId}`);
    return job;
  }

  async capture(ref: ContainerRef, jobId: string): Promise<CaptureResult> {
    const job = await this.job(ref, jobId);
    return {
      running: job.running,
      exitCode: job.exitCode,
      stdout: job.stdout.toBuffer(),
      stderr: job.stderr.toBuffer(),
      truncated: job.stdout.truncated || job.stderr.truncated,
    };
  }

  async kill(ref: ContainerRef, jobId: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const job = await this.job(ref, jobId);
    if (job.running && job.child.pid) signalAll([job.child.pid], [], signal);
  }

  logs(ref: ContainerRef, opts: LogsOptions = {}): AsyncIterable<OutputChunk> {
    let stopped = false;
    const q = new AsyncQueue<OutputChunk>(() => (stopped = true));
    opts.signal?.addEventListener('abort', () => {
      stopped = true;
      q.end();
    });
    void (async () => {
      try {
        const s = await this.resolve(ref);
        const files = { stdout: join(this.dir(s.id), 'logs', 'stdout'), stderr: join(this.dir(s.id), 'logs', 'stderr') };
        const offsets = { stdout: 0, stderr: 0 };
        const drain = async () => {
          for (const stream of ['stdout', 'stderr'] as const) {
            const size = await stat(files[stream]).then((x) => x.size, () => 0);
            if (size <= offsets[stream]) continue;
            const fh = await open(files[stream], 'r');
            try {
              const buf = Buffer.alloc(size - offsets[stream]);
              const { bytesRead } = await fh.read(buf, 0, buf.length, offsets[stream]);
              offsets[stream] += bytesRead;
              if (bytesRead) q.push({ stream, data: buf.subarray(0, bytesRead) });
            } finally {
              await fh.close();
            }
          }
        };
        await drain();
        while (opts.follow && !stopped) {
          const cur = await this.readState(s.id);
          const live = cur ? await this.liveStatus(cur) : 'exited';
          await new Promise((r) => setTimeout(r, 50));
          await drain();
          if (live !== 'running') break;
        }
        q.end();
      } catch (e) {
        q.end(e);
      }
    })();
    return q;
  }

  // ---- images and volumes: not available to plain processes -------------------------

  /** Always empty: the process driver has no images. */
  async listImages(): Promise<ImageInfo[]> {
    return [];
  }
  /** Always true: the image is only recorded, so any reference is accepted. */
  async imageExists(_image: string): Promise<boolean> {
    return true;
  }
  /** Throws `unsupported`. */
  async removeImage(_image: string): Promise<void> {
    throw DriverError.unsupported('the process driver has no images');
  }
  /** Throws `unsupported`. */
  async buildImage(_spec: BuildSpec): Promise<ImageInfo> {
    throw DriverError.unsupported('the process driver cannot build images');
  }
  /** Throws `unsupported`. */
  async createVolume(_tenant: string, _name: string): Promise<VolumeInfo> {
    throw DriverError.unsupported('the process driver has no volumes');
  }
  /** Always empty. */
  async listVolumes(tenant: string): Promise<VolumeInfo[]> {
    assertTenant(tenant);
    return [];
  }
  /** Throws `unsupported`. */
  async removeVolume(_tenant: string, _name: string): Promise<void> {
    throw DriverError.unsupported('the process driver has no volumes');
  }

  events(opts: { signal?: AbortSignal } = {}): AsyncIterable<DriverEvent> {
    const on = (e: DriverEvent) => q.push(e);
    const q: AsyncQueue<DriverEvent> = new AsyncQueue<DriverEvent>(() => this.emitter.off('event', on));
    this.emitter.on('event', on);
    opts.signal?.addEventListener('abort', () => {
      this.emitter.off('event', on);
      q.end();
    });
    return q;
  }

  async close(): Promise<void> {
    for (const j of this.jobs.values()) {
      j.child.stdout?.destroy();
      j.child.stderr?.destroy();
    }
    this.emitter.removeAllListeners();
  }
}
