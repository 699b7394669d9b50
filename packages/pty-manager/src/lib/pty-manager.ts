import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from './clock.js';
import { PtyError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { DEFAULT_OUTPUT_BATCHING, type OutputBatching } from './output-batcher.js';
import { TerminalSession, clampSize, type CloseOptions, type SessionBackend, type SessionInfo } from './session.js';
import { spawnNodePty, type SpawnFactory, type SpawnRequest, type TerminalProcess } from './terminal-process.js';
import { TmuxBackend, type TmuxOptions } from './tmux.js';
import type { AttachOptions, AttachStart, DropReason, SessionExit, Viewer } from './viewer.js';

/** Options for {@link PtyManager}. Validated once, then frozen. */
export interface PtyManagerOptions {
  /** Output bytes kept per session for reattach (default 1 MiB). */
  ringBufferBytes?: number;
  /** How long a session with no viewers is kept before it is closed, in ms (default 300 000; 0 = forever). */
  idleGraceMs?: number;
  /** Default per-viewer limit of unconsumed bytes (default max(4 MiB, 2 × ringBufferBytes)). */
  maxViewerPendingBytes?: number;
  /** Scrollback lines kept in each session's screen and sent in snapshots (default 200). */
  scrollback?: number;
  /** Time between the close signal and SIGKILL, in ms (default 2000). */
  closeGraceMs?: number;
  /** Backend for sessions not run in tmux (default {@link spawnNodePty}). */
  spawn?: SpawnFactory;
  /** Environment every session starts from; `env` in create options is merged over it (default `{}`). */
  baseEnv?: Record<string, string>;
  /** Run sessions in tmux on a socket the manager owns (default: off). */
  tmux?: TmuxOptions;
  /** pino-compatible logger (default: silent). */
  logger?: Logger;
  /** Clock for timestamps and idle reaping (default: the system clock). */
  clock?: Clock;
  /**
   * Merge output chunks while a program streams in bulk (fewer, bigger frames on every
   * hop; interactive output is never held): `false` turns it off, fields override
   * {@link DEFAULT_OUTPUT_BATCHING}.
   */
  outputBatching?: Partial<OutputBatching> | false;
}

/** Options for {@link PtyManager.create}. */
export interface CreateSessionOptions {
  /** Program to run (default `/bin/sh`). */
  command?: string;
  /** Its arguments (default none). */
  args?: string[];
  /** Working directory (default: the backend's, usually the manager's cwd). */
  cwd?: string;
  /** Merged over the manager's `baseEnv`. */
  env?: Record<string, string>;
  /** Columns (default 80, clamped to 2–1000). */
  cols?: number;
  /** Rows (default 24, clamped to 1–500). */
  rows?: number;
  /** Display name (default: the command's base name). */
  name?: string;
  /** `TERM` for the program (default `xterm-256color`). */
  termName?: string;
  /** Session id (default: 16 random hex digits). Must match `[A-Za-z0-9_-]{1,64}`. */
  id?: string;
  /** Run in tmux (default: true when the manager has `tmux` options, else false). */
  tmux?: boolean;
  /** Backend for this session only (default: the manager's `spawn`). */
  spawn?: SpawnFactory;
}

/** Events a {@link PtyManager} emits for the apps to relay; each names its session. */
export interface PtyManagerEvents {
  output: [{ sessionId: string; offset: number; data: Buffer }];
  exit: [{ sessionId: string } & SessionExit];
  resize: [{ sessionId: string; cols: number; rows: number }];
  viewerJoined: [{ sessionId: string; viewerId: string; readOnly: boolean; start: AttachStart }];
  viewerLeft: [{ sessionId: string; viewerId: string; reason: DropReason | 'detached'; message: string }];
  sessionCreated: [SessionInfo];
  sessionRemoved: [{ sessionId: string }];
}

interface Resolved {
  ringBufferBytes: number;
  idleGraceMs: number;
  maxViewerPendingBytes: number;
  scrollback: number;
  closeGraceMs: number;
  spawn: SpawnFactory;
  baseEnv: Readonly<Record<string, string>>;
  logger: Logger;
  clock: Clock;
  batching: Readonly<OutputBatching> | null;
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

function positiveInt(key: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw PtyError.invalidOptions(key, `must be an integer ≥ ${min}, got ${v}`);
  return v;
}

function resolveBatching(o: Partial<OutputBatching> | false | undefined): Readonly<OutputBatching> | null {
  if (o === false) return null;
  const d = DEFAULT_OUTPUT_BATCHING;
  return Object.freeze({
    bulkBytes: positiveInt('outputBatching.bulkBytes', o?.bulkBytes, d.bulkBytes, 1),
    windowMs: positiveInt('outputBatching.windowMs', o?.windowMs, d.windowMs, 1),
    maxDelayMs: positiveInt('outputBatching.maxDelayMs', o?.maxDelayMs, d.maxDelayMs, 0),
    maxBytes: positiveInt('outputBatching.maxBytes', o?.maxBytes, d.maxBytes, 1),
  });
}

/**
 * Terminal sessions for one agent: spawn, list, attach viewers, write, resize, close,
 * idle reaping, and (with tmux) rediscovery after a restart.
 */
export class PtyManager extends EventEmitter<PtyManagerEvents> {
  private readonly opts: Readonly<Resolved>;
  private readonly sessions = new Map<string, TerminalSession>();
  private readonly idleTimers = new Map<string, unknown>();
  private readonly tmux: TmuxBackend | null;
  private shuttingDown = false;

  constructor(options: PtyManagerOptions = {}) {
    super();
    const ringBufferBytes = positiveInt('ringBufferBytes', options.ringBufferBytes, 1024 * 1024, 1024);
    this.opts = Object.freeze({
      ringBufferBytes,
      idleGraceMs: positiveInt('idleGraceMs', options.idleGraceMs, 300_000, 0),
      maxViewerPendingBytes: positiveInt(
        'maxViewerPendingBytes',
        options.maxViewerPendingBytes,
        Math.max(4 * 1024 * 1024, 2 * ringBufferBytes),
        1,
      ),
      scrollback: positiveInt('scrollback', options.scrollback, 200, 0),
      closeGraceMs: positiveInt('closeGraceMs', options.closeGraceMs, 2000, 0),
      spawn: options.spawn ?? spawnNodePty,
      baseEnv: Object.freeze({ ...(options.baseEnv ?? {}) }),
      logger: options.logger ?? silentLogger,
      clock: options.clock ?? systemClock,
      batching: resolveBatching(options.outputBatching),
    });
    this.tmux = options.tmux ? new TmuxBackend(options.tmux, this.opts.logger) : null;
  }

  /** Starts a session. @throws PtyError `PTY_ERR_INVALID_OPTIONS`, `PTY_ERR_TMUX_UNAVAILABLE` */
  async create(options: CreateSessionOptions = {}): Promise<TerminalSession> {
    const id = options.id ?? randomBytes(8).toString('hex');
    if (!ID_RE.test(id)) throw PtyError.invalidOptions('id', 'must match [A-Za-z0-9_-]{1,64}');
    if (this.sessions.has(id)) throw PtyError.invalidOptions('id', `session ${id} exists`);
    const command = options.command ?? '/bin/sh';
    const args = options.args ?? [];
    const { cols, rows } = clampSize(options.cols ?? 80, options.rows ?? 24);
    const termName = options.termName ?? 'xterm-256color';
    const env = { ...this.opts.baseEnv, ...(options.env ?? {}), TERM: termName };
    const name = options.name ?? (command.split('/').pop() || command);
    const req: SpawnRequest = { command, args, env, cols, rows, termName, ...(options.cwd ? { cwd: options.cwd } : {}) };
    const useTmux = options.tmux ?? this.tmux !== null;
    let proc: TerminalProcess;
    let backend: SessionBackend;
    if (useTmux) {
      if (!this.tmux) throw PtyError.invalidOptions('tmux', 'the manager has no tmux options');
      proc = await this.tmux.create(id, name, req, this.opts.baseEnv);
      backend = 'tmux';
    } else {
      proc = await (options.spawn ?? this.opts.spawn)(req);
      backend = options.spawn || this.opts.spawn !== spawnNodePty ? 'custom' : 'pty';
    }
    return this.adopt({ id, name, command, args, backend, proc, cols, rows, createdAt: this.opts.clock.now() });
  }

  /**
   * Finds the tmux sessions this manager's socket holds (after a restart) and adopts
   * the ones not already known. Each one's screen is seeded from `tmux capture-pane -e`
   * (scrollback, colours, alternate screen, cursor) and stands for every offset before
   * its ring's start: one past the offset the previous manager recorded at shutdown
   * (at least 1). So a viewer reattaching with an old offset, or from 0, gets a snapshot
   * of that screen, then the tmux client's redraw and the live stream. If the capture
   * fails, the ring starts empty at 0 and the redraw alone fills the screen.
   */
  async rediscover(): Promise<TerminalSession[]> {
    if (!this.tmux) return [];
    const found = await this.tmux.list();
    const adopted: TerminalSession[] = [];
    for (const s of found) {
      if (this.sessions.has(s.id)) continue;
      const capture = await this.tmux.capture(s.id, this.opts.scrollback).catch((err: Error) => {
        this.opts.logger.warn({ session: s.id, err: err.message }, 'tmux capture-pane failed; the redraw will fill the screen');
        return null;
      });
      const proc = await this.tmux.attach(s.id, s.cols, s.rows, this.opts.baseEnv);
      adopted.push(
        this.adopt({
          id: s.id,
          name: s.name,
          command: s.command,
          args: [],
          backend: 'tmux',
          proc,
          cols: s.cols,
          rows: s.rows,
          createdAt: s.createdAt,
          ...(capture ? { seed: { screen: capture.screen, offset: s.offset + 1 } } : {}),
        }),
      );
    }
    return adopted;
  }

  /** The session, or throws `PTY_ERR_SESSION_NOT_FOUND`. */
  get(id: string): TerminalSession {
    const s = this.sessions.get(id);
    if (!s) throw PtyError.sessionNotFound(id);
    return s;
  }

  /** Every session's metadata, oldest first. */
  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => s.info()).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Attaches a viewer to session `id`; see {@link TerminalSession.attach}. */
  attach(id: string, options: AttachOptions): { viewer: Viewer; start: AttachStart } {
    return this.get(id).attach(options);
  }

  /** Writes input to session `id`. */
  write(id: string, data: string | Buffer): void {
    this.get(id).write(data);
  }

  /** Resizes session `id` (clamped); returns the size applied. */
  resize(id: string, cols: number, rows: number): { cols: number; rows: number } {
    return this.get(id).resize(cols, rows);
  }

  /** Closes session `id` (signal, then SIGKILL) and keeps it listed as exited until reaped or removed. */
  close(id: string, options?: CloseOptions): Promise<SessionExit> {
    return this.get(id).close(options);
  }

  /** Closes session `id` if alive, then forgets it (viewers are dropped with `session-removed`). */
  async remove(id: string, options?: CloseOptions): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    if (s.alive) await s.close(options);
    this.forget(s, 'session-removed');
  }

  /**
   * Stops the manager. Sessions not in tmux are closed; tmux sessions keep running
   * (so a new manager on the same socket can {@link rediscover} them) unless
   * `killTmux` is true. Every viewer is dropped with `manager-shutdown`.
   */
  async shutdown(options: { killTmux?: boolean } = {}): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(
      [...this.sessions.values()].map(async (s) => {
        const keep = s.info().backend === 'tmux' && !options.killTmux;
        if (keep) {
          await s.detachBackend();
          await this.tmux?.rememberOffset(s.id, s.offset);
        }
        else if (s.alive) await s.close();
        this.forget(s, 'manager-shutdown');
      }),
    );
  }

  private adopt(a: {
    id: string;
    name: string;
    command: string;
    args: string[];
    backend: SessionBackend;
    proc: TerminalProcess;
    cols: number;
    rows: number;
    createdAt: number;
    seed?: { screen: string; offset: number };
  }): TerminalSession {
    const tmux = this.tmux;
    const session = new TerminalSession({
      id: a.id,
      name: a.name,
      command: a.command,
      args: a.args,
      backend: a.backend,
      process: a.proc,
      cols: a.cols,
      rows: a.rows,
      createdAt: a.createdAt,
      ...(a.seed ? { seed: a.seed } : {}),
      ringBufferBytes: this.opts.ringBufferBytes,
      scrollback: this.opts.scrollback,
      maxViewerPendingBytes: this.opts.maxViewerPendingBytes,
      closeGraceMs: this.opts.closeGraceMs,
      batching: this.opts.batching,
      clock: this.opts.clock,
      logger: this.opts.logger,
      ...(a.backend === 'tmux' && tmux ? { onClose: () => tmux.kill(a.id) } : {}),
    });
    const sessionId = a.id;
    session.on('output', (e) => {
      if (this.listenerCount('output') > 0) this.emit('output', { sessionId, offset: e.offset, data: e.data });
    });
    session.on('exit', (e) => {
      this.emit('exit', { sessionId, ...e });
      this.armIdle(session);
    });
    session.on('resize', (e) => this.emit('resize', { sessionId, ...e }));
    session.on('viewerJoined', (e) => {
      this.disarmIdle(sessionId);
      this.emit('viewerJoined', { sessionId, ...e });
    });
    session.on('viewerLeft', (e) => {
      this.emit('viewerLeft', { sessionId, ...e });
      this.armIdle(session);
    });
    this.sessions.set(a.id, session);
    this.opts.logger.info({ session: a.id, backend: a.backend, command: a.command }, 'terminal session started');
    this.emit('sessionCreated', session.info());
    this.armIdle(session);
    return session;
  }

  private armIdle(session: TerminalSession): void {
    if (this.opts.idleGraceMs === 0 || this.shuttingDown || session.viewerCount > 0) return;
    if (this.idleTimers.has(session.id)) return;
    const handle = this.opts.clock.setTimeout(() => {
      this.idleTimers.delete(session.id);
      if (session.viewerCount > 0 || this.sessions.get(session.id) !== session) return;
      this.opts.logger.info({ session: session.id }, 'closing idle terminal session');
      void (async () => {
        if (session.alive) await session.close({}, 'reaped');
        this.forget(session, 'session-removed');
      })();
    }, this.opts.idleGraceMs);
    this.idleTimers.set(session.id, handle);
  }

  private disarmIdle(id: string): void {
    const h = this.idleTimers.get(id);
    if (h === undefined) return;
    this.opts.clock.clearTimeout(h);
    this.idleTimers.delete(id);
  }

  private forget(session: TerminalSession, reason: DropReason): void {
    if (this.sessions.get(session.id) !== session) return;
    this.disarmIdle(session.id);
    this.sessions.delete(session.id);
    session.dispose(reason);
    session.removeAllListeners();
    this.emit('sessionRemoved', { sessionId: session.id });
  }
}
