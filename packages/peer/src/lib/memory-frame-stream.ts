/**
 * Two {@link FrameStream}s wired to each other in memory, for unit tests of anything
 * built on the seam: a fake, not a mock. Frames are delivered on a later turn of the
 * event loop (never synchronously inside `send`), so a producer that never yields
 * builds a queue exactly as it would on a socket, and `pause()` on the reading side
 * makes the sending side's `bufferedAmount` grow.
 */
import { CLOSE_CODES, CloseSignal, checkMaxFrameBytes, type Frame, type FrameHandler, type FrameStream } from './frame-stream.js';

/** Options of {@link createMemoryFramePair}. */
export interface MemoryFramePairOptions {
  /** Largest frame each side accepts (default {@link DEFAULT_MAX_FRAME_BYTES}). */
  maxFrameBytes?: number;
}

interface Queued {
  frame: Frame;
  cb: ((err?: Error | null) => void) | undefined;
}

/** One end of a {@link createMemoryFramePair} pair. */
export class MemoryFrameStream implements FrameStream {
  readonly maxFrameBytes: number;
  /** Set by {@link createMemoryFramePair}. */
  private other!: MemoryFrameStream;
  private readonly inbox: Queued[] = [];
  /** Bytes in the far side's inbox that came from this side. */
  private queuedBytes = 0;
  private handler: FrameHandler | undefined;
  private paused = false;
  private scheduled = false;
  private readonly closing = new CloseSignal();

  /** @internal use {@link createMemoryFramePair}. */
  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** @internal */
  static link(a: MemoryFrameStream, b: MemoryFrameStream): void {
    a.other = b;
    b.other = a;
  }

  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  get closed(): boolean {
    return this.closing.fired;
  }

  send(frame: Frame, cb?: (err?: Error | null) => void): void {
    if (this.closed) {
      if (cb) queueMicrotask(() => cb(new Error('stream is closed')));
      return;
    }
    const far = this.other;
    if (frame.data.byteLength > far.maxFrameBytes) {
      // The far side refuses it as a socket would: the link closes with "too big".
      if (cb) queueMicrotask(() => cb(new Error('frame too large for the far side')));
      this.shutdown(CLOSE_CODES.tooBig, `frame of ${frame.data.byteLength} bytes is over the ${far.maxFrameBytes} allowed`);
      return;
    }
    // Copy: the caller may reuse its buffer, as it may with a socket.
    far.inbox.push({ frame: { kind: frame.kind, data: Uint8Array.from(frame.data) }, cb });
    this.queuedBytes += frame.data.byteLength;
    far.schedule();
  }

  onFrame(handler: FrameHandler): void {
    this.handler = handler;
    this.schedule();
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closing.add(handler);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    this.shutdown(code, reason);
  }

  private shutdown(code: number, reason: string): void {
    if (this.closed) return;
    for (const side of [this, this.other]) {
      for (const q of side.inbox.splice(0)) q.cb?.(new Error('stream closed before the frame was delivered'));
      side.other.queuedBytes = 0;
    }
    this.closing.fire(code, reason);
    this.other.closing.fire(code, reason);
  }

  private schedule(): void {
    if (this.scheduled || this.paused || this.inbox.length === 0 || !this.handler) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    while (!this.paused && !this.closed && this.handler && this.inbox.length > 0) {
      const q = this.inbox.shift() as Queued;
      this.other.queuedBytes -= q.frame.data.byteLength;
      q.cb?.();
      this.handler(q.frame);
    }
  }
}

/**
 * Two connected in-memory frame streams `[a, b]`: what `a` sends, `b` receives.
 * `close` on either closes both with the same code and reason; frames not yet
 * delivered are dropped and their `send` callbacks get an error.
 */
export function createMemoryFramePair(options: MemoryFramePairOptions = {}): [MemoryFrameStream, MemoryFrameStream] {
  const max = checkMaxFrameBytes(options.maxFrameBytes);
  const a = new MemoryFrameStream(max);
  const b = new MemoryFrameStream(max);
  MemoryFrameStream.link(a, b);
  return [a, b];
}
