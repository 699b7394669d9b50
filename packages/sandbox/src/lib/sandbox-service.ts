/**
 * The sandbox service: a workspace's containers and images for any transport. It takes
 * domain arguments and returns domain results; each transport (worker WebSocket, node
 * agent HTTPS, SSH agent, CLI) maps its own messages onto it.
 *
 * Every driver call it makes runs under its own deadline, so a frozen engine yields a
 * `timeout` from the service instead of a caller waiting forever.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import {
  isDriverError,
  type ContainerDriver,
  type ContainerInfo,
  type ContainerRef,
  type CreateSpec,
  type ImageInfo,
  type MountSpec,
} from '@bosun/container-driver';
import { silentLogger, type Logger } from '@bosun/logger';
import { BosunError } from '@bosun/protocol';
import { systemClock, withDeadline, type Clock } from '@bosun/util';
import { canonicalRoots, isInsideDir, resolveInsideRoots, stillCanonicalInside } from './allowed-roots.js';
import { setupRepository, type SetupRequest, type SetupResult } from './repository-setup.js';
import { applyProfile, resolveProfile, type SecurityProfile } from './security-profile.js';

/** Label holding the security profile a container was created with. */
export const PROFILE_LABEL = 'bosun-profile';
/**
 * Label holding the canonical bind-mount sources (a JSON array) recorded at create and
 * checked again at every start. Outside the driver's reserved `bosun.` prefix.
 */
export const BIND_SOURCES_LABEL = 'bosun-bind-sources';

/** Options of {@link SandboxService}. Defaults are filled in once, in the constructor. */
export interface SandboxServiceOptions {
  /** The container driver (engine or process). Required. */
  driver: ContainerDriver;
  /** Default `silentLogger`. */
  logger?: Logger;
  /** Weakest security profile accepted. Default `open`. */
  securityFloor?: SecurityProfile;
  /** Host directories bind mounts and build contexts may come from. Default none: bind mounts and dir contexts refused. */
  allowedRoots?: readonly string[];
  /** Deadline of every plain driver call (create, start, inspect, list, images…). Default 30 000 ms. */
  callTimeoutMs?: number;
  /** Deadline of an exec that names none. Default 300 000 ms (5 min). */
  execTimeoutMs?: number;
  /** Added to an exec's own deadline before the service gives up on the engine. Default 3 000 ms. */
  execGraceMs?: number;
  /** Output cap of exec and background capture, per stream. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Deadline of an image build. Default 1 800 000 ms (30 min). */
  buildTimeoutMs?: number;
  /** Timers for deadlines and background-exec kills. Default `systemClock`. */
  clock?: Clock;
}

type Settings = Readonly<Required<SandboxServiceOptions>>;

/** A host directory bind-mounted into the container; `source` must resolve inside an allowed root. */
export interface BindMountRequest {
  source: string;
  target: string;
  /** Default false. */
  readOnly?: boolean;
}

/** What {@link SandboxService.create} makes. */
export interface CreateContainerRequest {
  tenant: string;
  workspaceId: string;
  image: string;
  name?: string;
  /** Default: the image's command. */
  cmd?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Extra labels; `bosun-profile` and `bosun-bind-sources` are set by the service and overwritten. */
  labels?: Record<string, string>;
  mounts?: readonly BindMountRequest[];
  /** Named volumes of the tenant. */
  volumes?: readonly { name: string; target: string; readOnly?: boolean }[];
  tmpfs?: readonly { target: string; sizeBytes?: number }[];
  /** Tightened by the profile (the smaller value wins). */
  limits?: { cpus?: number; memoryBytes?: number; pids?: number };
  /** Default: the engine's; must be `none` (or absent) under `offline`. */
  network?: 'none' | 'bridge' | 'host';
  /** Default false (true under strict/offline). */
  readOnlyRoot?: boolean;
  /** Default: the floor. */
  securityProfile?: SecurityProfile;
}

/** What {@link SandboxService.create} made. */
export interface CreatedContainer {
  id: string;
  name: string;
  profile: SecurityProfile;
  /** Canonical host paths the engine was given as bind sources. */
  bindSources: string[];
}

