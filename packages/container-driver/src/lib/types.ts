/**
 * The `ContainerDriver` contract shared by the engine driver and the process driver.
 *
 * Every call that addresses an existing container takes a {@link ContainerRef}: the
 * tenant is part of the address, so a container of another tenant is simply not found.
 */
import type { Duplex } from 'node:stream';

/** Which implementation answers. */
export type DriverKind = 'engine' | 'process';

/** Addresses one container of one tenant. `id` is the id returned by `create` or the caller's name. */
export interface ContainerRef {
  tenant: string;
  id: string;
}

/** Resource limits. Every field is optional; absent means "no limit". */
export interface Limits {
  /** CPU share in cores, e.g. 0.5 (engine: NanoCpus). Must be > 0 and ≤ host cpu count. */
  cpus?: number;
  /** Memory in bytes (engine: cgroup memory; process: address space). ≥ 4 MiB and ≤ host memory. */
  memoryBytes?: number;
  /** Maximum number of processes / threads. Integer ≥ 1. */
  pids?: number;
  /** CPU time in seconds per process (rlimit CPU). Integer ≥ 1. */
  cpuSeconds?: number;
  /** Largest file a process may write, in bytes (rlimit FSIZE). Integer ≥ 1. */
  fileSizeBytes?: number;
}

/** A mount into the container. */
export type MountSpec =
  | {
      /** A named volume (created with `createVolume` by the same tenant), or anonymous when `source` is absent. */
      type: 'volume';
      source?: string;
      target: string;
      readOnly?: boolean;
    }
  | {
      /** A host directory. The caller (an app) is responsible for choosing a safe path. */
      type: 'bind';
      source: string;
      target: string;
      readOnly?: boolean;
    };

/** What `create` needs. */
export interface CreateSpec {
  /** Owner; every later call must name the same tenant. `[a-z0-9][a-z0-9_.-]{0,62}`. */
  tenant: string;
  /** Workspace id, stored as the `bosun.workspace` label. Same character rules as `tenant`. */
  workspace: string;
  /** Image reference. The process driver records it but does not use it. */
  image: string;
  /** Optional caller name, unique per tenant. `[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}`. */
  name?: string;
  /** Main command. Default: the image's (engine); none, the session just exists (process). */
  cmd?: string[];
  /** Extra environment, `{ KEY: value }`. Default none. */
  env?: Record<string, string>;
  /** Working directory inside the container. Default: image's (engine), `/work` (process). */
  workingDir?: string;
  /** Extra labels; keys starting with `bosun.` are reserved and rejected. */
  labels?: Record<string, string>;
  /** Mounts. Default none. */
  mounts?: MountSpec[];
  /** Resource limits. Default none. */
  limits?: Limits;
  /** `none`, `bridge`, `host` or a network name. Default: the engine's default; `host` for the process driver. */
  networkMode?: string;
  /** Read-only root filesystem. Default false. */
  readOnlyRoot?: boolean;
  /** tmpfs mounts, `{ '/tmp': 'size=64m' }`. Default none. */
  tmpfs?: Record<string, string>;
}

/** Container state as both drivers report it. */
export type ContainerStatus = 'created' | 'running' | 'exited' | 'unknown';

/** What `inspect` and `list` return. */
export interface ContainerInfo {
  /** Driver id; use it (or `name`) in a {@link ContainerRef}. */
  id: string;
  /** The caller's name, when one was given. */
  name?: string;
  tenant: string;
  workspace: string;
  image: string;
  status: ContainerStatus;
  /** Exit code of the main process once it exited. */
  exitCode?: number;
  /** All labels, including the `bosun.*` ones. */
  labels: Record<string, string>;
  /** Creation time (ISO 8601). */
  createdAt: string;
}

/** Narrows `list`. */
export interface ListFilter {
  /** Only this workspace. */
  workspace?: string;
  /** Only containers carrying all these labels. */
  labels?: Record<string, string>;
}

