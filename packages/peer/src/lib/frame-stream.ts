/**
 * The seam every transport implements: a duplex of whole frames, each text (UTF-8
 * JSON) or binary, with the byte count still queued on this side so that callers can
 * apply backpressure. A {@link Peer} is written against this interface only; a new
 * transport (QUIC, a Unix socket, a browser's WebSocket) plugs in by implementing it.
 */
import { BosunError, WORKER_MAX_INBOUND_MESSAGE_BYTES } from '@bosun/protocol';

/** Whether a frame carries JSON text or opaque bytes. */
export type FrameKind = 'text' | 'binary';

/** One frame. Text frames carry the UTF-8 bytes of one JSON message. */
export interface Frame {
  readonly kind: FrameKind;
  readonly data: Uint8Array;
}

/**
 * Close codes every transport reports in {@link FrameStream.onClose}. They are the
 * WebSocket ones (RFC 6455), so the WebSocket transport passes them through as they
 * are and the others carry them in their own close frame.
 */
export const CLOSE_CODES = Object.freeze({
  /** Closed on purpose by either side. */
  normal: 1000,
  /** The endpoint is going away (shutdown). */
  goingAway: 1001,
  /** The far side broke the framing (unknown frame kind, bad close frame). */
  protocolError: 1002,
  /** The link ended without a close frame (peer vanished, socket error). */
  abnormal: 1006,
  /** The far side broke a rule of this side: a reader too slow, too many errors. */
  policy: 1008,
  /** A frame was bigger than this side accepts. */
  tooBig: 1009,
  /** This side failed unexpectedly. */
  internal: 1011,
});

/**
 * Default largest frame a side accepts: {@link WORKER_MAX_INBOUND_MESSAGE_BYTES}
 * (1 MiB of JSON + 64 KiB of headroom), so that a JSON message a little over the
 * parser's 1 MiB still reaches the parser and is answered `too_large` instead of
 * killing the link.
 */
export const DEFAULT_MAX_FRAME_BYTES = WORKER_MAX_INBOUND_MESSAGE_BYTES;

/** Called with each whole inbound frame, in order. */
export type FrameHandler = (frame: Frame) => void;
/** Called once when the stream has closed, by either side, with a code from {@link CLOSE_CODES} (or the far side's). */
export type CloseHandler = (code: number, reason: string) => void;

/**
 * A duplex of frames. Implementations: {@link WebSocketFrameStream},
 * {@link DuplexFrameStream} (SSH channels, any byte stream) and
 * {@link createMemoryFramePair} (tests).
 *
 * Contract every implementation passes (see `src/conformance/`):
 * - frames arrive whole and in order; an inbound frame bigger than
 *   {@link FrameStream.maxFrameBytes} closes the stream with {@link CLOSE_CODES.tooBig}
 *   and is never buffered whole;
 * - `send`'s callback runs once the frame has left this side's queue (so
 *   {@link FrameStream.bufferedAmount} has dropped by its size), or with an error when
 *   the stream closed first;
 * - `onClose` handlers run exactly once, whoever closed.
 */
export interface FrameStream {
  /** Largest inbound frame (payload bytes) this side accepts. */
  readonly maxFrameBytes: number;
  /** Bytes handed to {@link FrameStream.send} that have not yet left this side. */
  readonly bufferedAmount: number;
  /** True once the stream has closed (or started closing). */
  readonly closed: boolean;
  /** Queues `frame` for the far side. Never throws; after close, `cb` gets an error. */
  send(frame: Frame, cb?: (err?: Error | null) => void): void;
  /** Sets the handler of inbound frames (one handler; a later call replaces it). */
  onFrame(handler: FrameHandler): void;
  /** Adds a close handler; one added after close runs on the next tick. */
  onClose(handler: CloseHandler): void;
  /** Stops reading from the far side, so its sender sees backpressure. */
  pause(): void;
  /** Reads again after {@link FrameStream.pause}. */
  resume(): void;
  /** Closes the stream (default code {@link CLOSE_CODES.normal}); idempotent. */
  close(code?: number, reason?: string): void;
}

/** Runs close handlers once; shared by the implementations. */
export class CloseSignal {
  private handlers: CloseHandler[] = [];
  private result: { code: number; reason: string } | undefined;

  /** True once {@link CloseSignal.fire} ran. */
  get fired(): boolean {
    return this.result !== undefined;
  }

  /** Adds a handler; after the fact it runs on the next tick. */
  add(handler: CloseHandler): void {
    const r = this.result;
    if (r) queueMicrotask(() => handler(r.code, r.reason));
    else this.handlers.push(handler);
  }

  /** Runs every handler once with `code` and `reason`; later calls do nothing. */
  fire(code: number, reason: string): void {
    if (this.result) return;
    this.result = { code, reason };
    const handlers = this.handlers;
    this.handlers = [];
    for (const h of handlers) h(code, reason);
  }
}

/** Validates a `maxFrameBytes` option once (a positive safe integer). */
export function checkMaxFrameBytes(value: number | undefined): number {
  const v = value ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(v) || v < 1) throw BosunError.invalidArgument(`maxFrameBytes must be a positive integer, got ${String(value)}`, { option: 'maxFrameBytes' });
  return v;
}