/** A command run to completion. */
export interface ExecRequest {
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Kills the command after this long. Default the service's `execTimeoutMs`. */
  timeoutMs?: number;
}

/** How an exec ended. `timedOut` means the command outlived its `timeoutMs` and was killed. */
export interface ExecOutcome {
  /** Null when the command timed out. */
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  truncated: boolean;
}

/** Output so far of a background command: stdout then stderr, the newest `maxBytes`. */
export interface CaptureOutcome {
  output: Buffer;
  running: boolean;
  exitCode?: number;
}

/** A build context: a host directory inside the allowed roots, or a tar archive. */
export type BuildContext = { type: 'dir'; path: string } | { type: 'tar'; data: Buffer };

/** What {@link SandboxService.buildImage} builds. */
export interface BuildRequest {
  tag: string;
  context: BuildContext;
  /** Relative to the context. Default `Dockerfile`. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** Each progress line as it arrives. */
  onProgress?: (line: string) => void;
}

/**
 * One workspace container service for every transport: create (security profile and
 * floor, limits, mounts checked against the allowed roots through symlinks), start (bind
 * sources verified again), stop, remove, list, exec (foreground and background), images,
 * build and repository setup. Throws `BosunError`s or lets the driver's `DriverError`s
 * through; both carry registered codes.
 */
export class SandboxService {
  private readonly o: Settings;
  private readonly bgTimers = new Map<string, unknown>();

