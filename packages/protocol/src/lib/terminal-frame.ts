/**
 * Binary terminal frames. PTY bytes never go through JSON (that splits UTF-8
 * characters); they travel as WebSocket binary frames in this layout, big-endian:
 *
 * ```
 * output (kind 1), agent → viewer:
 *   [u8 kind=1][u8 idLen][id: idLen bytes UTF-8][u64 offset][payload…]
 * input (kind 2), viewer → agent:
 *   [u8 kind=2][u8 idLen][id: idLen bytes UTF-8][payload…]
 * ```
 *
 * `id` is the terminal (or session) id, a resource id of 1..128 ASCII characters.
 * `offset` is the byte offset in the terminal's output stream of the payload's first
 * byte (at most 2^53 - 1). The payload may be empty.
 */
import { ProtocolError } from './errors.js';
import { ResourceIdSchema } from './fields.js';
import type { ProtocolName } from './versions.js';

/** Frame kind byte of an output frame. */
export const TERMINAL_FRAME_OUTPUT = 1;
/** Frame kind byte of an input frame. */
export const TERMINAL_FRAME_INPUT = 2;

/** Terminal output: bytes at `offset` of terminal `terminalId`'s output stream. */
export interface TerminalOutputFrame {
  kind: 'output';
  terminalId: string;
  offset: number;
  data: Uint8Array;
}

/** Terminal input: bytes to write to terminal `terminalId`. */
export interface TerminalInputFrame {
  kind: 'input';
  terminalId: string;
  data: Uint8Array;
}

/** A decoded binary terminal frame. */
export type TerminalFrame = TerminalOutputFrame | TerminalInputFrame;

/** Outcome of {@link decodeTerminalFrame}. */
export type DecodeFrameResult = { ok: true; frame: TerminalFrame } | { ok: false; error: ProtocolError };

/** Options of the frame codec. */
export interface TerminalFrameOptions {
  /** Protocol whose error reply {@link ProtocolError.toWire} builds (default `worker`). */
  protocol?: ProtocolName;
}

const ascii = new TextEncoder();
const idDecoder = new TextDecoder('utf-8', { fatal: true });

// Every byte of a frame is written by the encoder (kind, id length, id, extra, data), so on
// Node it need not be zeroed first: a memory of its own (offset 0, not a pool slice), seen
// as a plain Uint8Array. This module also runs in browsers (the hub page), which have no Buffer.
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): { buffer: ArrayBufferLike } } }).Buffer;
function allocFrame(size: number): Uint8Array {
  return nodeBuffer ? new Uint8Array(nodeBuffer.allocUnsafeSlow(size).buffer) : new Uint8Array(size);
}

// A stream of frames names the same terminal again and again: keep the last id checked and encoded.
let lastId = '';
let lastIdBytes = new Uint8Array(0);

function encodeId(terminalId: string, protocol: ProtocolName): Uint8Array {
  if (terminalId === lastId && lastIdBytes.byteLength > 0) return lastIdBytes;
  if (!ResourceIdSchema.safeParse(terminalId).success) {
    throw ProtocolError.invalidField(['terminalId'], 'expected a resource id', { protocol });
  }
  lastIdBytes = ascii.encode(terminalId);
  lastId = terminalId;
  return lastIdBytes;
}

function header(kind: number, terminalId: string, extra: number, dataLength: number, protocol: ProtocolName) {
  const id = encodeId(terminalId, protocol);
  const bytes = allocFrame(2 + id.byteLength + extra + dataLength);
  bytes[0] = kind;
  bytes[1] = id.byteLength;
  bytes.set(id, 2);
  return { bytes, at: 2 + id.byteLength };
}

/**
 * Encodes an output frame. Throws {@link ProtocolError} (`invalid_field`) when
 * `terminalId` is not a resource id or `offset` is not a safe non-negative integer:
 * those are the caller's bugs, not bad input from a peer.
 */
