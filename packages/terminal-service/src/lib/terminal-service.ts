import { randomBytes } from 'node:crypto';
import type { ContainerDriver, ContainerRef, TtySession } from '@bosun/container-driver';
import { silentLogger, type Logger } from '@bosun/logger';
import { BosunError } from '@bosun/protocol';
import {
  PtyError,
  PtyErrorCode,
  fromDuplex,
  type AttachStart,
  type PtyManager,
  type SessionExit,
  type SessionInfo,
  type SpawnFactory,
  type TerminalSession,
  type Viewer,
  type ViewerMessage,
  type ViewerSink,
} from '@bosun/pty-manager';
import { systemClock, withDeadline, type Clock } from '@bosun/util';
import { parseEnded, signalMarkedArgv, terminalMarkers, type EndedProcess, type MarkedSelector } from './container-processes.js';
import { normalizeOwner, ownerMatches, type TerminalOwner } from './owner.js';
import { memoryRecordStore, type TerminalRecord, type TerminalRecordStore } from './record-store.js';

/** Options of {@link TerminalService}. Defaults are filled in one place (the constructor), then frozen. */
export interface TerminalServiceOptions {
  /** The PTY manager terminals run on (with tmux options if terminals should outlive the service). */
  manager: PtyManager;
  /** Container driver for container terminals and the orphan sweep. */
  driver: ContainerDriver;
  /** pino-compatible logger (default: silent). */
  logger?: Logger;
  /** Allow terminals on the host itself, without a `containerId` (default false). */
  allowHostShell?: boolean;
  /**
   * Run container terminals as `<podman> exec -it` inside the manager's tmux, so they
   * survive a restart of the service (default: off; terminals run on the driver's TTY
   * exec). Needs the manager's tmux backend and the Podman CLI on the engine's storage.
   */
  tmuxPodmanPath?: string;
  /**
   * Where owners are kept between runs (default {@link memoryRecordStore}: nothing
   * survives the process). With tmux, pass {@link fileRecordStore}: a rediscovered
   * terminal without a saved record has no owner and `reconcile()` ends it.
   */
  records?: TerminalRecordStore;
  /** This run's id, put in every container terminal's environment (default: 16 random hex digits). */
  runId?: string;
  /**
   * This agent's id, put in every container terminal's environment; `reconcile()` only
   * ends processes of the same agent (default `bosun`). Give each agent sharing an
   * engine its own.
   */
  agentId?: string;
  /** Program of a terminal opened without `cmd` (default `['/bin/sh']`). */
  defaultCommand?: readonly string[];
  /** Deadline of each container driver call, in ms (default 15 000). */
  driverTimeoutMs?: number;
  /** Timestamps and deadline timers (default: the system clock). */
  clock?: Clock;
}

/** What {@link TerminalService.open} starts. */
export interface OpenTerminalSpec {
  /** Container (of the owner's tenant) to run in; absent means a host shell, refused unless `allowHostShell`. */
  containerId?: string;
  /** Program and arguments (default: the service's `defaultCommand`, `/bin/sh`). */
  cmd?: readonly string[];
  /** Extra environment. The `BOSUN_TERMINAL`, `BOSUN_RUN` and `BOSUN_AGENT` markers always win. */
  env?: Record<string, string>;
  /** Working directory (default: the container's, or the manager's for a host shell). */
  cwd?: string;
  /** Columns (default 80, clamped to 2–1000). */
  cols?: number;
  /** Rows (default 24, clamped to 1–500). */
  rows?: number;
  /** Display name; only for display, never for access (default: the program's base name). */
  name?: string;
}

/** A terminal as the service reports it. */
export interface TerminalInfo {
  terminalId: string;
  name: string;
  owner: TerminalOwner;
  /** Container it runs in; absent for a host shell. */
  containerId?: string;
  status: 'alive' | 'exited';
  exit: SessionExit | null;
  /** Offset one past the last output byte. */
  offset: number;
  cols: number;
  rows: number;
  viewers: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the last output, input or attach. */
  lastActivityAt: number;
  /** `pty`, `tmux` or `custom` (a container TTY exec). */
  backend: SessionInfo['backend'];
}