  constructor(options: SandboxServiceOptions) {
    if (!options?.driver) throw new TypeError('SandboxService needs a driver');
    const positive = (name: string, v: number) => {
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`SandboxService option ${name} must be a positive number, got ${v}`);
      return v;
    };
    const o: Required<SandboxServiceOptions> = {
      driver: options.driver,
      logger: options.logger ?? silentLogger,
      securityFloor: options.securityFloor ?? 'open',
      allowedRoots: Object.freeze([...(options.allowedRoots ?? [])]),
      callTimeoutMs: positive('callTimeoutMs', options.callTimeoutMs ?? 30_000),
      execTimeoutMs: positive('execTimeoutMs', options.execTimeoutMs ?? 5 * 60_000),
      execGraceMs: positive('execGraceMs', options.execGraceMs ?? 3_000),
      maxOutputBytes: positive('maxOutputBytes', options.maxOutputBytes ?? 1024 * 1024),
      buildTimeoutMs: positive('buildTimeoutMs', options.buildTimeoutMs ?? 30 * 60_000),
      clock: options.clock ?? systemClock,
    };
    this.o = Object.freeze(o);
  }

  /** The settings in force, defaults filled in. */
  get options(): Settings {
    return this.o;
  }

  // ---- allowed roots ---------------------------------------------------------------

  /**
   * The canonical path of a host path that must resolve inside the allowed roots
   * (`forbidden_path` otherwise, also for a relative or missing path).
   *
   * @param what - names the path in the error. Default `path`.
   */
  async resolveAllowedPath(path: string, what = 'path'): Promise<string> {
    return resolveInsideRoots(path, await this.roots(), what);
  }

  private roots(): Promise<string[]> {
    // Resolved on every call: a root that is a symlink may be re-pointed by the operator.
    return canonicalRoots(this.o.allowedRoots, this.o.logger);
  }

  // ---- containers ------------------------------------------------------------------

  /**
   * The driver's create spec for a request: profile resolved against the floor, limits
   * tightened, bind sources made canonical and checked against the allowed roots.
   */
  async createSpec(req: CreateContainerRequest): Promise<{ spec: CreateSpec; profile: SecurityProfile; bindSources: string[] }> {
    const profile = resolveProfile(req.securityProfile, this.o.securityFloor);
    const limits = applyProfile(req.limits, profile);
    if (limits.network === 'none' && req.network && req.network !== 'none') {
      throw new BosunError('security_floor', `security profile "${profile}" allows no network, but network "${req.network}" was asked for`);
    }
    const binds = req.mounts ?? [];
    if (binds.length && !this.o.allowedRoots.length) {
      throw BosunError.forbiddenPath('bind mounts are disabled: no allowed roots are configured');
    }
    const roots = binds.length ? await this.roots() : [];
    const bindSources: string[] = [];
    const mounts: MountSpec[] = [];
    for (const m of binds) {
      const source = await resolveInsideRoots(m.source, roots, 'bind mount source');
      bindSources.push(source);
      mounts.push({ type: 'bind', source, target: m.target, readOnly: m.readOnly });
    }
    for (const v of req.volumes ?? []) mounts.push({ type: 'volume', source: v.name, target: v.target, readOnly: v.readOnly });
    const tmpfs: Record<string, string> = { ...(limits.tmpfs ?? {}) };
    for (const t of req.tmpfs ?? []) tmpfs[t.target] = t.sizeBytes ? `rw,size=${t.sizeBytes}` : 'rw';
    const spec: CreateSpec = {
      tenant: req.tenant,
      workspace: req.workspaceId,
      image: req.image,
      name: req.name,
      cmd: req.cmd,
      env: req.env,
      workingDir: req.workingDir,
      labels: { ...(req.labels ?? {}), [PROFILE_LABEL]: profile, [BIND_SOURCES_LABEL]: JSON.stringify(bindSources) },
      mounts: mounts.length ? mounts : undefined,
      limits: { cpus: limits.cpus, memoryBytes: limits.memoryBytes, pids: limits.pids },
      networkMode: limits.network ?? req.network,
      readOnlyRoot: limits.readOnlyRoot || req.readOnlyRoot,
      tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    };
    return { spec, profile, bindSources };
  }

  /** Creates (does not start) a container; refused before the engine sees it when a bind source is not allowed. */
  async create(req: CreateContainerRequest): Promise<CreatedContainer> {
    const { spec, profile, bindSources } = await this.createSpec(req);
    const info = await this.call('container.create', () => this.o.driver.create(spec));
    return { id: info.id, name: info.name ?? info.id, profile, bindSources };
  }

  /**
   * Starts a container after checking its recorded bind sources again: engines mount at
   * start, so a source swapped for a symlink since create is caught here
   * (`forbidden_path`, and the container stays not started).
   */
  async start(ref: ContainerRef): Promise<ContainerInfo> {
    const before = await this.call('container.inspect', () => this.o.driver.inspect(ref));
    await this.verifyBindSources(ref, before);
    await this.call('container.start', () => this.o.driver.start(ref, { timeoutMs: this.o.callTimeoutMs }));
    return this.call('container.inspect', () => this.o.driver.inspect(ref));
  }

  private async verifyBindSources(ref: ContainerRef, info: ContainerInfo): Promise<void> {
    const raw = info.labels[BIND_SOURCES_LABEL];
    if (raw === undefined) {
      // Made by something other than this service (it always records the label).
      this.o.logger.debug({ tenant: ref.tenant, container: ref.id }, 'container has no recorded bind sources; start not re-verified');
      return;
    }
    let sources: unknown;
    try {
      sources = JSON.parse(raw);
    } catch {
      sources = undefined;
    }
    if (!Array.isArray(sources) || sources.some((s) => typeof s !== 'string')) {
      throw BosunError.forbiddenPath(`container ${ref.id} has unreadable recorded bind sources; refusing to start it`);
    }
    if (!sources.length) return;
    const roots = await this.roots();
    for (const source of sources as string[]) {
      if (!(await stillCanonicalInside(source, roots))) {
        this.o.logger.warn({ tenant: ref.tenant, container: ref.id, source }, 'bind source changed since create; start refused');
        throw BosunError.forbiddenPath(`bind mount source ${source} no longer resolves to itself inside the allowed roots; container ${ref.id} not started`, {
          path: source,
        });
      }
    }
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs` (default 10 000 ms); the call's deadline is
   * `graceMs` plus `callTimeoutMs`.
   */
  async stop(ref: ContainerRef, opts: { graceMs?: number } = {}): Promise<ContainerInfo> {
    const graceMs = opts.graceMs ?? 10_000;
    const timeoutMs = graceMs + this.o.callTimeoutMs;
    await this.call('container.stop', () => this.o.driver.stop(ref, { graceMs, timeoutMs }), timeoutMs);
    return this.call('container.inspect', () => this.o.driver.inspect(ref));
  }

  /** Removes a container; false when it was already gone. `force` (default false) kills a running one. */
  async remove(ref: ContainerRef, opts: { force?: boolean } = {}): Promise<boolean> {
    try {
      await this.call('container.remove', () => this.o.driver.remove(ref, { force: !!opts.force }));
      return true;
    } catch (err) {
      if (isDriverError(err, 'not_found')) return false;
      throw err;
    }
  }

  /** Current state of one container. */
  inspect(ref: ContainerRef): Promise<ContainerInfo> {
    return this.call('container.inspect', () => this.o.driver.inspect(ref));
  }

  /** A tenant's containers, optionally one workspace's. */
  list(tenant: string, filter: { workspaceId?: string } = {}): Promise<ContainerInfo[]> {
    return this.call('container.list', () => this.o.driver.list(tenant, filter.workspaceId ? { workspace: filter.workspaceId } : undefined));
  }

  /** Every bosun-managed container of every tenant (for the agent itself, never for a tenant). */
  listAll(): Promise<ContainerInfo[]> {
    return this.call('container.list-all', () => this.o.driver.listAll());
  }

  // ---- exec ------------------------------------------------------------------------

  /**
   * Runs a command to completion. A command that outlives `timeoutMs` is killed and
   * reported with `timedOut: true`; an engine that does not answer within `timeoutMs`
   * plus `execGraceMs` rejects with `timeout`.
   */
  exec(ref: ContainerRef, req: ExecRequest): Promise<ExecOutcome> {
    const timeoutMs = req.timeoutMs ?? this.o.execTimeoutMs;
    return this.call(
      'container.exec',
      async (signal) => {
        try {
          const r = await this.o.driver.exec(ref, {
            cmd: req.cmd,
            env: req.env,
            workingDir: req.workingDir,
            timeoutMs,
            maxOutputBytes: this.o.maxOutputBytes,
            signal,
          });
          return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: false, truncated: r.truncated };
        } catch (err) {
          if (isDriverError(err, 'timeout') && !signal.aborted) {
            return { exitCode: null, stdout: Buffer.alloc(0), stderr: Buffer.from(err.message), timedOut: true, truncated: false };
          }
          throw err;
        }
      },
      timeoutMs + this.o.execGraceMs,
    );
  }

  /**
   * Starts a command and returns its id at once. With `timeoutMs`, it is sent SIGKILL
   * after that long (default: it runs until killed or it ends).
   */
  async execBackground(ref: ContainerRef, req: Omit<ExecRequest, 'timeoutMs'> & { timeoutMs?: number }): Promise<string> {
    const job = await this.call('container.exec.background', () =>
      this.o.driver.execBackground(ref, { cmd: req.cmd, env: req.env, workingDir: req.workingDir, maxOutputBytes: this.o.maxOutputBytes }),
    );
    if (req.timeoutMs) {
      const key = `${ref.tenant}\0${job.id}`;
      const timer = this.o.clock.setTimeout(() => {
        this.bgTimers.delete(key);
        this.call('container.exec.background.kill', () => this.o.driver.kill(ref, job.id, 'SIGKILL')).catch((err: unknown) =>
          this.o.logger.warn({ err, tenant: ref.tenant, execId: job.id }, 'background exec kill at its deadline failed'),
        );
      }, req.timeoutMs);
      this.bgTimers.set(key, timer);
    }
    return job.id;
  }

  /** Signals a background command (default SIGTERM); false when it had already ended. */
  async killBackground(ref: ContainerRef, execId: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
    const before = await this.call('container.exec.background.capture', () => this.o.driver.capture(ref, execId));
    if (!before.running) return false;
    await this.call('container.exec.background.kill', () => this.o.driver.kill(ref, execId, signal));
    return true;
  }

  /** Output so far of a background command: stdout then stderr, the newest `maxBytes` (default all that is kept). */
  async captureBackground(ref: ContainerRef, execId: string, opts: { maxBytes?: number } = {}): Promise<CaptureOutcome> {
    const c = await this.call('container.exec.background.capture', () => this.o.driver.capture(ref, execId));
    let output = Buffer.concat([c.stdout, c.stderr]);
    if (opts.maxBytes !== undefined && output.length > opts.maxBytes) output = output.subarray(output.length - opts.maxBytes);
    if (!c.running) {
      const key = `${ref.tenant}\0${execId}`;
      const t = this.bgTimers.get(key);
      if (t !== undefined) this.o.clock.clearTimeout(t);
      this.bgTimers.delete(key);
    }
    return c.running ? { output, running: true } : { output, running: false, ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}) };
  }

  // ---- images ----------------------------------------------------------------------

  /** Local images. */
  listImages(): Promise<ImageInfo[]> {
    return this.call('images.list', () => this.o.driver.listImages());
  }

  /** True when the image is present locally. */
  imageExists(image: string): Promise<boolean> {
    return this.call('image.check', () => this.o.driver.imageExists(image));
  }

  /** Deletes an image; false when it was not there. `force` (default false) removes one in use. */
  async deleteImage(image: string, opts: { force?: boolean } = {}): Promise<boolean> {
    try {
      await this.call('image.delete', () => this.o.driver.removeImage(image, { force: !!opts.force }));
      return true;
    } catch (err) {
      if (isDriverError(err, 'not_found') || isDriverError(err, 'image_not_found')) return false;
      throw err;
    }
  }

  /**
   * Builds an image. A directory context must resolve inside the allowed roots and its
   * Dockerfile inside the context (through symlinks); the driver is given the canonical
   * directory. Deadline `buildTimeoutMs`.
   */
  async buildImage(req: BuildRequest): Promise<{ tag: string; imageId: string }> {
    const dockerfile = req.dockerfile ?? 'Dockerfile';
    if (isAbsolute(dockerfile) || normalize(dockerfile).split(/[\\/]/)[0] === '..') {
      throw BosunError.forbiddenPath(`dockerfile ${dockerfile} must be a path inside the build context`);
    }
    let context: string | Buffer;
    if (req.context.type === 'dir') {
      if (!this.o.allowedRoots.length) throw BosunError.forbiddenPath('directory build contexts are disabled: no allowed roots are configured');
      context = await this.resolveAllowedPath(req.context.path, 'build context');
      let df: string;
      try {
        df = await realpath(join(context, dockerfile));
      } catch {
        throw BosunError.invalidArgument(`dockerfile ${dockerfile} not found in the build context`);
      }
      // A Dockerfile that is a symlink out of the context would be read on the host (by the driver and the engine).
      if (!isInsideDir(df, context)) throw BosunError.forbiddenPath(`dockerfile ${dockerfile} resolves outside the build context`);
    } else {
      context = req.context.data;
    }
    const timeoutMs = this.o.buildTimeoutMs;
    const info = await this.call(
      'image.build',
      () =>
        this.o.driver.buildImage({
          context,
          tag: req.tag,
          dockerfile,
          buildArgs: req.buildArgs,
          timeoutMs,
          onProgress: req.onProgress,
        }),
      timeoutMs,
    );
    return { tag: req.tag, imageId: info.id };
  }

  // ---- repository setup ------------------------------------------------------------

  /** Clones a repository and writes the instructions file in a running container (see {@link setupRepository}). */
  setupRepository(ref: ContainerRef, req: SetupRequest): Promise<SetupResult> {
    return setupRepository(async (cmd, env, timeoutMs) => {
      const r = await this.exec(ref, { cmd, env, timeoutMs });
      if (r.timedOut) throw BosunError.timeout(`setup step ${cmd[0]}`, timeoutMs ?? this.o.execTimeoutMs);
      return r;
    }, req);
  }

  /** Cancels pending background-exec kill timers (the driver is the caller's to close). */
  close(): void {
    for (const t of this.bgTimers.values()) this.o.clock.clearTimeout(t);
    this.bgTimers.clear();
  }

  /** One driver call under its own deadline (default `callTimeoutMs`). */
  private call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, ms = this.o.callTimeoutMs): Promise<T> {
    return withDeadline(what, ms, fn, {
      clock: this.o.clock,
      onTimeout: (w, m) => new BosunError('timeout', `${w}: the container engine did not answer within ${m} ms`, { details: { timeoutMs: m } }),
    });
  }
}