export function encodeTerminalFrame(
  frame: { terminalId: string; offset: number; data: Uint8Array },
  opts: TerminalFrameOptions = {},
): Uint8Array {
  const protocol = opts.protocol ?? 'worker';
  if (!Number.isSafeInteger(frame.offset) || frame.offset < 0) {
    throw ProtocolError.invalidField(['offset'], 'expected a non-negative safe integer', { protocol });
  }
  const { bytes, at } = header(TERMINAL_FRAME_OUTPUT, frame.terminalId, 8, frame.data.byteLength, protocol);
  // Big-endian u64 as two u32 halves (offsets are safe integers, < 2^53).
  const view = new DataView(bytes.buffer);
  view.setUint32(at, Math.floor(frame.offset / 0x1_0000_0000));
  view.setUint32(at + 4, frame.offset >>> 0);
  bytes.set(frame.data, at + 8);
  return bytes;
}

/** Encodes an input frame (viewer → agent keystrokes; no reply). Throws like {@link encodeTerminalFrame}. */
export function encodeTerminalInputFrame(
  frame: { terminalId: string; data: Uint8Array },
  opts: TerminalFrameOptions = {},
): Uint8Array {
  const { bytes, at } = header(TERMINAL_FRAME_INPUT, frame.terminalId, 0, frame.data.byteLength, opts.protocol ?? 'worker');
  bytes.set(frame.data, at);
  return bytes;
}

/**
 * Decodes one binary frame. Never throws: malformed bytes give an `invalid_frame`
 * error. `data` is a view into `bytes` (no copy).
 */
export function decodeTerminalFrame(bytes: Uint8Array, opts: TerminalFrameOptions = {}): DecodeFrameResult {
  const ctx = { protocol: opts.protocol ?? 'worker' };
  const fail = (reason: string): DecodeFrameResult => ({ ok: false, error: ProtocolError.invalidFrame(reason, ctx) });
  if (!(bytes instanceof Uint8Array)) return fail('expected bytes');
  if (bytes.byteLength < 2) return fail('truncated header');
  const kind = bytes[0];
  if (kind !== TERMINAL_FRAME_OUTPUT && kind !== TERMINAL_FRAME_INPUT) return fail(`unknown frame kind ${kind}`);
  const idLen = bytes[1] as number;
  if (idLen === 0 || idLen > 128) return fail(`bad id length ${idLen}`);
  const idEnd = 2 + idLen;
  const headerEnd = kind === TERMINAL_FRAME_OUTPUT ? idEnd + 8 : idEnd;
  if (bytes.byteLength < headerEnd) return fail('truncated header');
  let terminalId: string;
  try {
    terminalId = idDecoder.decode(bytes.subarray(2, idEnd));
  } catch {
    return fail('id is not UTF-8');
  }
  if (!ResourceIdSchema.safeParse(terminalId).success) return fail('id is not a resource id');
  const data = bytes.subarray(headerEnd);
  if (kind === TERMINAL_FRAME_INPUT) return { ok: true, frame: { kind: 'input', terminalId, data } };
  const offset = new DataView(bytes.buffer, bytes.byteOffset + idEnd, 8).getBigUint64(0);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return fail('offset beyond 2^53 - 1');
  return { ok: true, frame: { kind: 'output', terminalId, offset: Number(offset), data } };
}

/**
 * Largest payload of one terminal input frame, at every hop (viewer → hub → worker):
 * 64 KiB. A bigger paste is split into frames of this size at the edge where it
 * enters, so no hop ever forwards a frame the next would refuse.
 */
export const MAX_TERMINAL_INPUT_FRAME_BYTES = 64 * 1024;

/**
 * Largest message (JSON or binary) the worker accepts from its orchestrator: 1 MiB +
 * 64 KiB. An orchestrator must never send more in one frame.
 */
export const WORKER_MAX_INBOUND_MESSAGE_BYTES = 1024 * 1024 + 65_536;