/** One chunk of output. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** What `exec` runs. */
export interface ExecSpec {
  /** Command and arguments (no shell is added). */
  cmd: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Working directory. Default: the container's. */
  workingDir?: string;
  /** Deadline; on expiry the command is killed and the call rejects with `timeout`. Default 60 000 ms. */
  timeoutMs?: number;
  /** Cap on bytes kept per stream in the result; later bytes are dropped and `truncated` is set. Default 8 MiB. */
  maxOutputBytes?: number;
  /** Streamed output, called as it arrives (not capped). */
  onOutput?: (chunk: OutputChunk) => void;
  /** Cancels the call (the command is killed). */
  signal?: AbortSignal;
}

/** What `exec` resolves with. */
export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** True when output beyond `maxOutputBytes` was dropped. */
  truncated: boolean;
  durationMs: number;
}

/** What `execTty` runs. */
export interface TtyExecSpec {
  /** Command; e.g. `['/bin/sh']`. */
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Initial size. Default 80×24. */
  cols?: number;
  rows?: number;
}

/** An interactive session: write keystrokes to `stream`, read the terminal from it. */
export interface TtySession {
  /** Raw terminal bytes in both directions. */
  stream: Duplex;
  /** Changes the terminal size. */
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exit code once the command ends (`-1` when the engine cannot tell). */
  exited: Promise<number>;
  /** Ends the session (closes the stream; the command gets EOF / hangup). */
  close(): void;
}

/** What `execBackground` runs. */
export interface BackgroundSpec {
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Kept output per stream (the newest bytes win). Default 1 MiB. */
  maxOutputBytes?: number;
}

/** Handle of a background command. */
export interface BackgroundJob {
  /** Pass to `capture` and `kill`. */
  id: string;
}

/** Output so far of a background command. */
export interface CaptureResult {
  running: boolean;
  exitCode?: number;
  stdout: Buffer;
  stderr: Buffer;
  /** True when older output was dropped to respect the cap. */
  truncated: boolean;
}

/** Options for `logs`. */
export interface LogsOptions {
  /** Keep streaming until the container stops or `signal` aborts. Default false. */
  follow?: boolean;
  /** Only the last N lines (engine only; the process driver returns everything). Default all. */
  tail?: number;
  signal?: AbortSignal;
}

/** One image as `listImages` reports it. */
export interface ImageInfo {
  id: string;
  tags: string[];
  sizeBytes: number;
  createdAt: string;
  labels: Record<string, string>;
}

/** What `buildImage` builds. */
export interface BuildSpec {
  /** A directory holding the Dockerfile, or a tar stream / buffer of such a directory. */
  context: string | NodeJS.ReadableStream | Buffer;
  /** Tag to give the image, e.g. `localhost/app:1`. */
  tag: string;
  /** Dockerfile path inside the context. Default `Dockerfile`. */
  dockerfile?: string;
  /** Tenant recorded as a label on the image. Default none. */
  tenant?: string;
  /** Build args. */
  buildArgs?: Record<string, string>;
  /** Extra labels. */
  labels?: Record<string, string>;
  /** Each progress line of the build as it arrives. */
  onProgress?: (line: string) => void;
  /** Deadline. Default 600 000 ms. */
  timeoutMs?: number;
}

/** A named volume. */
export interface VolumeInfo {
  /** The tenant's name for it. */
  name: string;
  tenant: string;
  labels: Record<string, string>;
}

/** One engine event about a bosun-managed object. */
export interface DriverEvent {
  /** `container`, `image`, `volume`. */
  type: string;
  /** `create`, `start`, `die`, `destroy`, … as the engine says it. */
  action: string;
  id: string;
  tenant?: string;
  /** Unix time in ms. */
  time: number;
}

/** Which limits a driver enforces. */
export interface LimitSupport {
  cpus: boolean;
  memory: boolean;
  pids: boolean;
  cpuTime: boolean;
  fileSize: boolean;
}

/** What a driver can do, honestly. Conformance tests skip what is false here. */
export interface Capabilities {
  kind: DriverKind;
  /** `docker`, `podman` or `process`. */
  engine: string;
  version: string;
  /** `container` (namespaces + cgroups) or `process` (rlimits and a process group only). */
  isolation: 'container' | 'process';
  limits: LimitSupport;
  /** False when the image is only recorded, not used (process driver). */
  images: boolean;
  build: boolean;
  volumes: boolean;
  mounts: boolean;
  /** Network modes it can enforce. */
  networkModes: string[];
  readOnlyRoot: boolean;
  tty: boolean;
  events: boolean;
}