/** Options of {@link TerminalService.attach}. */
export interface AttachTerminalOptions {
  /** Offset after the last byte the viewer has (default: the live end, no replay). */
  fromOffset?: number;
  /** Receives `data`, `snapshot`, `resize`, `exit` and `dropped` messages in order. */
  onMessage: ViewerSink;
  /** A viewer that may not write or resize (default false). */
  readOnly?: boolean;
  /** Label for logs (default: generated). */
  viewerId?: string;
  /** Pending-byte limit before the viewer is dropped as slow (default: the manager's). */
  maxPendingBytes?: number;
  /** Count bytes as pending until {@link TerminalHandle.ack} (default false). */
  manualAck?: boolean;
  /** Past `maxPendingBytes`: `drop` the viewer as slow (default) or `pause` the program's output until it catches up (see the PTY manager's `AttachOptions.flow`). */
  flow?: 'drop' | 'pause';
  /**
   * Hold every message (the replay or snapshot the attach starts with, and what follows)
   * until {@link TerminalHandle.release}: for a transport that must first tell its peer
   * where the stream starts (default false).
   */
  hold?: boolean;
}

/** One attached viewer. Its methods throw {@link BosunError}s (`forbidden` read-only, `conflict` detached or exited). */
export interface TerminalHandle {
  readonly viewerId: string;
  readonly readOnly: boolean;
  /** False once detached or dropped. */
  readonly attached: boolean;
  /** Offset after the last byte handed to the sink. */
  readonly offset: number;
  /** Bytes handed over but not yet consumed. */
  readonly pendingBytes: number;
  write(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  ack(offset: number): void;
  detach(): void;
  /** Hands over, in order, what an attach with `hold` kept back, and every later message at once (no-op otherwise). */
  release(): void;
}

/** A terminal alive now, for `worker.register` and its like. */
export interface AliveTerminal {
  terminalId: string;
  offset: number;
  containerId?: string;
  owner: TerminalOwner;
}

/** What {@link TerminalService.reconcile} did. */
export interface ReconcileReport {
  /** Terminals found in the manager (tmux) whose saved owner was restored. */
  adopted: string[];
  /** Terminals found without a saved owner: unreachable by anyone, so ended. */
  closedUnowned: string[];
  /** Processes of earlier runs ended, per container. */
  ended: { tenant: string; containerId: string; processes: EndedProcess[] }[];
  /** Containers the sweep could not run in (not running, no `/bin/sh`, engine errors, deadlines). */
  failed: { tenant: string; containerId: string; code: string; message: string }[];
}

interface Resolved {
  manager: PtyManager;
  driver: ContainerDriver;
  logger: Logger;
  allowHostShell: boolean;
  tmuxPodmanPath: string | undefined;
  records: TerminalRecordStore;
  runId: string;
  agentId: string;
  defaultCommand: readonly string[];
  driverTimeoutMs: number;
  clock: Clock;
}

const MARKER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const SIGNAL = /^SIG[A-Z0-9]{2,10}$/;
const SWEEP_CONCURRENCY = 4;

/** Maps pty-manager failures onto registered codes (anything else is rethrown as it is). */
function fromPty(err: unknown): unknown {
  if (!(err instanceof PtyError)) return err;
  switch (err.code) {
    case PtyErrorCode.SessionNotFound:
      return BosunError.notFound('terminal');
    case PtyErrorCode.SessionExited:
      return new BosunError('conflict', 'the terminal has exited');
    case PtyErrorCode.ViewerClosed:
      return new BosunError('conflict', 'the viewer is detached');
    case PtyErrorCode.ReadOnly:
      return BosunError.forbidden('this viewer is read-only');
    case PtyErrorCode.InvalidOptions:
      return BosunError.invalidArgument(err.message);
    case PtyErrorCode.TmuxUnavailable:
      return new BosunError('unsupported', err.message, { cause: err });
    default:
      return err;
  }
}

function pty<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromPty(err);
  }
}

