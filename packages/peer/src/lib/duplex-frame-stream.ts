/**
 * {@link FrameStream} over any byte `Duplex`: an `ssh2` channel (a subsystem's
 * session channel), a pipe, a TCP socket. Frames use the layout drawn in
 * `stream-framing.ts`; the close frame carries a WebSocket-style code and reason, so
 * both ends report the same close as they would over WebSocket.
 */
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, CloseSignal, checkMaxFrameBytes, type Frame, type FrameHandler, type FrameStream } from './frame-stream.js';
import { StreamFrameDecoder, encodeCloseFrame, encodeStreamFrame, type DecodedItem } from './stream-framing.js';

/** Options of {@link DuplexFrameStream}. */
export interface DuplexFrameStreamOptions {
  /** Largest inbound frame payload this side accepts (default {@link DEFAULT_MAX_FRAME_BYTES}). */
  maxFrameBytes?: number;
  /**
   * After `close`, how long the far side has to end its half before the stream is
   * destroyed (default 5 000 ms), so a peer that never answers cannot hold it open.
   */
  closeTimeoutMs?: number;
}

/** A {@link FrameStream} over a byte stream (SSH channel or any Duplex). */
export class DuplexFrameStream implements FrameStream {
  readonly maxFrameBytes: number;
  private readonly decoder: StreamFrameDecoder;
  private readonly closing = new CloseSignal();
  private readonly closeTimeoutMs: number;
  private handler: FrameHandler | undefined;
  private ending = false;

  constructor(
    private readonly duplex: Duplex,
    options: DuplexFrameStreamOptions = {},
  ) {
    this.maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.decoder = new StreamFrameDecoder(this.maxFrameBytes);
    const vanished = () => this.closing.fire(CLOSE_CODES.abnormal, 'stream ended without a close frame');
    duplex.on('end', vanished);
    duplex.on('close', vanished);
    duplex.on('error', vanished);
  }

  get bufferedAmount(): number {
    return this.duplex.writableLength;
  }

  get closed(): boolean {
    return this.ending || this.closing.fired;
  }

  send(frame: Frame, cb?: (err?: Error | null) => void): void {
    if (this.closed || !this.duplex.writable) {
      if (cb) queueMicrotask(() => cb(new Error('stream is closed')));
      return;
    }
    this.duplex.write(encodeStreamFrame(frame), cb);
  }

  onFrame(handler: FrameHandler): void {
    const first = this.handler === undefined;
    this.handler = handler;
    // Reading starts only with a reader, so bytes wait in the stream (bounded by its window) until then.
    if (first) this.duplex.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closing.add(handler);
  }

  pause(): void {
    this.duplex.pause();
  }

  resume(): void {
    if (this.handler) this.duplex.resume();
  }

  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.closed) return;
    this.ending = true;
    const d = this.duplex;
    if (d.writable) d.end(encodeCloseFrame(code, reason));
    const timer = setTimeout(() => d.destroy(), this.closeTimeoutMs);
    timer.unref();
    d.once('close', () => clearTimeout(timer));
    this.closing.fire(code, reason);
  }

  private receive(chunk: Buffer): void {
    if (this.closing.fired) return;
    const { items, error } = this.decoder.push(chunk);
    for (const item of items) this.deliver(item);
    if (error) this.close(error.closeCode, error.reason);
  }

  private deliver(item: DecodedItem): void {
    if (this.closing.fired) return;
    if (item.type === 'frame') return this.handler?.(item.frame);
    // The far side closed: end our half too, and report its code and reason.
    this.ending = true;
    if (this.duplex.writable) this.duplex.end();
    const timer = setTimeout(() => this.duplex.destroy(), this.closeTimeoutMs);
    timer.unref();
    this.duplex.once('close', () => clearTimeout(timer));
    this.closing.fire(item.code, item.reason);
  }
}
