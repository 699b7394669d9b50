/**
 * {@link FrameStream} over a `ws` WebSocket, client or server side. WebSocket already
 * frames messages; this adapter converts `RawData` to bytes once, checks each frame
 * against `maxFrameBytes` (also when the socket was made with a larger `maxPayload`),
 * and reports ws's own queue as `bufferedAmount`.
 *
 * Create the socket with {@link webSocketOptions} (or pass the same number as
 * `maxPayload` to a `WebSocketServer`), so that ws refuses an oversize frame while
 * reading its header, before buffering it.
 */
import { isLoopbackHost } from '@bosun/util';
import { WebSocket, type RawData } from 'ws';
import { CLOSE_CODES, CloseSignal, checkMaxFrameBytes, type Frame, type FrameHandler, type FrameStream } from './frame-stream.js';

/** Options of {@link WebSocketFrameStream}. */
export interface WebSocketFrameStreamOptions {
  /**
   * Largest inbound frame this side accepts (default {@link DEFAULT_MAX_FRAME_BYTES}).
   * Give the socket the same `maxPayload`.
   */
  maxFrameBytes?: number;
}

/**
 * The `ws` options that match `maxFrameBytes`: `maxPayload` equal to it, no
 * per-message compression (a compressed frame hides its size until inflated, and the
 * deflate queue is not counted in `bufferedAmount`), and no UTF-8 check in ws, so a
 * text frame that is not UTF-8 reaches the parser and is answered `invalid_json`
 * instead of closing the link (1007).
 */
export function webSocketOptions(maxFrameBytes?: number): { maxPayload: number; perMessageDeflate: false; skipUTF8Validation: true } {
  return { maxPayload: checkMaxFrameBytes(maxFrameBytes), perMessageDeflate: false, skipUTF8Validation: true };
}

/**
 * Whether a client may send its frames unmasked (a zero mask) on a link to `url`.
 * Masking (RFC 6455 §10.3) keeps script-chosen bytes from looking like HTTP to a
 * proxy that does not speak WebSocket; it costs an XOR over every byte sent. Only
 * where no such proxy can read the frames: over TLS (`wss:`) or to a loopback address.
 */
export function canSkipMasking(url: string | URL): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'wss:' || u.protocol === 'https:' || isLoopbackHost(u.hostname);
}

/**
 * {@link webSocketOptions} for a client socket to `url`, with a zero mask where
 * {@link canSkipMasking} allows it (ws then sends the payload as is, with no copy).
 */
export function webSocketClientOptions(
  url: string | URL,
  maxFrameBytes?: number,
): ReturnType<typeof webSocketOptions> & { generateMask?: (mask: Buffer) => void } {
  return { ...webSocketOptions(maxFrameBytes), ...(canSkipMasking(url) ? { generateMask: zeroMask } : {}) };
}

const zeroMask = (mask: Buffer): void => void mask.fill(0);

/** Bytes of a `ws` message, converted once, without copying a single Buffer. */
export function rawDataToBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}

/** A {@link FrameStream} over an open (or opening) `ws` WebSocket. */
export class WebSocketFrameStream implements FrameStream {
  readonly maxFrameBytes: number;
  private handler: FrameHandler | undefined;
  private readonly early: Frame[] = [];
  private readonly closing = new CloseSignal();
  private closeRequested = false;
  private localError: { code: number; reason: string } | undefined;

  constructor(
    private readonly ws: WebSocket,
    options: WebSocketFrameStreamOptions = {},
  ) {
    this.maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes);
    ws.on('message', (data, isBinary) => this.receive(rawDataToBytes(data), isBinary));
    ws.on('close', (code, reason) => {
      // After a framing error ws closes without reading the echo, so 'close' says 1006: report why instead.
      const local = this.localError;
      if (code === CLOSE_CODES.abnormal && local) this.closing.fire(local.code, local.reason);
      else this.closing.fire(code, reason.toString('utf8'));
    });
    ws.on('error', (err: Error & { code?: string }) => {
      const code = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CLOSE_CODES.tooBig : err.code?.startsWith('WS_ERR_') ? CLOSE_CODES.protocolError : undefined;
      if (code !== undefined) this.localError ??= { code, reason: err.message };
    });
    if (ws.readyState === WebSocket.CLOSED) queueMicrotask(() => this.closing.fire(CLOSE_CODES.abnormal, 'socket already closed'));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get closed(): boolean {
    return this.closeRequested || this.closing.fired || this.ws.readyState >= WebSocket.CLOSING;
  }

  send(frame: Frame, cb?: (err?: Error | null) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      if (cb) queueMicrotask(() => cb(new Error('websocket is not open')));
      return;
    }
    this.ws.send(frame.data, { binary: frame.kind === 'binary' }, cb);
  }

  onFrame(handler: FrameHandler): void {
    this.handler = handler;
    if (this.early.length === 0) return;
    for (const f of this.early.splice(0)) handler(f);
    this.ws.resume();
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closing.add(handler);
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.closeRequested) return;
    this.closeRequested = true;
    const state = this.ws.readyState;
    if (state === WebSocket.CLOSED) return;
    if (state === WebSocket.CONNECTING) {
      this.ws.terminate();
      return this.closing.fire(code, reason);
    }
    // A close reason is at most 123 bytes on the wire.
    this.ws.close(wsCloseCode(code), truncateUtf8(reason, 123));
    // Closing is decided here; the far side's echo (or its absence) changes nothing.
    this.closing.fire(code, reason);
  }

  private receive(data: Uint8Array, isBinary: boolean): void {
    if (data.byteLength > this.maxFrameBytes) {
      this.close(CLOSE_CODES.tooBig, `frame of ${data.byteLength} bytes is over the ${this.maxFrameBytes} allowed`);
      return;
    }
    const frame: Frame = { kind: isBinary ? 'binary' : 'text', data };
    if (this.handler) return this.handler(frame);
    // No reader yet: hold what already arrived and stop reading more.
    this.early.push(frame);
    this.ws.pause();
  }
}

/** ws throws on codes a peer may not send (1005, 1006, 1015…): map them to a sendable one. */
function wsCloseCode(code: number): number {
  if (code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014 && code !== 1010) || (code >= 3000 && code <= 4999)) return code;
  return CLOSE_CODES.internal;
}

/** `text` cut to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let out = '';
  let size = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (size + n > maxBytes) break;
    out += ch;
    size += n;
  }
  return out;
}
