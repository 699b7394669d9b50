import { PtyError } from './errors.js';

/** Why a session ended. */
export type ExitReason = 'exited' | 'signaled' | 'closed' | 'reaped';

/** How a session's process ended, and why. */
export interface SessionExit {
  /** Exit status, or null when killed by a signal or unknown. */
  exitCode: number | null;
  /** Signal number or name that ended it, when known. */
  signal: number | string | null;
  /** `exited`/`signaled`: the program ended by itself; `closed`: close() was called; `reaped`: idle grace ran out. */
  reason: ExitReason;
}

/** Why a viewer was dropped. */
export type DropReason = 'slow' | 'error' | 'session-removed' | 'manager-shutdown';

/**
 * A message to one viewer. Byte messages carry `offset`, the stream offset of their
 * first byte; `offset + data.length` is the offset to reattach from. `data` buffers
 * may be shared between viewers: do not mutate them.
 *
 * - `data`: output bytes; never ends inside a UTF-8 character.
 * - `snapshot`: the viewer's offset had left the buffer; `data` is the current screen
 *   as escape sequences (write it to a reset terminal of `cols`×`rows`), and live
 *   `data` continues from `offset`.
 * - `resize`: the terminal size changed.
 * - `exit`: the process ended; no more `data` follows.
 * - `dropped`: the viewer was detached by the session (`reason` says why); nothing follows.
 */
export type ViewerMessage =
  | { type: 'data'; offset: number; data: Buffer }
  | { type: 'snapshot'; offset: number; data: Buffer; cols: number; rows: number }
  | { type: 'resize'; cols: number; rows: number }
  | ({ type: 'exit' } & SessionExit)
  | { type: 'dropped'; reason: DropReason; message: string };

/**
 * Receives a viewer's messages in order. Return a promise to have the bytes count as
 * pending until it settles (e.g. a socket write callback); see {@link AttachOptions.manualAck}.
 */
export type ViewerSink = (msg: ViewerMessage) => void | Promise<unknown>;

/** Options for attaching a viewer. */
export interface AttachOptions {
  /** Where to start: the offset after the last byte the viewer has (default 0: everything still held). */
  fromOffset?: number;
  /** Delivery callback. */
  onMessage: ViewerSink;
  /** May this viewer write input and resize? (default true). */
  readOnly?: boolean;
  /**
   * Most output bytes handed to the sink but not yet consumed before the viewer is
   * dropped as `slow` (default: the manager's `maxViewerPendingBytes`, 4 MiB or twice
   * the ring, whichever is larger).
   */
  maxPendingBytes?: number;
  /**
   * When true, bytes count as pending until {@link Viewer.ack} is called with an offset
   * at or past them. When false (default), bytes are consumed when the sink returns,
   * or when the promise it returns settles.
   */
  manualAck?: boolean;
  /**
   * What happens when more than `maxPendingBytes` wait: `drop` (default) detaches the
   * viewer as `slow`; `pause` stops reading the program's output until half of it has
   * been consumed, so the program waits (backpressure, as over SSH) instead of the viewer
   * losing its place. For a viewer that relays to others (an agent's link to its control
   * plane); a `pause` viewer more than four times over the limit is dropped all the same.
   */
  flow?: 'drop' | 'pause';
  /** A label for logs and events (default: a generated id). */
  id?: string;
}

/** How an attach began: a replay of held bytes, or a screen snapshot. */
export interface AttachStart {
  kind: 'replay' | 'snapshot';
  /** Offset of the first byte the viewer gets (replay), or that the snapshot stands for. */
  offset: number;
}

/** Hooks a {@link Viewer} calls back into its session with. */
export interface ViewerHost {
  writeFrom(viewer: Viewer, data: string | Buffer): void;
  resizeFrom(viewer: Viewer, cols: number, rows: number): void;
  detachViewer(viewer: Viewer, reason: DropReason | 'detached', message: string): void;
  /** A `pause` viewer is over its limit (true) or back under half of it (false). */
  setViewerBlocked?(viewer: Viewer, blocked: boolean): void;
}

/**
 * One viewer of a session: an independent cursor into the output stream with its own
 * backpressure limit. A viewer never slows the PTY or other viewers: if it falls more
 * than `maxPendingBytes` behind, it is dropped with reason `slow`.
 */
export class Viewer {
  /** Whether this viewer may not write or resize. */
  readonly readOnly: boolean;
  private pending = 0;
  private sentEnd: number;
  private acked: number;
  private closedFlag = false;
  private blocked = false;

