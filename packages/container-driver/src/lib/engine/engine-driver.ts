/**
 * The engine driver: the ContainerDriver interface over the Docker Engine API (Docker,
 * or Podman's Docker-compatible service) through dockerode.
 *
 * Podman 4.3 quirks handled here (see the package README):
 * - exec resize answers 201, which dockerode reports as an error: treated as success.
 * - `container.attach` feeds dockerode's JSON body into stdin: interactive sessions use
 *   exec with a hijacked connection instead, never attach.
 * - a failed pull (and a failed build) reports failure only inside the progress stream:
 *   the stream is parsed and an `error` line becomes a DriverError.
 * - `Ulimits` in a create replace `default_ulimits` instead of adding to them: base
 *   ulimits are sent along (see `baseUlimits`).
 * - `wait` answers only after the cleanup process ran: the driver polls inspect.
 * - build rejects a query key sent without a value (400 "unexpected").
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { DriverError } from '../errors.js';
import { AsyncQueue, withDeadline } from '../deadline.js';
import { Demuxer, demuxAll } from '../demux.js';
import { assertName, assertTenant, buildLabels, engineName, LABELS, labelFilter, ownedBy } from '../labels.js';
import { validateLimits, type HostCapacity } from '../limits.js';
import { silentLogger, type Logger } from '../logger.js';
import { HeadBuffer, TailBuffer } from '../output.js';
import { engineGetJson, findEngineSocket, pingEngine, type EngineEndpoint, type EngineVersion } from '../socket.js';
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
  ListFilter,
  LogsOptions,
  OutputChunk,
  StopOptions,
  TtyExecSpec,
  TtySession,
  VolumeInfo,
} from '../types.js';
import { engineEvents } from './engine-events.js';
import { toDriverError } from './engine-errors.js';
import { EngineImages } from './engine-images.js';
import { EngineVolumes } from './engine-volumes.js';

/** Options of {@link EngineDriver.connect}. */
export interface EngineDriverOptions {
  /** Engine address (`unix:///path`, `/path`, `tcp://h:p`). Default: found by `findEngineSocket`. */
  dockerHost?: string;
  /** Environment for socket discovery (`DOCKER_HOST`, `XDG_RUNTIME_DIR`). Default `{}`: pass `process.env` from an app. */
  env?: Record<string, string | undefined>;
  /** Path existence check for discovery. Default `fs.existsSync`. */
  exists?: (path: string) => boolean;
  /** Host capacity for limit checks. Default from `os`. */
  host?: HostCapacity;
  /** Ping deadline. Default 2 000 ms. */
  pingTimeoutMs?: number;
  /**
   * Wrap exec'd commands in `/bin/sh -c 'echo $$; exec "$@"'` so a command past its
   * deadline (or a background one) can be killed inside the container. Needs `/bin/sh`
   * and `kill` in the image. Default true; when false a timed-out command is abandoned, not killed.
   */
  execWrapper?: boolean;
  /**
   * Ulimits sent with every create that sets `cpuSeconds` or `fileSizeBytes`. Podman
   * replaces its `default_ulimits` with the create's list (it does not merge), and on
   * hosts whose nofile hard limit it may not raise, start then fails with "error setting
   * rlimit type 7". Default `nofile=1024:1024`, `nproc=4096:4096` (the values DESIGN.md's
   * containers.conf sets); a limit asked for explicitly wins.
   */
  baseUlimits?: { Name: string; Soft: number; Hard: number }[];
  logger?: Logger;
}

const DEFAULT_EXEC_TIMEOUT = 60_000;
const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024;
const DEFAULT_BG_OUTPUT = 1024 * 1024;
const DEFAULT_CALL_TIMEOUT = 30_000;
const DEFAULT_BASE_ULIMITS = [
  { Name: 'nofile', Soft: 1024, Hard: 1024 },
  { Name: 'nproc', Soft: 4096, Hard: 4096 },
];
const WRAP = ['/bin/sh', '-c', 'echo $$; exec "$@"', 'sh'];

// dockerode loads ssh2 (for ssh:// hosts) and gRPC + protobufjs (for BuildKit sessions)
// when it is required: ~20 MB of RSS that an idle worker, which only pings the engine
// and counts containers (both over plain HTTP, see socket.ts), never needs. So it is
// required on the first call that uses it; synchronously, so `docker` stays a property.
const require = createRequire(import.meta.url);