/**
 * Terminals for any transport, scoped by owner. Every operation names its caller's
 * {@link TerminalOwner}; a terminal of another owner answers `not_found`, exactly like a
 * missing one. Owners are held as data ({@link TerminalRecord}), saved to a
 * {@link TerminalRecordStore} so a terminal that outlives the service (tmux) keeps its
 * owner, and are never read back from a name a user chose.
 *
 * Container terminals run on the driver's TTY exec (or `podman exec -it` in tmux) with
 * environment markers (`BOSUN_TERMINAL`, `BOSUN_RUN`, `BOSUN_AGENT`): closing a
 * terminal ends its processes in the container by marker, and {@link reconcile} ends
 * the shells an earlier run of this agent left behind (e.g. after `kill -9`).
 */
export class TerminalService {
  private readonly o: Readonly<Resolved>;
  private readonly records = new Map<string, TerminalRecord>();
  private readonly closing = new Set<string>();

  constructor(options: TerminalServiceOptions) {
    const runId = options.runId ?? randomBytes(8).toString('hex');
    const agentId = options.agentId ?? 'bosun';
    if (!MARKER_ID.test(runId)) throw BosunError.invalidArgument('runId must be 1-64 characters of A-Z a-z 0-9 . _ : -');
    if (!MARKER_ID.test(agentId)) throw BosunError.invalidArgument('agentId must be 1-64 characters of A-Z a-z 0-9 . _ : -');
    const defaultCommand = Object.freeze([...(options.defaultCommand ?? ['/bin/sh'])]);
    if (defaultCommand.length === 0) throw BosunError.invalidArgument('defaultCommand must name a program');
    const driverTimeoutMs = options.driverTimeoutMs ?? 15_000;
    if (!Number.isInteger(driverTimeoutMs) || driverTimeoutMs < 1) throw BosunError.invalidArgument('driverTimeoutMs must be an integer ≥ 1');
    this.o = Object.freeze({
      manager: options.manager,
      driver: options.driver,
      logger: options.logger ?? silentLogger,
      allowHostShell: options.allowHostShell ?? false,
      tmuxPodmanPath: options.tmuxPodmanPath,
      records: options.records ?? memoryRecordStore(),
      runId,
      agentId,
      defaultCommand,
      driverTimeoutMs,
      clock: options.clock ?? systemClock,
    });
    this.o.manager.on('sessionRemoved', ({ sessionId }) => this.records.delete(sessionId));
    this.o.manager.on('exit', ({ sessionId, reason }) => {
      // Idle reaping ends the shell; its leftover children in the container go too (close() does this itself).
      const rec = this.records.get(sessionId);
      if (reason === 'reaped' && rec?.containerId && !this.closing.has(sessionId)) {
        void this.endTerminalProcesses(rec, 'SIGKILL');
      }
    });
  }

  /** This run's id (the `BOSUN_RUN` marker of the terminals it opens). */
  get runId(): string {
    return this.o.runId;
  }