  /** @internal made by {@link TerminalSession.attach}. */
  constructor(
    /** Viewer id. */
    readonly id: string,
    private readonly host: ViewerHost,
    private readonly sink: ViewerSink,
    private readonly maxPendingBytes: number,
    private readonly manualAck: boolean,
    readOnly: boolean,
    startOffset: number,
    private readonly flow: 'drop' | 'pause' = 'drop',
  ) {
    this.readOnly = readOnly;
    this.sentEnd = startOffset;
    this.acked = startOffset;
  }

  /** Bytes handed over but not yet consumed. */
  get pendingBytes(): number {
    return this.manualAck ? this.sentEnd - this.acked : this.pending;
  }

  /** Offset after the last byte handed over. */
  get offset(): number {
    return this.sentEnd;
  }

  /** False once detached or dropped. */
  get attached(): boolean {
    return !this.closedFlag;
  }

  /** With `manualAck`, marks every byte before `offset` as consumed. */
  ack(offset: number): void {
    if (offset > this.acked) this.acked = Math.min(offset, this.sentEnd);
    this.maybeUnblock();
  }

  private maybeUnblock(): void {
    if (!this.blocked || this.pendingBytes > this.maxPendingBytes / 2) return;
    this.blocked = false;
    this.host.setViewerBlocked?.(this, false);
  }

  /** Sends input, if this viewer may write. @throws PtyError `PTY_ERR_READ_ONLY` / `PTY_ERR_VIEWER_CLOSED` */
  write(data: string | Buffer): void {
    this.assertWritable();
    this.host.writeFrom(this, data);
  }

  /** Resizes the terminal, if this viewer may write. */
  resize(cols: number, rows: number): void {
    this.assertWritable();
    this.host.resizeFrom(this, cols, rows);
  }

  /** Stops receiving output. Idempotent. */
  detach(): void {
    if (!this.closedFlag) this.host.detachViewer(this, 'detached', 'detached by the viewer');
  }

  /** @internal delivers output; returns false when the viewer had to be dropped. */
  sendData(offset: number, data: Buffer): boolean {
    if (this.closedFlag) return false;
    this.sentEnd = offset + data.length;
    return this.deliver({ type: 'data', offset, data }, data.length);
  }

  /** @internal delivers a snapshot standing for `offset`. */
  sendSnapshot(offset: number, data: Buffer, cols: number, rows: number): boolean {
    this.sentEnd = offset;
    this.acked = offset;
    return this.deliver({ type: 'snapshot', offset, data, cols, rows }, data.length);
  }

  /** @internal delivers a control message (not counted against the limit). */
  sendControl(msg: ViewerMessage): void {
    if (!this.closedFlag) this.deliver(msg, 0);
  }

  /** @internal marks closed and tells the sink why, unless the viewer asked for it. */
  markClosed(reason: DropReason | 'detached', message: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.blocked) {
      this.blocked = false;
      this.host.setViewerBlocked?.(this, false);
    }
    if (reason !== 'detached') {
      try {
        void this.sink({ type: 'dropped', reason, message });
      } catch {
        /* the sink is gone either way */
      }
    }
  }

  private deliver(msg: ViewerMessage, bytes: number): boolean {
    if (this.closedFlag) return false;
    const after = this.manualAck ? this.sentEnd - this.acked : this.pending + bytes;
    if (bytes > 0 && after > this.maxPendingBytes) {
      if (this.flow === 'pause' && after <= 4 * this.maxPendingBytes) {
        if (!this.blocked) {
          this.blocked = true;
          this.host.setViewerBlocked?.(this, true);
        }
      } else {
        this.host.detachViewer(this, 'slow', `viewer fell more than ${this.maxPendingBytes} bytes behind`);
        return false;
      }
    }
    let result: void | Promise<unknown>;
    try {
      result = this.sink(msg);
    } catch (err) {
      this.host.detachViewer(this, 'error', `viewer sink threw: ${(err as Error).message}`);
      return false;
    }
    if (!this.manualAck && bytes > 0 && result && typeof (result as Promise<unknown>).then === 'function') {
      this.pending += bytes;
      const done = (): void => {
        this.pending -= bytes;
        this.maybeUnblock();
      };
      (result as Promise<unknown>).then(done, done);
    }
    return true;
  }

  private assertWritable(): void {
    if (this.closedFlag) throw PtyError.viewerClosed(this.id);
    if (this.readOnly) throw PtyError.readOnly(this.id);
  }
}
