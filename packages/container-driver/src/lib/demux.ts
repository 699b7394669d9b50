/**
 * Splits the Docker multiplexed stream (non-TTY attach/exec/logs) into stdout and stderr.
 *
 * Wire layout of one frame:
 *   [0]    stream type: 0 stdin, 1 stdout, 2 stderr
 *   [1..3] zero
 *   [4..7] payload length, big-endian uint32
 *   [8..]  payload
 * Frames may arrive split anywhere across chunks, so the demuxer buffers partial headers.
 */
import type { OutputChunk } from './types.js';

/** Incremental demuxer: feed it raw chunks, it calls `onChunk` per payload. */
export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onChunk: (chunk: OutputChunk) => void) {}

  /** Feeds raw bytes; emits every complete frame. */
  push(data: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const kind = buf[0];
      const payload = buf.subarray(8, 8 + size);
      if (size > 0) this.onChunk({ stream: kind === 2 ? 'stderr' : 'stdout', data: Buffer.from(payload) });
      buf = buf.subarray(8 + size);
    }
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  /** Bytes of an incomplete frame still held. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Demuxes a complete buffer at once. */
export function demuxAll(data: Buffer): OutputChunk[] {
  const out: OutputChunk[] = [];
  new Demuxer((c) => out.push(c)).push(data);
  return out;
}

/** Encodes one frame (for tests and fakes). */
export function muxFrame(stream: 'stdout' | 'stderr' | 'stdin', payload: Buffer | string): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(8);
  head[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : 2;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}
