import { EventEmitter } from 'node:events';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { processTree, signalAll } from './process-tree.js';
import { ByteRing } from './ring-buffer.js';
import { OutputBatcher, type OutputBatching } from './output-batcher.js';
import { Screen } from './screen.js';
import type { Disposable, ProcessExit, TerminalProcess } from './terminal-process.js';
import { Utf8Chunker } from './utf8.js';
import { PtyError } from './errors.js';
import {
  Viewer,
  type AttachOptions,
  type AttachStart,
  type DropReason,
  type SessionExit,
  type ViewerHost,
  type ViewerMessage,
} from './viewer.js';

/** Terminal size bounds; resize requests are clamped into them. */
export const SIZE_LIMITS = { minCols: 2, maxCols: 1000, minRows: 1, maxRows: 500 } as const;

/** Clamps a requested size into {@link SIZE_LIMITS} (non-numbers become 80×24). */
export function clampSize(cols: number, rows: number): { cols: number; rows: number } {
  const c = Number.isFinite(cols) ? Math.floor(cols) : 80;
  const r = Number.isFinite(rows) ? Math.floor(rows) : 24;
  return {
    cols: Math.min(SIZE_LIMITS.maxCols, Math.max(SIZE_LIMITS.minCols, c)),
    rows: Math.min(SIZE_LIMITS.maxRows, Math.max(SIZE_LIMITS.minRows, r)),
  };
}

/** Which backend a session runs on. */
export type SessionBackend = 'pty' | 'tmux' | 'custom';

/** A session's metadata, as listed. */
export interface SessionInfo {
  id: string;
  name: string;
  command: string;
  args: string[];
  backend: SessionBackend;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the last output, input or attach. */
  lastActivityAt: number;
  cols: number;
  rows: number;
  status: 'alive' | 'exited';
  exit: SessionExit | null;
  viewers: number;
  /** Offset one past the last output byte. */
  offset: number;
  pid: number | null;
}

/** Events a session emits (the manager re-emits them with the session id). */
export interface SessionEvents {
  output: [{ offset: number; data: Buffer }];
  exit: [SessionExit];
  resize: [{ cols: number; rows: number }];
  viewerJoined: [{ viewerId: string; readOnly: boolean; start: AttachStart }];
  viewerLeft: [{ viewerId: string; reason: DropReason | 'detached'; message: string }];
}

/** @internal everything a session is built from; the manager fills the defaults. */
export interface SessionInit {
  id: string;
  name: string;
  command: string;
  args: string[];
  backend: SessionBackend;
  process: TerminalProcess;
  cols: number;
  rows: number;
  createdAt: number;
  ringBufferBytes: number;
  scrollback: number;
  maxViewerPendingBytes: number;
  closeGraceMs: number;
  /** Merge output chunks while the program streams in bulk (null: never). */
  batching: Readonly<OutputBatching> | null;
  clock: Clock;
  logger: Logger;
  /**
   * What came before this manager (a rediscovered tmux session): the screen as escape
   * sequences, standing for every offset before `offset`, where the ring starts. A
   * viewer asking for an earlier offset gets a snapshot of it (plus what followed).
   */
  seed?: { screen: string; offset: number };
  /** Extra work when closing (tmux kills its session). */
  onClose?: () => Promise<void>;
}

/** Options for {@link TerminalSession.close}. */
export interface CloseOptions {
  /** First signal, sent to the whole process tree (default SIGHUP, what a closing terminal sends). */
  signal?: NodeJS.Signals;
  /** How long to wait before SIGKILL (default: the manager's `closeGraceMs`, 2000). */
  graceMs?: number;
}

let viewerSeq = 0;

/**
 * One terminal: a process, its output ring, its screen, its viewers.
 *
 * All output goes through one synchronous path (chunk at UTF-8 boundaries → ring →
 * each viewer; the screen follows the ring lazily), and {@link attach} replays and
 * registers in one synchronous step, so a viewer sees every byte exactly once with no gap.
 */
export class TerminalSession extends EventEmitter<SessionEvents> implements ViewerHost {
  /** Session id. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  private readonly init: SessionInit;
  private readonly ring: ByteRing;
  private readonly screen: Screen;
  private readonly chunker = new Utf8Chunker();
  private readonly batcher: OutputBatcher | null;
  private readonly viewerSet = new Set<Viewer>();
  /** `pause` viewers over their limit: output is not read while any is here. */
  private readonly blockedViewers = new Set<Viewer>();
  /** The viewers as an array, replaced (never mutated) on attach/detach, so output can iterate it without copying. */
  private viewerList: readonly Viewer[] = [];
  private readonly subs: Disposable[] = [];
  private cols: number;
  private rows: number;
  private lastActivityAt: number;
  private exitInfo: SessionExit | null = null;
  private closing: ExitReasonOverride | null = null;
  private exitWaiters: Array<(e: SessionExit) => void> = [];
  private disposed = false;

