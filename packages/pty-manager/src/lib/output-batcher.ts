import type { Clock } from './clock.js';

/**
 * How a session merges output chunks while a program streams in bulk.
 *
 * A PTY read returns whatever the program wrote since the last read: a fast reader
 * gets thousands of chunks of a few hundred bytes per second, and every chunk costs a
 * frame and a socket write on each hop (worker, hub, browser). While the output rate
 * stays above `bulkBytes` per `windowMs`, chunks are held and merged, for at most
 * `maxDelayMs` or until `maxBytes` are held. Below that rate (a keystroke echo, a
 * prompt, a short command's output) every chunk goes out at once, so interactive
 * latency does not change.
 */
export interface OutputBatching {
  /** Bytes within one window after which output counts as bulk (default 32 KiB). */
  bulkBytes: number;
  /** Length of the rate window, in ms (default 10). */
  windowMs: number;
  /** Longest a chunk is held in bulk mode, in ms (default 2). */
  maxDelayMs: number;
  /** Bytes held that are sent at once (default 64 KiB). */
  maxBytes: number;
}

/** The defaults of {@link OutputBatching}. */
export const DEFAULT_OUTPUT_BATCHING: Readonly<OutputBatching> = Object.freeze({ bulkBytes: 32 * 1024, windowMs: 10, maxDelayMs: 2, maxBytes: 64 * 1024 });

/**
 * Applies an {@link OutputBatching} policy to one stream of chunks: `push` each chunk;
 * `emit` is called with each chunk or merged batch, in order, never empty.
 */
export class OutputBatcher {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private timer: unknown = null;
  private windowStart = -Infinity;
  private windowBytes = 0;
  private bulk = false;

  constructor(
    private readonly policy: Readonly<OutputBatching>,
    private readonly clock: Clock,
    private readonly emit: (chunk: Buffer) => void,
  ) {}

  /** Bytes held now (at most `maxBytes` plus one chunk). */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /** Takes one chunk: emits it now, or holds it while output is bulk. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const now = this.clock.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= this.policy.windowMs) {
      // Still bulk if the last window was, unless a whole window passed with nothing.
      this.bulk = elapsed < 2 * this.policy.windowMs && this.windowBytes >= this.policy.bulkBytes;
      this.windowStart = now;
      this.windowBytes = 0;
    }
    this.windowBytes += chunk.length;
    if (this.windowBytes >= this.policy.bulkBytes) this.bulk = true;
    if (!this.bulk && this.heldBytes === 0) return this.emit(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= this.policy.maxBytes) this.flush();
    else if (this.timer === null) this.timer = this.clock.setTimeout(this.onTimer, this.policy.maxDelayMs);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.flush();
  };

  /** Emits everything held, merged into one chunk. */
  flush(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.heldBytes === 0) return;
    const out = this.held.length === 1 ? (this.held[0] as Buffer) : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    this.emit(out);
  }

  /** Drops what is held and stops the timer (the stream is gone). */
  dispose(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.held = [];
    this.heldBytes = 0;
  }
}
