/**
 * Frames over a byte stream (an SSH channel, a pipe, a TCP socket), which keeps no
 * message boundaries of its own. Every frame is a 5-byte header and a payload:
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                 payload length (u32, big-endian)              |
 * +---------------+-----------------------------------------------+
 * |  kind (u8)    |  payload (length bytes) ...                   |
 * +---------------+-----------------------------------------------+
 *
 * kind 1 = text    payload: one UTF-8 JSON message
 * kind 2 = binary  payload: opaque bytes (e.g. a terminal frame)
 * kind 3 = close   payload: [u16 BE close code][UTF-8 reason, ≤ 123 bytes]
 * ```
 *
 * The length counts the payload only. The decoder refuses a length over its limit as
 * soon as the header is complete, before it allocates or buffers any payload, and it
 * reassembles frames from reads of any size (down to one byte). It does no I/O.
 */
import { CLOSE_CODES, type Frame } from './frame-stream.js';

/** Bytes before each payload: u32 length + u8 kind. */
export const STREAM_FRAME_HEADER_BYTES = 5;

/** Kind byte of each frame type. */
export const STREAM_FRAME_KIND = Object.freeze({ text: 1, binary: 2, close: 3 });

/** Longest close reason on the wire, as for WebSocket. */
const MAX_CLOSE_REASON_BYTES = 123;

/** Encodes one text or binary frame: header and payload in one buffer. */
export function encodeStreamFrame(frame: Frame): Buffer {
  const out = Buffer.allocUnsafe(STREAM_FRAME_HEADER_BYTES + frame.data.byteLength);
  out.writeUInt32BE(frame.data.byteLength, 0);
  out.writeUInt8(frame.kind === 'text' ? STREAM_FRAME_KIND.text : STREAM_FRAME_KIND.binary, 4);
  out.set(frame.data, STREAM_FRAME_HEADER_BYTES);
  return out;
}

/** Encodes a close frame; `reason` is cut to 123 bytes of UTF-8. */
export function encodeCloseFrame(code: number, reason: string): Buffer {
  let r = Buffer.from(reason, 'utf8');
  if (r.byteLength > MAX_CLOSE_REASON_BYTES) r = Buffer.from(r.subarray(0, MAX_CLOSE_REASON_BYTES).toString('utf8').replace(/\uFFFD+$/, ''), 'utf8');
  const out = Buffer.allocUnsafe(STREAM_FRAME_HEADER_BYTES + 2 + r.byteLength);
  out.writeUInt32BE(2 + r.byteLength, 0);
  out.writeUInt8(STREAM_FRAME_KIND.close, 4);
  out.writeUInt16BE(code & 0xffff, 5);
  out.set(r, 7);
  return out;
}

/** What {@link StreamFrameDecoder.push} yields, in order. */
export type DecodedItem = { type: 'frame'; frame: Frame } | { type: 'close'; code: number; reason: string };

/** A framing violation: the stream must be closed with `closeCode`. */
export interface FramingError {
  readonly closeCode: number;
  readonly reason: string;
}

/**
 * Incremental decoder of the layout above. Feed it every chunk read; it returns the
 * whole frames completed so far, or a {@link FramingError} after which it accepts
 * nothing more.
 */
export class StreamFrameDecoder {
  private readonly header = Buffer.alloc(STREAM_FRAME_HEADER_BYTES);
  private headerFill = 0;
  private payload: Buffer | undefined;
  private payloadFill = 0;
  private kind = 0;
  private failed: FramingError | undefined;

  /** @param maxFrameBytes - largest payload accepted; longer lengths fail with close code 1009. */
  constructor(private readonly maxFrameBytes: number) {}

  /** Consumes `chunk`; returns the completed items, or the first framing error. */
  push(chunk: Uint8Array): { items: DecodedItem[]; error?: FramingError } {
    const items: DecodedItem[] = [];
    if (this.failed) return { items, error: this.failed };
    let p = 0;
    while (p < chunk.byteLength) {
      if (this.payload === undefined) {
        const n = Math.min(STREAM_FRAME_HEADER_BYTES - this.headerFill, chunk.byteLength - p);
        this.header.set(chunk.subarray(p, p + n), this.headerFill);
        this.headerFill += n;
        p += n;
        if (this.headerFill < STREAM_FRAME_HEADER_BYTES) break;
        const length = this.header.readUInt32BE(0);
        this.kind = this.header.readUInt8(4);
        const error = this.checkHeader(length);
        if (error) return { items, error: (this.failed = error) };
        this.payload = Buffer.allocUnsafe(length);
        this.payloadFill = 0;
      }
      const payload = this.payload;
      const n = Math.min(payload.byteLength - this.payloadFill, chunk.byteLength - p);
      payload.set(chunk.subarray(p, p + n), this.payloadFill);
      this.payloadFill += n;
      p += n;
      if (this.payloadFill < payload.byteLength) break;
      this.payload = undefined;
      this.headerFill = 0;
      items.push(this.item(payload));
    }
    return { items };
  }

  private checkHeader(length: number): FramingError | undefined {
    if (this.kind === STREAM_FRAME_KIND.close) {
      if (length < 2 || length > 2 + MAX_CLOSE_REASON_BYTES) return { closeCode: CLOSE_CODES.protocolError, reason: `close frame of ${length} bytes` };
      return undefined;
    }
    if (this.kind !== STREAM_FRAME_KIND.text && this.kind !== STREAM_FRAME_KIND.binary) {
      return { closeCode: CLOSE_CODES.protocolError, reason: `unknown frame kind ${this.kind}` };
    }
    if (length > this.maxFrameBytes) {
      return { closeCode: CLOSE_CODES.tooBig, reason: `frame of ${length} bytes is over the ${this.maxFrameBytes} allowed` };
    }
    return undefined;
  }

  private item(payload: Buffer): DecodedItem {
    if (this.kind === STREAM_FRAME_KIND.close) {
      return { type: 'close', code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') };
    }
    return { type: 'frame', frame: { kind: this.kind === STREAM_FRAME_KIND.text ? 'text' : 'binary', data: payload } };
  }
}