  /** @internal use {@link PtyManager.create}. */
  constructor(init: SessionInit) {
    super();
    this.init = init;
    this.id = init.id;
    this.name = init.name;
    this.cols = init.cols;
    this.rows = init.rows;
    this.lastActivityAt = init.createdAt;
    this.ring = new ByteRing(init.ringBufferBytes, init.seed?.offset ?? 0);
    this.batcher = init.batching ? new OutputBatcher(init.batching, init.clock, (chunk) => this.push(chunk)) : null;
    this.screen = new Screen({ cols: init.cols, rows: init.rows, scrollback: init.scrollback, ring: this.ring, ...(init.seed ? { seed: init.seed.screen } : {}) });
    this.subs.push(init.process.onData((d) => this.onOutput(d)));
    this.subs.push(init.process.onExit((e) => this.onProcessExit(e)));
  }

  /** Metadata for listings. */
  info(): SessionInfo {
    return {
      id: this.id,
      name: this.name,
      command: this.init.command,
      args: [...this.init.args],
      backend: this.init.backend,
      createdAt: this.init.createdAt,
      lastActivityAt: this.lastActivityAt,
      cols: this.cols,
      rows: this.rows,
      status: this.exitInfo ? 'exited' : 'alive',
      exit: this.exitInfo,
      viewers: this.viewerSet.size,
      offset: this.ring.end,
      pid: this.init.process.pid ?? null,
    };
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Number of attached viewers. */
  get viewerCount(): number {
    return this.viewerSet.size;
  }

  /** Offset one past the last output byte. */
  get offset(): number {
    return this.ring.end;
  }

  /** Oldest offset still held in the ring buffer. */
  get bufferStart(): number {
    return this.ring.start;
  }

  /** The exit, once the process has ended. */
  get exit(): SessionExit | null {
    return this.exitInfo;
  }

  /**
   * Attaches a viewer. If `fromOffset` is still held, the viewer first gets the bytes
   * from there (moved back to the start of a character if it points inside one), then
   * the live stream; otherwise it gets a snapshot of the current screen standing for
   * the current offset, then the live stream. Replay and registration happen in one
   * synchronous step. A `fromOffset` past the end is treated as the end.
   */
  attach(options: AttachOptions): { viewer: Viewer; start: AttachStart } {
    const id = options.id ?? `v${++viewerSeq}`;
    const readOnly = options.readOnly ?? false;
    const limit = options.maxPendingBytes ?? this.init.maxViewerPendingBytes;
    const end = this.ring.end;
    let from = Math.min(Math.max(0, Math.floor(options.fromOffset ?? 0)), end);
    if (from > this.ring.start && from < end) from = this.charStart(from);
    const replay = from >= this.ring.start;
    const start: AttachStart = replay ? { kind: 'replay', offset: from } : { kind: 'snapshot', offset: end };
    const viewer = new Viewer(id, this, options.onMessage, limit, options.manualAck ?? false, readOnly, start.offset, options.flow ?? 'drop');
    this.viewerSet.add(viewer);
    this.viewerList = [...this.viewerSet];
    this.lastActivityAt = this.init.clock.now();
    if (replay) {
      if (from < end) viewer.sendData(from, this.ring.read(from));
    } else {
      viewer.sendSnapshot(end, Buffer.from(this.screen.snapshot(), 'utf8'), this.cols, this.rows);
    }
    if (viewer.attached && this.exitInfo) viewer.sendControl({ type: 'exit', ...this.exitInfo });
    if (viewer.attached) this.emit('viewerJoined', { viewerId: id, readOnly, start });
    return { viewer, start };
  }

  /** Writes input to the terminal (owner access; viewers go through {@link Viewer.write}). */
  write(data: string | Buffer): void {
    if (this.exitInfo) throw PtyError.sessionExited(this.id);
    this.lastActivityAt = this.init.clock.now();
    this.init.process.write(data);
  }

  /** Resizes the terminal, clamped to {@link SIZE_LIMITS}. Returns the size applied. */
  resize(cols: number, rows: number): { cols: number; rows: number } {
    if (this.exitInfo) throw PtyError.sessionExited(this.id);
    const size = clampSize(cols, rows);
    if (size.cols === this.cols && size.rows === this.rows) return size;
    this.cols = size.cols;
    this.rows = size.rows;
    this.init.process.resize(size.cols, size.rows);
    this.screen.resize(size.cols, size.rows);
    this.broadcast({ type: 'resize', ...size });
    this.emit('resize', size);
    return size;
  }

  /** The current screen as escape sequences (what a snapshot attach would send). */
  snapshot(): { offset: number; data: string; cols: number; rows: number; buffer: 'normal' | 'alternate' } {
    const data = this.screen.snapshot();
    return { offset: this.ring.end, data, cols: this.cols, rows: this.rows, buffer: this.screen.activeBuffer };
  }

  /**
   * Ends the process: `signal` to its whole tree (every descendant and every process
   * in its terminal session), then SIGKILL to what is left after `graceMs`.
   * Resolves with the exit once the process is gone.
   */
  async close(options: CloseOptions = {}, reason: 'closed' | 'reaped' = 'closed'): Promise<SessionExit> {
    if (this.exitInfo) return this.exitInfo;
    if (!this.closing) this.closing = { reason };
    const signal = options.signal ?? 'SIGHUP';
    const graceMs = options.graceMs ?? this.init.closeGraceMs;
    const pid = this.init.process.pid;
    const tree = pid ? await processTree(pid) : [];
    const exited = this.waitExit();
    signalAll(tree, signal);
    try {
      this.init.process.kill(signal);
    } catch {
      /* already gone */
    }
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    // Children that ignored the signal (or were reparented) still hold the session id.
    const rest = pid ? [...new Set([...tree.filter((p) => p !== pid || late), ...(await processTree(pid))])] : [];
    signalAll(rest, 'SIGKILL');
    if (late) {
      try {
        this.init.process.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (this.init.onClose) await this.init.onClose().catch(() => undefined);
    return exited;
  }

  /**
   * Stops watching the process without ending it (tmux sessions survive this); the
   * session is then disposed by its manager.
   */
  async detachBackend(): Promise<void> {
    this.batcher?.flush();
    for (const s of this.subs) s.dispose();
    this.subs.length = 0;
    if (this.init.process.detach) this.init.process.detach();
    else await this.close();
  }

  /** Resolves once the process has exited. */
  waitExit(): Promise<SessionExit> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    return new Promise((r) => this.exitWaiters.push(r));
  }

  /**
   * Detaches every viewer (telling each `reason`) and frees the screen. The process is
   * not signalled: close it first, or leave it to its backend (tmux).
   */
  dispose(reason: DropReason = 'session-removed'): void {
    if (this.disposed) return;
    this.batcher?.flush();
    this.batcher?.dispose();
    this.disposed = true;
    for (const v of [...this.viewerSet]) this.detachViewer(v, reason, `session ${this.id}: ${reason}`);
    for (const s of this.subs) s.dispose();
    this.screen.dispose();
  }

  /** @internal */
  writeFrom(_viewer: Viewer, data: string | Buffer): void {
    this.write(data);
  }

  /** @internal */
  resizeFrom(_viewer: Viewer, cols: number, rows: number): void {
    this.resize(cols, rows);
  }

  /** @internal */
  setViewerBlocked(viewer: Viewer, blocked: boolean): void {
    const before = this.blockedViewers.size;
    if (blocked && this.viewerSet.has(viewer)) this.blockedViewers.add(viewer);
    else this.blockedViewers.delete(viewer);
    const after = this.blockedViewers.size;
    try {
      if (before === 0 && after > 0) this.init.process.pause?.();
      else if (before > 0 && after === 0) this.init.process.resume?.();
    } catch {
      /* the process is going away */
    }
  }

  /** True while a `pause` viewer holds the program's output back. */
  get outputPaused(): boolean {
    return this.blockedViewers.size > 0;
  }

  /** @internal */
  detachViewer(viewer: Viewer, reason: DropReason | 'detached', message: string): void {
    if (!this.viewerSet.delete(viewer)) return;
    this.viewerList = [...this.viewerSet];
    viewer.markClosed(reason, message);
    if (reason === 'slow' || reason === 'error') this.init.logger.warn({ session: this.id, viewer: viewer.id, reason }, message);
    this.emit('viewerLeft', { viewerId: viewer.id, reason, message });
  }

  private charStart(offset: number): number {
    // Steps back over continuation bytes, as long as they are still held.
    let o = offset;
    while (o > this.ring.start && offset - o < 3 && (this.ring.at(o) & 0xc0) === 0x80) o--;
    return (this.ring.at(o) & 0xc0) === 0x80 && o === this.ring.start ? o - 1 : o;
  }

  private onOutput(raw: Buffer): void {
    if (this.disposed) return;
    const chunk = this.chunker.push(raw);
    if (this.batcher) this.batcher.push(chunk);
    else this.push(chunk);
  }

  private push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const offset = this.ring.end;
    // The screen reads the ring later (see Screen); it only parses now what the ring would drop unseen.
    this.screen.beforeWrite(chunk);
    this.ring.write(chunk);
    this.screen.afterWrite();
    this.lastActivityAt = this.init.clock.now();
    // viewerList is never mutated: a sink may attach a viewer, which has already replayed this chunk.
    for (const v of this.viewerList) v.sendData(offset, chunk);
    if (this.listenerCount('output') > 0) this.emit('output', { offset, data: chunk });
  }

  private onProcessExit(e: ProcessExit): void {
    if (this.exitInfo) return;
    if (!this.disposed) {
      this.batcher?.flush();
      this.push(this.chunker.flush());
    }
    const reason = this.closing?.reason ?? (e.signal ? 'signaled' : 'exited');
    this.exitInfo = { exitCode: e.exitCode, signal: e.signal, reason };
    this.init.logger.debug({ session: this.id, ...this.exitInfo }, 'terminal exited');
    this.broadcast({ type: 'exit', ...this.exitInfo });
    for (const w of this.exitWaiters) w(this.exitInfo);
    this.exitWaiters = [];
    this.emit('exit', this.exitInfo);
  }

  private broadcast(msg: ViewerMessage): void {
    for (const v of this.viewerList) v.sendControl(msg);
  }
}

interface ExitReasonOverride {
  reason: 'closed' | 'reaped';
}

