import { createRequire } from 'node:module';
import type xtermHeadless from '@xterm/headless';
import type serializeAddon from '@xterm/addon-serialize';
import { PtyError, PtyErrorCode } from './errors.js';
import type { ByteRing } from './ring-buffer.js';
import { planSkip } from './skip-plan.js';

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

// One buffer for every screen's catch-up (each runs synchronously to its end), so a
// catch-up does not map fresh pages for a copy of up to a whole ring each time.
let scratchBuf = Buffer.alloc(0);
function scratch(bytes: number): Buffer {
  if (scratchBuf.length < bytes) scratchBuf = Buffer.allocUnsafeSlow(Math.max(bytes, 64 * 1024));
  return scratchBuf;
}

/** Options for {@link Screen}. */
export interface ScreenOptions {
  cols: number;
  rows: number;
  /** Scrollback lines kept in the emulator and included in snapshots (default 200). */
  scrollback?: number;
  /** The session's output ring: the screen reads what it has not parsed from here. */
  ring: ByteRing;
  /**
   * Escape sequences that rebuild an earlier screen (a rediscovered tmux pane), standing
   * for every offset before the ring's first.
   */
  seed?: string;
  /**
   * Unparsed bytes after which the screen catches up at the end of the event-loop turn
   * (default half the ring). Before the ring would drop unparsed bytes, it
   * catches up at once.
   */
  catchUpBytes?: number;
  /** Most bytes parsed per event-loop turn while catching up in the background (default 256 KiB). */
  sliceBytes?: number;
}

interface WriteBufferLike {
  writeSync(data: Uint8Array | string, maxSubsequentCalls?: number): void;
}

interface CoreLike {
  _writeBuffer?: Partial<WriteBufferLike>;
  _inputHandler?: { _parser?: { currentState?: number } };
  buffer?: { scrollTop?: number; scrollBottom?: number };
  coreService?: { isCursorHidden?: boolean };
}

/** Bytes the screen parsed and skipped, for tests and benchmarks. */
export interface ScreenStats {
  parsedBytes: number;
  skippedBytes: number;
  /** Bytes the ring dropped before the screen saw them (always 0 unless a write bypassed {@link Screen.beforeWrite}). */
  lostBytes: number;
}

/**
 * The current screen of one terminal, kept by a headless xterm.js so that a viewer
 * whose offset has left the ring buffer can be given the screen and its modes
 * (alternate screen, cursor, colours) instead.
 *
 * Screen parsing is kept off the byte path: output goes to the ring, and the screen
 * follows the ring from the offset it has parsed to. It catches up when it is read
 * (snapshot, buffer type), before a resize, in the background once `catchUpBytes` are
 * waiting, and at once before the ring would drop a byte it has not seen. Catching up
 * skips plain text that has scrolled out of the emulator's buffer anyway
 * ({@link planSkip}), so bulk output (logs, `cat`, base64) is mostly never parsed.
 * The emulator itself is made at the first catch-up: a terminal nobody snapshots and
 * whose output fits the ring never pays for it.
 *
 * Parsing uses xterm's synchronous write path (its public `write` parses in 12 ms slices
 * on a timer).
 */
export class Screen {
  private term: xtermHeadless.Terminal | undefined;
  private serializer: serializeAddon.SerializeAddon | undefined;
  private writer: WriteBufferLike | undefined;
  private readonly ring: ByteRing;
  private readonly scrollback: number;
  private readonly catchUpBytes: number;
  private readonly sliceBytes: number;
  private cols: number;
  private rows: number;
  /** Offset of the first byte not yet parsed (or skipped). */
  private parsed: number;
  private scheduled = false;
  private disposed = false;
  readonly stats: ScreenStats = { parsedBytes: 0, skippedBytes: 0, lostBytes: 0 };

  constructor(options: ScreenOptions) {
    this.ring = options.ring;
    this.cols = options.cols;
    this.rows = options.rows;
    this.scrollback = options.scrollback ?? 200;
    this.catchUpBytes = Math.max(1, options.catchUpBytes ?? Math.floor(this.ring.capacity / 2));
    this.sliceBytes = Math.max(1, options.sliceBytes ?? 256 * 1024);
    this.parsed = this.ring.end;
    if (options.seed) this.emulator().writer.writeSync(Buffer.from(options.seed, 'utf8'));
  }

  private emulator(): { term: xtermHeadless.Terminal; writer: WriteBufferLike; serializer: serializeAddon.SerializeAddon } {
    if (this.term && this.writer && this.serializer) return { term: this.term, writer: this.writer, serializer: this.serializer };
    const { Terminal, SerializeAddon } = loadEmulator();
    const term = new Terminal({ cols: this.cols, rows: this.rows, scrollback: this.scrollback, allowProposedApi: true });
    const serializer = new SerializeAddon();
    term.loadAddon(serializer);
    const wb = this.core(term)?._writeBuffer;
    if (!wb || typeof wb.writeSync !== 'function') {
      term.dispose();
      throw new PtyError(PtyErrorCode.EmulatorUnsupported, '@xterm/headless has no synchronous write path; pin 6.0.x');
    }
    this.term = term;
    this.serializer = serializer;
    this.writer = wb as WriteBufferLike;
    return { term, writer: this.writer, serializer };
  }