  /**
   * Opens a terminal for `owner`: in container `spec.containerId` of the owner's tenant
   * (and workspace, when the owner names one), or on the host when allowed.
   * @throws BosunError `forbidden` (host shell not allowed), `invalid_argument`, `not_found` (container), driver errors
   */
  async open(owner: TerminalOwner, spec: OpenTerminalSpec = {}): Promise<TerminalInfo> {
    const o = normalizeOwner(owner);
    const cmd = spec.cmd ?? this.o.defaultCommand;
    if (cmd.length === 0 || cmd.some((a) => typeof a !== 'string') || !cmd[0]) throw BosunError.invalidArgument('cmd must name a program');
    if (!spec.containerId && !this.o.allowHostShell) {
      throw BosunError.forbidden('host terminals are disabled here: give a containerId');
    }
    const terminalId = `t${randomBytes(8).toString('hex')}`;
    const [command = '/bin/sh', ...args] = cmd;
    const env = { ...(spec.env ?? {}), ...terminalMarkers(terminalId, this.o.runId, this.o.agentId) };
    const common = {
      id: terminalId,
      name: spec.name ?? (command.split('/').pop() || command),
      ...(spec.cols === undefined ? {} : { cols: spec.cols }),
      ...(spec.rows === undefined ? {} : { rows: spec.rows }),
    };
    let ref: ContainerRef | undefined;
    let engineId: string | undefined;
    if (spec.containerId) {
      const r = { tenant: o.tenant, id: spec.containerId };
      ref = r;
      // not_found (tenant-scoped by the driver) before anything is spawned
      const info = await this.call('container.inspect', () => this.o.driver.inspect(r));
      if (o.workspace !== undefined && info.workspace !== o.workspace) throw BosunError.notFound(`container ${spec.containerId}`);
      engineId = info.id;
    }
    const record: TerminalRecord = {
      terminalId,
      owner: o,
      runId: this.o.runId,
      createdAt: this.o.clock.now(),
      ...(spec.containerId ? { containerId: spec.containerId } : {}),
    };
    this.records.set(terminalId, record);
    let session: TerminalSession;
    try {
      if (ref && engineId && this.o.tmuxPodmanPath) {
        const envArgs = Object.entries({ TERM: 'xterm-256color', ...env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
        session = await this.o.manager.create({
          ...common,
          command: this.o.tmuxPodmanPath,
          args: ['exec', '-it', ...envArgs, ...(spec.cwd ? ['-w', spec.cwd] : []), engineId, command, ...args],
          tmux: true,
        });
      } else if (ref) {
        session = await this.o.manager.create({ ...common, command, args, tmux: false, spawn: this.containerSpawn(ref, terminalId, env, spec.cwd) });
      } else {
        session = await this.o.manager.create({ ...common, command, args, env, ...(spec.cwd ? { cwd: spec.cwd } : {}) });
      }
    } catch (err) {
      this.records.delete(terminalId);
      throw fromPty(err);
    }
    await this.persist();
    this.o.logger.info({ terminalId, tenant: o.tenant, containerId: spec.containerId }, 'terminal opened');
    return this.describe(record, session.info());
  }

  /**
   * Attaches a viewer to `owner`'s terminal: the bytes after `fromOffset` if still held,
   * else a snapshot of the screen, then the live stream, with no gap and no duplicate
   * (the manager replays and registers in one step). `start` says which it was.
   * @throws BosunError `not_found`
   */
  attach(owner: TerminalOwner, terminalId: string, options: AttachTerminalOptions): { handle: TerminalHandle; start: AttachStart } {
    const { session } = this.lookup(owner, terminalId);
    const held: ViewerMessage[] = [];
    let open = options.hold !== true;
    const { viewer, start } = pty(() =>
      session.attach({
        fromOffset: options.fromOffset ?? session.offset,
        onMessage: (msg) => (open ? options.onMessage(msg) : void held.push(msg)),
        ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
        ...(options.viewerId === undefined ? {} : { id: options.viewerId }),
        ...(options.maxPendingBytes === undefined ? {} : { maxPendingBytes: options.maxPendingBytes }),
        ...(options.manualAck === undefined ? {} : { manualAck: options.manualAck }),
        ...(options.flow === undefined ? {} : { flow: options.flow }),
      }),
    );
    const release = (): void => {
      if (open) return;
      open = true;
      for (const m of held.splice(0)) void options.onMessage(m);
    };
    return { handle: toHandle(viewer, release), start };
  }

  /**
   * Writes input to `owner`'s terminal.
   * @throws BosunError `not_found`, `conflict` (exited)
   */
  input(owner: TerminalOwner, terminalId: string, data: string | Uint8Array): void {
    const { session } = this.lookup(owner, terminalId);
    pty(() => session.write(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  }

  /**
   * Resizes `owner`'s terminal; returns the size applied (clamped to 2–1000 × 1–500).
   * @throws BosunError `not_found`, `conflict` (exited)
   */
  resize(owner: TerminalOwner, terminalId: string, cols: number, rows: number): { cols: number; rows: number } {
    const { session } = this.lookup(owner, terminalId);
    return pty(() => session.resize(cols, rows));
  }

  /**
   * Ends `owner`'s terminal: `signal` (default SIGHUP) to its process tree (and, in a
   * container, to every process carrying its marker), SIGKILL to what is left after the
   * manager's grace, then forgets it. Viewers get `exit`, then `dropped`.
   * @throws BosunError `not_found`, `invalid_argument` (signal)
   */
  async close(owner: TerminalOwner, terminalId: string, options: { signal?: NodeJS.Signals } = {}): Promise<void> {
    const signal = options.signal ?? 'SIGHUP';
    if (!SIGNAL.test(signal)) throw BosunError.invalidArgument(`bad signal ${String(signal)}`);
    const { record } = this.lookup(owner, terminalId);
    this.closing.add(terminalId);
    try {
      await this.o.manager.remove(terminalId, { signal });
      // Children that outlived the shell (or a tmux pane's `podman exec`) still carry the marker.
      if (record.containerId) await this.endTerminalProcesses(record, 'SIGKILL');
    } finally {
      this.closing.delete(terminalId);
      this.records.delete(terminalId);
    }
    await this.persist();
    this.o.logger.info({ terminalId, tenant: record.owner.tenant, signal }, 'terminal closed');
  }

  /**
   * Renames `owner`'s terminal (display only, never used for access); the name is kept
   * in its record, so it survives a restart when the record store does.
   * @throws BosunError `not_found`, `invalid_argument` (not 1–128 characters)
   */
  async rename(owner: TerminalOwner, terminalId: string, name: string): Promise<TerminalInfo> {
    if (typeof name !== 'string' || name.length < 1 || name.length > 128) throw BosunError.invalidArgument('name must be 1-128 characters');
    const { record, session } = this.lookup(owner, terminalId);
    record.name = name;
    await this.persist();
    return this.describe(record, session.info());
  }

  /**
   * `owner`'s terminal.
   * @throws BosunError `not_found`
   */
  get(owner: TerminalOwner, terminalId: string): TerminalInfo {
    const { record, session } = this.lookup(owner, terminalId);
    return this.describe(record, session.info());
  }

  /** The terminals `owner` may reach (alive and exited, until removed), oldest first. */
  list(owner: TerminalOwner): TerminalInfo[] {
    const o = normalizeOwner(owner);
    const out: TerminalInfo[] = [];
    for (const info of this.o.manager.list()) {
      const rec = this.records.get(info.id);
      if (rec && ownerMatches(rec.owner, o)) out.push(this.describe(rec, info));
    }
    return out;
  }

  /** Every owned terminal alive now, with the offset a viewer may resume from (for `worker.register`). */
  alive(): AliveTerminal[] {
    const out: AliveTerminal[] = [];
    for (const info of this.o.manager.list()) {
      const rec = this.records.get(info.id);
      if (!rec || info.status !== 'alive') continue;
      out.push({ terminalId: info.id, offset: info.offset, owner: { ...rec.owner }, ...(rec.containerId ? { containerId: rec.containerId } : {}) });
    }
    return out;
  }

  /**
   * Call once at start, before serving. (1) Rediscovers the manager's tmux sessions and
   * gives each its saved owner; one without a saved record is unreachable by anyone and
   * is ended. (2) In every running bosun-managed container (engine driver only), ends
   * the processes an earlier run of this agent started (`BOSUN_RUN` not this run's),
   * except those of the terminals adopted in (1). Each driver call has a deadline; a
   * container that fails is reported and logged, the others still run.
   */
  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { adopted: [], closedUnowned: [], ended: [], failed: [] };
    const saved = new Map((await this.o.records.load()).map((r) => [r.terminalId, r]));
    await pty(() => this.o.manager.rediscover()).catch((err: unknown) => {
      this.o.logger.warn({ err: (err as Error).message }, 'tmux rediscovery failed');
    });
    for (const info of this.o.manager.list()) {
      if (this.records.has(info.id)) continue;
      const rec = saved.get(info.id);
      if (rec) {
        this.records.set(info.id, rec);
        report.adopted.push(info.id);
        continue;
      }
      this.o.logger.warn({ terminalId: info.id, name: info.name }, 'ending a terminal nobody owns (no saved record)');
      await this.o.manager.remove(info.id, { signal: 'SIGHUP' }).catch((err: Error) => {
        this.o.logger.warn({ terminalId: info.id, err: err.message }, 'could not end an unowned terminal');
      });
      report.closedUnowned.push(info.id);
    }
    await this.persist();
    if (this.o.driver.kind !== 'engine') {
      this.o.logger.debug({ driver: this.o.driver.kind }, 'no container sweep: the driver runs terminals as host processes');
      return report;
    }
    let containers;
    try {
      containers = await this.call('container.listAll', () => this.o.driver.listAll());
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'orphan sweep skipped: cannot list containers');
      report.failed.push({ tenant: '*', containerId: '*', code: codeOf(err), message: (err as Error).message });
      return report;
    }
    const selector: MarkedSelector = { kind: 'orphans', agentId: this.o.agentId, runId: this.o.runId, keep: [...this.records.keys()] };
    const running = containers.filter((c) => c.status === 'running');
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < running.length) {
        const c = running[next++];
        if (!c) return;
        const ref = { tenant: c.tenant, id: c.id };
        try {
          const processes = await this.signalMarked(ref, selector, 'SIGKILL');
          if (processes.length === 0) continue;
          report.ended.push({ tenant: c.tenant, containerId: c.id, processes });
          this.o.logger.info(
            { tenant: c.tenant, containerId: c.id, pids: processes.map((p) => p.pid), terminals: [...new Set(processes.flatMap((p) => p.terminalId ?? []))] },
            'ended terminal processes an earlier run left behind',
          );
        } catch (err) {
          report.failed.push({ tenant: c.tenant, containerId: c.id, code: codeOf(err), message: (err as Error).message });
          this.o.logger.warn({ tenant: c.tenant, containerId: c.id, err: (err as Error).message }, 'orphan sweep failed in a container');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, running.length) }, worker));
    return report;
  }

  private lookup(owner: TerminalOwner, terminalId: string): { record: TerminalRecord; session: TerminalSession } {
    const o = normalizeOwner(owner);
    const record = typeof terminalId === 'string' ? this.records.get(terminalId) : undefined;
    let session: TerminalSession | undefined;
    try {
      session = record ? this.o.manager.get(terminalId) : undefined;
    } catch {
      session = undefined;
    }
    // Another owner's terminal is reported exactly like a missing one.
    if (!record || !session || !ownerMatches(record.owner, o)) throw BosunError.notFound(`terminal ${String(terminalId).slice(0, 128)}`);
    return { record, session };
  }

  private describe(rec: TerminalRecord, info: SessionInfo): TerminalInfo {
    return {
      terminalId: rec.terminalId,
      name: rec.name ?? info.name,
      owner: { ...rec.owner },
      ...(rec.containerId ? { containerId: rec.containerId } : {}),
      status: info.status,
      exit: info.exit,
      offset: info.offset,
      cols: info.cols,
      rows: info.rows,
      viewers: info.viewers,
      createdAt: rec.createdAt,
      lastActivityAt: info.lastActivityAt,
      backend: info.backend,
    };
  }

  private async persist(): Promise<void> {
    try {
      await this.o.records.save([...this.records.values()]);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'could not save terminal records; owners will not survive a restart');
    }
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withDeadline(what, this.o.driverTimeoutMs, fn, { clock: this.o.clock });
  }

  private async signalMarked(ref: ContainerRef, selector: MarkedSelector, signal: NodeJS.Signals): Promise<EndedProcess[]> {
    const cmd = signalMarkedArgv(selector, signal);
    // The sweep carries this run's markers and a terminal id no terminal has, so it never selects itself.
    const env = terminalMarkers('sweep', this.o.runId, this.o.agentId);
    const r = await this.call(`sweep in ${ref.id}`, () =>
      this.o.driver.exec(ref, { cmd, env, timeoutMs: this.o.driverTimeoutMs, maxOutputBytes: 256 * 1024 }),
    );
    if (r.exitCode !== 0) throw new BosunError('internal', `sweep exited ${r.exitCode}: ${r.stderr.toString('utf8').slice(0, 200)}`);
    return parseEnded(r.stdout.toString('utf8'));
  }

  private async endTerminalProcesses(rec: TerminalRecord, signal: NodeJS.Signals): Promise<void> {
    if (!rec.containerId) return;
    const ref = { tenant: rec.owner.tenant, id: rec.containerId };
    try {
      const ended = await this.signalMarked(ref, { kind: 'terminals', terminalIds: [rec.terminalId] }, signal);
      if (ended.length) this.o.logger.info({ terminalId: rec.terminalId, containerId: rec.containerId, pids: ended.map((p) => p.pid), signal }, 'ended terminal processes in the container');
    } catch (err) {
      this.o.logger.warn({ terminalId: rec.terminalId, containerId: rec.containerId, err: (err as Error).message }, 'could not signal terminal processes in the container');
    }
  }

  /** A spawn factory running the program through the driver's TTY exec; kill signals the processes by marker. */
  private containerSpawn(ref: ContainerRef, terminalId: string, env: Record<string, string>, cwd: string | undefined): SpawnFactory {
    return async (req) => {
      const pending = this.o.driver.execTty(ref, {
        cmd: [req.command, ...req.args],
        env: { TERM: req.termName, ...env },
        ...(cwd ? { workingDir: cwd } : {}),
        cols: req.cols,
        rows: req.rows,
      });
      let tty: TtySession;
      try {
        tty = await this.call('container.execTty', () => pending);
      } catch (err) {
        // A session that arrives after the deadline is closed, not leaked.
        void pending.then((t) => t.close(), () => undefined);
        throw err;
      }
      return fromDuplex({
        stream: tty.stream,
        resize: (c, r) => tty.resize(c, r),
        exit: tty.exited,
        kill: async (signal) => {
          const sig = signal ?? 'SIGHUP';
          try {
            const ended = await this.signalMarked(ref, { kind: 'terminals', terminalIds: [terminalId] }, sig);
            if (ended.length === 0 || sig === 'SIGKILL') tty.close();
          } catch (err) {
            this.o.logger.warn({ terminalId, err: (err as Error).message }, 'could not signal the terminal in its container; closing the stream');
            tty.close();
          }
        },
      });
    };
  }
}

function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'internal';
}

function toHandle(viewer: Viewer, release: () => void): TerminalHandle {
  return {
    get viewerId() {
      return viewer.id;
    },
    get readOnly() {
      return viewer.readOnly;
    },
    get attached() {
      return viewer.attached;
    },
    get offset() {
      return viewer.offset;
    },
    get pendingBytes() {
      return viewer.pendingBytes;
    },
    write: (data) => pty(() => viewer.write(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))),
    resize: (cols, rows) => pty(() => viewer.resize(cols, rows)),
    ack: (offset) => viewer.ack(offset),
    detach: () => viewer.detach(),
    release,
  };
}