/** Deadline options for calls that may hang. */
export interface DeadlineOptions {
  /** Deadline in ms. Default stated per call. */
  timeoutMs?: number;
}

/** Options for `stop`. */
export interface StopOptions {
  /** Time between SIGTERM and SIGKILL. Default 10 000 ms. */
  graceMs?: number;
  /** Overall deadline. Default `graceMs + 15 000`. */
  timeoutMs?: number;
}

/** One interface over a container engine or plain processes. */
export interface ContainerDriver {
  readonly kind: DriverKind;
  /** What this driver enforces and supports. */
  capabilities(): Promise<Capabilities>;
  /** Creates (does not start) a container. Nothing is left behind when it fails. */
  create(spec: CreateSpec): Promise<ContainerInfo>;
  /** Starts it. Starting a running container is a no-op. */
  start(ref: ContainerRef, opts?: DeadlineOptions): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. Stopping a stopped container is a no-op. */
  stop(ref: ContainerRef, opts?: StopOptions): Promise<void>;
  /** Removes it and its anonymous volumes; a running one needs `force` (else `conflict`). */
  remove(ref: ContainerRef, opts?: { force?: boolean }): Promise<void>;
  /** Current state. */
  inspect(ref: ContainerRef): Promise<ContainerInfo>;
  /** Waits for the main process to exit and returns its code. Default deadline 60 000 ms. */
  wait(ref: ContainerRef, opts?: DeadlineOptions): Promise<number>;
  /** This tenant's containers. */
  list(tenant: string, filter?: ListFilter): Promise<ContainerInfo[]>;
  /** Every bosun-managed container of every tenant (for the agent itself, never for a tenant). */
  listAll(filter?: { labels?: Record<string, string> }): Promise<ContainerInfo[]>;
  /** Runs a command to completion; `conflict` when the container is not running. */
  exec(ref: ContainerRef, spec: ExecSpec): Promise<ExecResult>;
  /** Starts an interactive command with a TTY. */
  execTty(ref: ContainerRef, spec: TtyExecSpec): Promise<TtySession>;
  /** Starts a command and returns at once; read it with `capture`, end it with `kill`. */
  execBackground(ref: ContainerRef, spec: BackgroundSpec): Promise<BackgroundJob>;
  /** Output so far of a background command. */
  capture(ref: ContainerRef, jobId: string): Promise<CaptureResult>;
  /** Sends a signal to a background command. Default `SIGTERM`. */
  kill(ref: ContainerRef, jobId: string, signal?: NodeJS.Signals): Promise<void>;
  /** The main process's output. */
  logs(ref: ContainerRef, opts?: LogsOptions): AsyncIterable<OutputChunk>;
  /** Local images. */
  listImages(): Promise<ImageInfo[]>;
  /** True when the image is present locally. */
  imageExists(image: string): Promise<boolean>;
  /** Deletes an image; `conflict` when a container uses it (unless `force`). */
  removeImage(image: string, opts?: { force?: boolean }): Promise<void>;
  /** Builds an image from a context with a Dockerfile; progress is streamed to `onProgress`. */
  buildImage(spec: BuildSpec): Promise<ImageInfo>;
  /** Creates a named volume for a tenant (idempotent). */
  createVolume(tenant: string, name: string, labels?: Record<string, string>): Promise<VolumeInfo>;
  /** A tenant's volumes. */
  listVolumes(tenant: string): Promise<VolumeInfo[]>;
  /** Removes a tenant's volume; `conflict` when in use. */
  removeVolume(tenant: string, name: string): Promise<void>;
  /** Events about bosun-managed objects until `signal` aborts. */
  events(opts?: { signal?: AbortSignal }): AsyncIterable<DriverEvent>;
  /** Releases sockets and timers (containers keep running). */
  close(): Promise<void>;
}