interface BgJob {
  tenant: string;
  containerId: string;
  pid?: number;
  stdout: TailBuffer;
  stderr: TailBuffer;
  running: boolean;
  exitCode?: number;
  stream?: Duplex;
}

function envList(env: Record<string, string> | undefined): string[] | undefined {
  if (!env) return undefined;
  return Object.entries(env).map(([k, v]) => {
    if (!k || k.includes('=')) throw DriverError.invalidArgument(`environment name ${JSON.stringify(k)} is malformed`);
    return `${k}=${v}`;
  });
}

function assertCmd(cmd: unknown): asserts cmd is string[] {
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((c) => typeof c !== 'string')) {
    throw DriverError.invalidArgument('cmd must be a non-empty array of strings');
  }
}

function statusOf(s: string | undefined): ContainerStatus {
  switch (s) {
    case 'created':
    case 'configured':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'stopped':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** Reads a dockerode response stream to its end, or until the signal aborts. */
function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

/** ContainerDriver over a Docker-compatible engine. Create it with {@link EngineDriver.connect}. */
export class EngineDriver implements ContainerDriver {
  readonly kind = 'engine' as const;
  private readonly owned = new Map<string, string>();
  private readonly jobs = new Map<string, BgJob>();
  private readonly log: Logger;
  private readonly wrap: boolean;
  private client: Docker | undefined;
  private imageOps: EngineImages | undefined;
  private volumeOps: EngineVolumes | undefined;

  /** Prefer {@link EngineDriver.connect}; this takes an already pinged engine. */
  constructor(
    /** Where the engine listens. */
    readonly endpoint: EngineEndpoint,
    /** What the engine said about itself. */
    readonly engine: EngineVersion,
    private readonly opts: EngineDriverOptions = {},
  ) {
    this.log = opts.logger ?? silentLogger;
    this.wrap = opts.execWrapper ?? true;
  }

  /** The dockerode client (exposed for tools and tests), made on first use. */
  get docker(): Docker {
    if (!this.client) {
      const Dockerode = require('dockerode') as typeof Docker;
      const ep = this.endpoint;
      this.client = ep.socketPath ? new Dockerode({ socketPath: ep.socketPath }) : new Dockerode({ host: ep.host, port: ep.port, protocol: 'http' });
    }
    return this.client;
  }

  private get images(): EngineImages {
    return (this.imageOps ??= new EngineImages(this.docker));
  }

  private get volumes(): EngineVolumes {
    return (this.volumeOps ??= new EngineVolumes(this.docker));
  }

  /** Finds the engine, pings it within `pingTimeoutMs`, and returns a driver; `engine_unavailable` when none answers. */
  static async connect(opts: EngineDriverOptions = {}): Promise<EngineDriver> {
    const endpoint: EngineEndpoint | undefined = findEngineSocket({
      env: opts.env,
      dockerHost: opts.dockerHost,
      exists: opts.exists ?? existsSync,
    });
    if (!endpoint) throw DriverError.engineUnavailable('no engine socket found');
    const version = await pingEngine(endpoint, opts.pingTimeoutMs ?? 2000);
    return new EngineDriver(endpoint, version, opts);
  }

  async capabilities(): Promise<Capabilities> {
    return {
      kind: 'engine',
      engine: this.engine.name,
      version: this.engine.version,
      isolation: 'container',
      limits: { cpus: true, memory: true, pids: true, cpuTime: true, fileSize: true },
      images: true,
      build: true,
      volumes: true,
      mounts: true,
      networkModes: ['none', 'bridge', 'host'],
      readOnlyRoot: true,
      tty: true,
      events: true,
    };
  }

  // ---- containers ------------------------------------------------------------------

  /** Resolves a ref to the engine id of a container the tenant owns; `not_found` otherwise. */
  private async resolve(ref: ContainerRef): Promise<string> {
    assertTenant(ref?.tenant);
    if (typeof ref.id !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(ref.id)) {
      throw DriverError.notFound(`container ${JSON.stringify(ref.id)}`);
    }
    const key = `${ref.tenant}\0${ref.id}`;
    const hit = this.owned.get(key);
    if (hit) return hit;
    const info = (await this.inspectRaw(ref.id)) ?? (await this.inspectRaw(engineName(ref.tenant, ref.id)));
    if (!info || !ownedBy(info.Config?.Labels, ref.tenant)) throw DriverError.notFound(`container ${ref.id}`);
    this.owned.set(key, info.Id);
    return info.Id;
  }

  private async inspectRaw(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect({ abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw toDriverError(err, `container ${id}`);
    }
  }

  private forget(id: string): void {
    for (const [k, v] of this.owned) if (v === id) this.owned.delete(k);
  }

  private toInfo(i: Docker.ContainerInspectInfo): ContainerInfo {
    const labels = i.Config?.Labels ?? {};
    const status = statusOf(i.State?.Status);
    return {
      id: i.Id,
      name: labels[LABELS.name],
      tenant: labels[LABELS.tenant] ?? '',
      workspace: labels[LABELS.workspace] ?? '',
      image: i.Config?.Image ?? '',
      status,
      exitCode: status === 'exited' ? i.State?.ExitCode : undefined,
      labels,
      createdAt: new Date(i.Created).toISOString(),
    };
  }

  async create(spec: CreateSpec): Promise<ContainerInfo> {
    assertTenant(spec?.tenant);
    assertTenant(spec.workspace, 'workspace');
    if (spec.name !== undefined) assertName(spec.name);
    if (typeof spec.image !== 'string' || !spec.image) throw DriverError.invalidArgument('image is required');
    if (spec.cmd !== undefined) assertCmd(spec.cmd);
    const limits = validateLimits(spec.limits, this.opts.host);
    const labels = buildLabels({ tenant: spec.tenant, workspace: spec.workspace, name: spec.name }, spec.labels);

    const mounts: Docker.MountSettings[] = [];
    for (const m of spec.mounts ?? []) {
      if (!m.target?.startsWith('/')) throw DriverError.invalidArgument(`mount target ${m.target} must be absolute`);
      if (m.type === 'volume') {
        let source: string | undefined;
        if (m.source !== undefined) {
          assertName(m.source, 'volume');
          source = engineName(spec.tenant, m.source);
          await this.volumes.ownedVolume(spec.tenant, m.source);
        }
        mounts.push({ Type: 'volume', Source: source ?? '', Target: m.target, ReadOnly: !!m.readOnly });
      } else if (m.type === 'bind') {
        if (!m.source?.startsWith('/')) throw DriverError.invalidArgument(`bind source ${m.source} must be absolute`);
        mounts.push({ Type: 'bind', Source: m.source, Target: m.target, ReadOnly: !!m.readOnly });
      } else {
        throw DriverError.invalidArgument(`mount type ${(m as { type: string }).type} is not known`);
      }
    }
    const ulimits: { Name: string; Soft: number; Hard: number }[] = [];
    if (limits.cpuSeconds) ulimits.push({ Name: 'cpu', Soft: limits.cpuSeconds, Hard: limits.cpuSeconds });
    if (limits.fileSizeBytes) ulimits.push({ Name: 'fsize', Soft: limits.fileSizeBytes, Hard: limits.fileSizeBytes });
    if (ulimits.length) {
      const base = this.opts.baseUlimits ?? DEFAULT_BASE_ULIMITS;
      for (const u of base) if (!ulimits.some((x) => x.Name === u.Name)) ulimits.push(u);
    }

    const body: Docker.ContainerCreateOptions = {
      name: spec.name !== undefined ? engineName(spec.tenant, spec.name) : undefined,
      Image: spec.image,
      Cmd: spec.cmd,
      Env: envList(spec.env),
      WorkingDir: spec.workingDir,
      Labels: labels,
      HostConfig: {
        NanoCpus: limits.cpus !== undefined ? Math.round(limits.cpus * 1e9) : undefined,
        Memory: limits.memoryBytes,
        MemorySwap: limits.memoryBytes,
        PidsLimit: limits.pids,
        Ulimits: ulimits.length ? ulimits : undefined,
        NetworkMode: spec.networkMode,
        ReadonlyRootfs: !!spec.readOnlyRoot,
        Tmpfs: spec.tmpfs,
        Mounts: mounts.length ? mounts : undefined,
      },
    };
    let id: string;
    try {
      const c = await this.docker.createContainer({ ...body, abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) } as Docker.ContainerCreateOptions);
      id = c.id;
    } catch (err) {
      const e = toDriverError(err, `container ${spec.name ?? ''}`.trim(), { image: spec.image });
      // Create never pulls; a 404 whose wording we do not know is settled by asking for the image.
      if (e.code === 'not_found' && !(await this.imageExists(spec.image))) throw DriverError.imageNotFound(spec.image, err);
      throw e;
    }
    this.owned.set(`${spec.tenant}\0${id}`, id);
    // Built here rather than inspected: one round trip less on a hot path.
    return {
      id,
      name: spec.name,
      tenant: spec.tenant,
      workspace: spec.workspace,
      image: spec.image,
      status: 'created',
      labels,
      createdAt: new Date().toISOString(),
    };
  }

  async start(ref: ContainerRef, opts: DeadlineOptions = {}): Promise<void> {
    const id = await this.resolve(ref);
    await withDeadline('start', opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT, async (abortSignal) => {
      try {
        await this.docker.getContainer(id).start({ abortSignal });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 304) return;
        throw toDriverError(err, `container ${ref.id}`);
      }
    });
  }

  async stop(ref: ContainerRef, opts: StopOptions = {}): Promise<void> {
    const id = await this.resolve(ref);
    const graceMs = opts.graceMs ?? 10_000;
    await withDeadline('stop', opts.timeoutMs ?? graceMs + 15_000, async (abortSignal) => {
      try {
        await this.docker.getContainer(id).stop({ t: Math.ceil(graceMs / 1000), abortSignal });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 304) return;
        throw toDriverError(err, `container ${ref.id}`);
      }
    });
  }

  async remove(ref: ContainerRef, opts: { force?: boolean } = {}): Promise<void> {
    const id = await this.resolve(ref);
    try {
      // A running container without force: Docker answers 409, Podman 500 "state improper"; both map to conflict.
      await this.docker.getContainer(id).remove({ force: !!opts.force, v: true, abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        this.forget(id);
        return;
      }
      throw toDriverError(err, `container ${ref.id}`);
    }
    this.forget(id);
    for (const [jid, job] of this.jobs) if (job.containerId === id) this.jobs.delete(jid);
  }

  async inspect(ref: ContainerRef): Promise<ContainerInfo> {
    const id = await this.resolve(ref);
    const info = await this.inspectRaw(id);
    if (!info) {
      this.forget(id);
      throw DriverError.notFound(`container ${ref.id}`);
    }
    return this.toInfo(info);
  }

  async wait(ref: ContainerRef, opts: DeadlineOptions = {}): Promise<number> {
    const id = await this.resolve(ref);
    return withDeadline('wait', opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT, async (abortSignal) => {
      try {
        if (this.engine.name === 'podman') return await this.pollExit(id, abortSignal);
        const r = (await this.docker.getContainer(id).wait({ abortSignal })) as { StatusCode: number };
        return r.StatusCode;
      } catch (err) {
        throw toDriverError(err, `container ${ref.id}`);
      }
    });
  }

  /**
   * Podman 4.3's compat `wait` answers only after its `container cleanup` process ran,
   * 150–650 ms after the exit on these machines, while inspect shows the exit at once.
   * So poll inspect, from 5 ms backing off to 250 ms.
   */
  private async pollExit(id: string, signal: AbortSignal): Promise<number> {
    let delay = 5;
    while (!signal.aborted) {
      const info = await this.docker.getContainer(id).inspect({ abortSignal: signal });
      const status = statusOf(info.State?.Status);
      if (status === 'exited') return info.State.ExitCode;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(250, delay * 2);
    }
    throw DriverError.timeout('wait', 0);
  }

  private async listBy(filters: { label: string[] }): Promise<ContainerInfo[]> {
    let rows: Docker.ContainerInfo[];
    try {
      // The same request as dockerode's listContainers, without loading dockerode: this is the heartbeat's container count.
      const query = `all=true&filters=${encodeURIComponent(JSON.stringify(filters))}`;
      rows = await engineGetJson<Docker.ContainerInfo[]>(this.endpoint, `/containers/json?${query}`, AbortSignal.timeout(DEFAULT_CALL_TIMEOUT));
    } catch (err) {
      throw toDriverError(err, 'container list');
    }
    return rows.map((r) => {
      const labels = r.Labels ?? {};
      const status = statusOf(r.State);
      const code = /Exited \((-?\d+)\)/.exec(r.Status ?? '');
      return {
        id: r.Id,
        name: labels[LABELS.name],
        tenant: labels[LABELS.tenant] ?? '',
        workspace: labels[LABELS.workspace] ?? '',
        image: r.Image,
        status,
        exitCode: status === 'exited' && code ? Number(code[1]) : undefined,
        labels,
        createdAt: new Date(r.Created * 1000).toISOString(),
      };
    });
  }

  async list(tenant: string, filter: ListFilter = {}): Promise<ContainerInfo[]> {
    assertTenant(tenant);
    const rows = await this.listBy(labelFilter({ tenant, workspace: filter.workspace, labels: filter.labels }));
    // The engine filtered already; filter again so a lax engine never leaks another tenant.
    return rows.filter((r) => ownedBy(r.labels, tenant));
  }

  async listAll(filter: { labels?: Record<string, string> } = {}): Promise<ContainerInfo[]> {
    return this.listBy(labelFilter({ labels: filter.labels }));
  }

  // ---- exec ------------------------------------------------------------------------

  private async createExec(id: string, ref: ContainerRef, body: Docker.ExecCreateOptions): Promise<Docker.Exec> {
    try {
      return await this.docker.getContainer(id).exec({ ...body, abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) } as Docker.ExecCreateOptions);
    } catch (err) {
      const e = toDriverError(err, `container ${ref.id}`);
      if (e.code === 'conflict' || /not running|state improper/i.test(e.message)) {
        throw DriverError.conflict(`container ${ref.id} is not running`, err);
      }
      throw e;
    }
  }

  /** Exit code of a finished exec; Podman may need a moment after the stream ends. */
  private async execExitCode(ex: Docker.Exec): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const info = await ex.inspect();
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
      await new Promise((r) => setTimeout(r, 10));
    }
    return -1;
  }

  private async killInContainer(id: string, pid: number, signal: string): Promise<void> {
    const sig = signal.replace(/^SIG/, '');
    const ex = await this.docker.getContainer(id).exec({
      Cmd: ['/bin/sh', '-c', `kill -${sig} -"$1" 2>/dev/null || kill -${sig} "$1"`, 'sh', String(pid)],
      AttachStdout: true,
      AttachStderr: true,
    });
    const s = await ex.start({ hijack: true, stdin: false });
    await readAll(s);
  }

  /** Starts a wrapped exec and feeds demuxed output (minus the pid line) to `onChunk`. */
  private async startStreamed(
    id: string,
    ref: ContainerRef,
    spec: { cmd: string[]; env?: Record<string, string>; workingDir?: string },
    onChunk: (c: OutputChunk) => void,
    onPid: (pid: number) => void,
  ): Promise<{ ex: Docker.Exec; stream: Duplex; ended: Promise<void> }> {
    assertCmd(spec.cmd);
    const ex = await this.createExec(id, ref, {
      Cmd: this.wrap ? [...WRAP, ...spec.cmd] : spec.cmd,
      Env: envList(spec.env),
      WorkingDir: spec.workingDir,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    let stream: Duplex;
    try {
      stream = (await ex.start({ hijack: true, stdin: false })) as Duplex;
    } catch (err) {
      throw toDriverError(err, `exec in ${ref.id}`);
    }
    let pidLine: Buffer | undefined = this.wrap ? Buffer.alloc(0) : undefined;
    const demux = new Demuxer((c) => {
      if (pidLine !== undefined && c.stream === 'stdout') {
        const all = Buffer.concat([pidLine, c.data]);
        const nl = all.indexOf(10);
        if (nl < 0) {
          pidLine = all;
          return;
        }
        onPid(Number(all.subarray(0, nl).toString()));
        pidLine = undefined;
        const rest = all.subarray(nl + 1);
        if (rest.length) onChunk({ stream: 'stdout', data: rest });
        return;
      }
      onChunk(c);
    });
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (d: Buffer) => demux.push(d));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    return { ex, stream, ended };
  }

  async exec(ref: ContainerRef, spec: ExecSpec): Promise<ExecResult> {
    const started = Date.now();
    const id = await this.resolve(ref);
    const cap = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const out = new HeadBuffer(cap);
    const err = new HeadBuffer(cap);
    let pid: number | undefined;
    const timeoutMs = spec.timeoutMs ?? DEFAULT_EXEC_TIMEOUT;
    const run = await this.startStreamed(
      id,
      ref,
      spec,
      (c) => {
        (c.stream === 'stdout' ? out : err).push(c.data);
        spec.onOutput?.(c);
      },
      (p) => (pid = p),
    );
    try {
      await withDeadline(
        `exec ${spec.cmd[0]}`,
        Math.max(0, timeoutMs - (Date.now() - started)),
        async () => {
          try {
            await run.ended;
          } catch (e) {
            throw toDriverError(e, `exec in ${ref.id}`);
          }
        },
        spec.signal,
      );
    } catch (e) {
      run.stream.destroy();
      if (pid !== undefined) {
        await this.killInContainer(id, pid, 'SIGKILL').catch((k) => this.log.warn({ err: k, pid }, 'kill after deadline failed'));
      }
      throw e;
    }
    return {
      exitCode: await this.execExitCode(run.ex),
      stdout: out.toBuffer(),
      stderr: err.toBuffer(),
      truncated: out.truncated || err.truncated,
      durationMs: Date.now() - started,
    };
  }

  async execTty(ref: ContainerRef, spec: TtyExecSpec): Promise<TtySession> {
    const id = await this.resolve(ref);
    assertCmd(spec.cmd);
    const ex = await this.createExec(id, ref, {
      Cmd: spec.cmd,
      Env: envList({ TERM: 'xterm-256color', ...spec.env }),
      WorkingDir: spec.workingDir,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
    });
    let stream: Duplex;
    try {
      // Exec start with hijack, never container.attach: Podman 4.3 feeds attach's request body into stdin.
      stream = (await ex.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    } catch (err) {
      throw toDriverError(err, `exec in ${ref.id}`);
    }
    const resize = async (cols: number, rows: number): Promise<void> => {
      if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1) {
        throw DriverError.invalidArgument(`terminal size ${cols}x${rows} is invalid`);
      }
      await resizeExec(ex, cols, rows);
    };
    await resize(spec.cols ?? 80, spec.rows ?? 24).catch((e) => this.log.debug({ err: e }, 'initial resize failed'));
    const exited = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    }).then(() => this.execExitCode(ex).catch(() => -1));
    return { stream, resize, exited, close: () => stream.destroy() };
  }

  async execBackground(ref: ContainerRef, spec: BackgroundSpec): Promise<BackgroundJob> {
    if (!this.wrap) throw DriverError.unsupported('background exec needs execWrapper (sh in the image) to be killable');
    const id = await this.resolve(ref);
    const cap = spec.maxOutputBytes ?? DEFAULT_BG_OUTPUT;
    const job: BgJob = { tenant: ref.tenant, containerId: id, stdout: new TailBuffer(cap), stderr: new TailBuffer(cap), running: true };
    let pidSeen!: () => void;
    const pidReady = new Promise<void>((r) => (pidSeen = r));
    const run = await this.startStreamed(
      id,
      ref,
      spec,
      (c) => (c.stream === 'stdout' ? job.stdout : job.stderr).push(c.data),
      (p) => {
        job.pid = p;
        pidSeen();
      },
    );
    job.stream = run.stream;
    const jobId = `${run.ex.id}`;
    this.jobs.set(jobId, job);
    run.ended
      .catch(() => undefined)
      .then(async () => {
        job.exitCode = await this.execExitCode(run.ex).catch(() => -1);
        job.running = false;
        pidSeen();
      });
    // The pid line comes first; waiting for it means `kill` works as soon as we return.
    await withDeadline('background exec start', DEFAULT_CALL_TIMEOUT, () => pidReady);
    return { id: jobId };
  }

  private job(ref: ContainerRef, jobId: string): BgJob {
    const job = this.jobs.get(jobId);
    if (!job || job.tenant !== ref.tenant) throw DriverError.notFound(`background job ${jobId}`);
    return job;
  }

  async capture(ref: ContainerRef, jobId: string): Promise<CaptureResult> {
    const id = await this.resolve(ref);
    const job = this.job(ref, jobId);
    if (job.containerId !== id) throw DriverError.notFound(`background job ${jobId}`);
    return {
      running: job.running,
      exitCode: job.exitCode,
      stdout: job.stdout.toBuffer(),
      stderr: job.stderr.toBuffer(),
      truncated: job.stdout.truncated || job.stderr.truncated,
    };
  }

  async kill(ref: ContainerRef, jobId: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const id = await this.resolve(ref);
    const job = this.job(ref, jobId);
    if (job.containerId !== id) throw DriverError.notFound(`background job ${jobId}`);
    if (!job.running || job.pid === undefined) return;
    await withDeadline('kill', DEFAULT_CALL_TIMEOUT, () => this.killInContainer(id, job.pid as number, signal));
  }

  logs(ref: ContainerRef, opts: LogsOptions = {}): AsyncIterable<OutputChunk> {
    let stream: NodeJS.ReadableStream | undefined;
    const q = new AsyncQueue<OutputChunk>(() => (stream as unknown as Duplex | undefined)?.destroy());
    void (async () => {
      try {
        const id = await this.resolve(ref);
        const c = this.docker.getContainer(id);
        const base = { stdout: true as const, stderr: true as const, ...(opts.tail !== undefined ? { tail: opts.tail } : {}) };
        if (!opts.follow) {
          const buf = (await c.logs({ ...base, follow: false, abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) })) as unknown as Buffer;
          for (const chunk of demuxAll(Buffer.isBuffer(buf) ? buf : Buffer.from(buf))) q.push(chunk);
          q.end();
          return;
        }
        const live = await c.logs({ ...base, follow: true });
        stream = live;
        const demux = new Demuxer((chunk) => q.push(chunk));
        opts.signal?.addEventListener('abort', () => {
          (live as unknown as Duplex).destroy();
          q.end();
        });
        live.on('data', (d: Buffer) => demux.push(d));
        live.on('end', () => q.end());
        live.on('close', () => q.end());
        live.on('error', (e) => q.end(toDriverError(e, `logs of ${ref.id}`)));
      } catch (e) {
        q.end(toDriverError(e, `logs of ${ref.id}`));
      }
    })();
    return q;
  }

  // ---- images, volumes, events (engine-wide or tenant-scoped by name; see their files) ----

  async listImages(): Promise<ImageInfo[]> {
    return this.images.listImages();
  }

  async imageExists(image: string): Promise<boolean> {
    return this.images.imageExists(image);
  }

  async removeImage(image: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.images.removeImage(image, opts);
  }

  async buildImage(spec: BuildSpec): Promise<ImageInfo> {
    return this.images.buildImage(spec);
  }

  /**
   * Pulls an image (not part of ContainerDriver: most hosts here have no registry).
   * Podman 4.3 answers 200 and reports a failure only inside the progress stream;
   * that line becomes `image_not_found`. Default deadline 300 000 ms.
   */
  async pullImage(image: string, opts: DeadlineOptions & { onProgress?: (line: string) => void } = {}): Promise<void> {
    return this.images.pullImage(image, opts);
  }

  async createVolume(tenant: string, name: string, labels?: Record<string, string>): Promise<VolumeInfo> {
    return this.volumes.createVolume(tenant, name, labels);
  }

  async listVolumes(tenant: string): Promise<VolumeInfo[]> {
    return this.volumes.listVolumes(tenant);
  }

  async removeVolume(tenant: string, name: string): Promise<void> {
    return this.volumes.removeVolume(tenant, name);
  }

  events(opts: { signal?: AbortSignal } = {}): AsyncIterable<DriverEvent> {
    return engineEvents(this.docker, this.log, opts);
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.stream?.destroy();
    this.jobs.clear();
    this.owned.clear();
  }
}

/**
 * Resizes an exec's TTY. Podman 4.3 answers 201 Created, which dockerode's status map
 * treats as an error although the resize happened: 201 counts as success here.
 */
export async function resizeExec(ex: Docker.Exec, cols: number, rows: number): Promise<void> {
  try {
    await ex.resize({ h: rows, w: cols });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 201) return;
    throw toDriverError(err, `exec ${ex.id} resize`);
  }
}