  private core(term: xtermHeadless.Terminal): CoreLike | undefined {
    return (term as unknown as { _core?: CoreLike })._core;
  }

  /**
   * Call before `incoming` bytes are written to the ring: parses first what the ring
   * would otherwise drop unseen (also the part of an oversize chunk that will not fit).
   */
  beforeWrite(incoming: Uint8Array): void {
    if (this.disposed) return;
    const cap = this.ring.capacity;
    if (this.ring.end + incoming.byteLength - cap <= this.parsed) return;
    this.catchUp(Infinity);
    if (incoming.byteLength > cap) {
      this.advance(incoming.subarray(0, incoming.byteLength - cap));
      this.parsed = this.ring.end + incoming.byteLength - cap;
    }
  }

  /** Call after bytes were written to the ring: schedules a background catch-up once enough wait. */
  afterWrite(): void {
    if (this.disposed || this.scheduled || this.ring.end - this.parsed < this.catchUpBytes) return;
    this.scheduled = true;
    setImmediate(this.onImmediate);
  }

  private readonly onImmediate = (): void => {
    this.scheduled = false;
    if (this.disposed) return;
    this.catchUp(this.sliceBytes);
    this.afterWrite();
  };

  /** Parses everything the ring holds past what was parsed (at most `budget` bytes parsed, skips not counted). */
  private catchUp(budget: number): void {
    const end = this.ring.end;
    if (this.parsed >= end) return;
    if (this.parsed < this.ring.start) {
      // Cannot happen while every write goes through beforeWrite; if it did, go on from what is held.
      this.stats.lostBytes += this.ring.start - this.parsed;
      this.parsed = this.ring.start;
    }
    const region = this.ring.readInto(this.parsed, scratch(this.ring.end - this.parsed));
    this.parsed += this.advance(region, budget);
  }

  /** Feeds `region` to the emulator, skipping what {@link planSkip} allows; returns bytes consumed (all, unless `budget` ran out). */
  private advance(region: Uint8Array, budget = Infinity): number {
    const { term, writer } = this.emulator();
    const plan = planSkip(region, this.scrollback + 2 * this.rows + 2);
    if (plan && plan.head <= budget) {
      if (plan.head > 0) writer.writeSync(region.subarray(0, plan.head));
      this.stats.parsedBytes += plan.head;
      const core = this.core(term);
      const ground = core?._inputHandler?._parser?.currentState === 0;
      const fullRegion = core?.buffer?.scrollTop === 0 && core.buffer.scrollBottom === term.rows - 1;
      const from = ground && fullRegion && term.buffer.active.type === 'normal' ? plan.tail : plan.head;
      this.stats.skippedBytes += from - plan.head;
      const rest = region.subarray(from, from + Math.max(0, budget - plan.head));
      writer.writeSync(rest);
      this.stats.parsedBytes += rest.length;
      return from + rest.length;
    }
    const part = region.length > budget ? region.subarray(0, budget) : region;
    writer.writeSync(part);
    this.stats.parsedBytes += part.length;
    return part.length;
  }

  /** Parses everything not yet parsed. */
  sync(): void {
    if (!this.disposed) this.catchUp(Infinity);
  }

  /** Resizes the emulator after parsing what came before the resize. */
  resize(cols: number, rows: number): void {
    this.sync();
    this.cols = cols;
    this.rows = rows;
    this.term?.resize(cols, rows);
  }

  /** Current size. */
  get size(): { cols: number; rows: number } {
    return { cols: this.cols, rows: this.rows };
  }

  /**
   * Serialises the screen (scrollback, both buffers, modes, cursor) as escape
   * sequences that rebuild it when written to a fresh terminal of the same size.
   */
  snapshot(): string {
    this.sync();
    const { term, serializer } = this.emulator();
    let out = serializer.serialize();
    // The serializer leaves cursor visibility out; full-screen programs hide it.
    if (this.core(term)?.coreService?.isCursorHidden === true) out += '\x1b[?25l';
    return out;
  }

  /** Which buffer is showing (after parsing what is waiting). */
  get activeBuffer(): 'normal' | 'alternate' {
    this.sync();
    return this.term ? this.term.buffer.active.type : 'normal';
  }

  /** Frees the emulator. */
  dispose(): void {
    this.disposed = true;
    this.term?.dispose();
    this.term = undefined;
  }
}
