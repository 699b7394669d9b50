import { createRequire } from 'node:module';
import type xtermHeadless from '@xterm/headless';
import type serializeAddon from '@xterm/addon-serialize';
import { PtyError, PtyErrorCode } from './errors.js';

// xterm.js and its serialize addon cost a worker ~1-1.5 MB of heap, and a worker without
// terminals never needs them; so they are required (synchronously, keeping Screen's
// constructor synchronous) when the first screen is made, not when this module loads.
const require = createRequire(import.meta.url);
let emulator: { Terminal: typeof xtermHeadless.Terminal; SerializeAddon: typeof serializeAddon.SerializeAddon } | undefined;
function loadEmulator(): NonNullable<typeof emulator> {
  emulator ??= {
    Terminal: (require('@xterm/headless') as typeof xtermHeadless).Terminal,
    SerializeAddon: (require('@xterm/addon-serialize') as typeof serializeAddon).SerializeAddon,
  };
  return emulator;
}

/** Options for {@link Screen}. */
export interface ScreenOptions {
  cols: number;
  rows: number;
  /** Scrollback lines kept in the emulator and included in snapshots (default 200). */
  scrollback?: number;
  /** Bytes buffered before the emulator is fed synchronously (default 256 KiB). */
  maxPendingBytes?: number;
  /** Bytes buffered before they are parsed at the end of the event-loop turn rather than after `drainDelayMs` (default 1 KiB). */
  batchBytes?: number;
  /** Longest time a trickle of output (below `batchBytes`) waits before it is parsed, in ms, unless the screen is read first (default 50). */
  drainDelayMs?: number;
}

interface WriteBufferLike {
  writeSync(data: Uint8Array | string, maxSubsequentCalls?: number): void;
}

/**
 * The current screen of one terminal, kept by a headless xterm.js so that a viewer
 * whose offset has left the ring buffer can be given the screen and its modes
 * (alternate screen, cursor, colours) instead.
 *
 * Output is queued and parsed in batches with xterm's synchronous write path (xterm's
 * public `write` parses in 12 ms slices on a timer, which stalls PTY reads and costs
 * ~25 % of throughput):
 * - bulk output (`batchBytes` or more queued) is parsed at the end of the event-loop
 *   turn (setImmediate): small slices keep the program writing while we parse, which
 *   larger synchronous batches were measured to lose (0.6–0.8× raw instead of 0.9×);
 * - a trickle (keystroke echoes, prompts) is parsed `drainDelayMs` later, so the parse
 *   does not sit between an echo and the next PTY read (the per-turn parse made echo
 *   p50 1.2–1.3× raw node-pty, p99 2–4×);
 * - `maxPendingBytes` queued are parsed at once.
 * Any call that reads the screen first drains the queue, so a snapshot always matches
 * the bytes fed so far.
 */
export class Screen {
  private readonly term: xtermHeadless.Terminal;
  private readonly serializer: serializeAddon.SerializeAddon;
  private readonly writer: WriteBufferLike;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate = false;
  private readonly maxPendingBytes: number;
  private readonly batchBytes: number;
  private readonly drainDelayMs: number;
  private disposed = false;

  constructor(options: ScreenOptions) {
    const { Terminal, SerializeAddon } = loadEmulator();
    this.term = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: options.scrollback ?? 200,
      allowProposedApi: true,
    });
    this.serializer = new SerializeAddon();
    this.term.loadAddon(this.serializer);
    const core = (this.term as unknown as { _core?: { _writeBuffer?: Partial<WriteBufferLike> } })._core;
    const wb = core?._writeBuffer;
    if (!wb || typeof wb.writeSync !== 'function') {
      throw new PtyError(PtyErrorCode.EmulatorUnsupported, '@xterm/headless has no synchronous write path; pin 6.0.x');
    }
    this.writer = wb as WriteBufferLike;
    this.maxPendingBytes = options.maxPendingBytes ?? 256 * 1024;
    this.batchBytes = options.batchBytes ?? 1024;
    this.drainDelayMs = options.drainDelayMs ?? 50;
  }

  /** Queues output for the emulator. */
  write(data: Buffer): void {
    if (this.disposed) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= this.maxPendingBytes) this.drain();
    else if (this.pendingBytes >= this.batchBytes) {
      if (!this.immediate) {
        this.immediate = true;
        setImmediate(this.onImmediate);
      }
    } else if (this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.drainDelayMs);
      this.timer.unref();
    }
  }

  private readonly onImmediate = (): void => {
    this.immediate = false;
    this.drain();
  };

  private readonly onTimer = (): void => {
    this.timer = null;
    this.drain();
  };

  /** Parses everything queued. */
  drain(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pendingBytes === 0 || this.disposed) return;
    const data = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.writer.writeSync(data);
  }

  /** Resizes the emulator after parsing what came before the resize. */
  resize(cols: number, rows: number): void {
    this.drain();
    this.term.resize(cols, rows);
  }

  /** Current size. */
  get size(): { cols: number; rows: number } {
    return { cols: this.term.cols, rows: this.term.rows };
  }

  /**
   * Serialises the screen (scrollback, both buffers, modes, cursor) as escape
   * sequences that rebuild it when written to a fresh terminal of the same size.
   */
  snapshot(): string {
    this.drain();
    let out = this.serializer.serialize();
    // The serializer leaves cursor visibility out; full-screen programs hide it.
    const core = (this.term as unknown as { _core?: { coreService?: { isCursorHidden?: boolean } } })._core;
    if (core?.coreService?.isCursorHidden === true) out += '\x1b[?25l';
    return out;
  }

  /** Which buffer is showing (after parsing what is queued). */
  get activeBuffer(): 'normal' | 'alternate' {
    this.drain();
    return this.term.buffer.active.type;
  }

  /** Frees the emulator. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.term.dispose();
  }
}
