import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from './frame-stream.js';
import { StreamFrameDecoder, encodeCloseFrame, encodeStreamFrame, type DecodedItem } from './stream-framing.js';

const bytes = (...xs: number[]) => Uint8Array.from(xs);

describe('StreamFrameDecoder', () => {
  it('decodes header and payload as drawn when a whole frame arrives', () => {
    const wire = encodeStreamFrame({ kind: 'binary', data: bytes(7, 8, 9) });
    expect(Array.from(wire)).toEqual([0, 0, 0, 3, 2, 7, 8, 9]);
    const { items, error } = new StreamFrameDecoder(16).push(wire);
    expect(error).toBeUndefined();
    expect(items).toEqual([{ type: 'frame', frame: { kind: 'binary', data: Buffer.from([7, 8, 9]) } }]);
  });

  it('reassembles every frame when the bytes come one per read', () => {
    const wire = Buffer.concat([
      encodeStreamFrame({ kind: 'text', data: new TextEncoder().encode('{"a":"é"}') }),
      encodeStreamFrame({ kind: 'binary', data: new Uint8Array(0) }),
      encodeCloseFrame(1001, 'bye'),
    ]);
    const d = new StreamFrameDecoder(64);
    const items: DecodedItem[] = [];
    for (const b of wire) items.push(...d.push(bytes(b)).items);
    expect(items).toEqual([
      { type: 'frame', frame: { kind: 'text', data: Buffer.from('{"a":"é"}') } },
      { type: 'frame', frame: { kind: 'binary', data: Buffer.alloc(0) } },
      { type: 'close', code: 1001, reason: 'bye' },
    ]);
  });

  it('refuses a length over the limit as soon as the header is complete', () => {
    const d = new StreamFrameDecoder(1024);
    expect(d.push(bytes(0, 0, 4)).error).toBeUndefined();
    const { error } = d.push(bytes(1, 1));
    expect(error).toEqual({ closeCode: CLOSE_CODES.tooBig, reason: 'frame of 1025 bytes is over the 1024 allowed' });
    // Dead after an error: nothing more is decoded.
    expect(d.push(encodeStreamFrame({ kind: 'binary', data: bytes(1) })).error?.closeCode).toBe(CLOSE_CODES.tooBig);
  });

  it('fails with a protocol error when the kind byte is unknown', () => {
    expect(new StreamFrameDecoder(8).push(bytes(0, 0, 0, 1, 9, 0)).error?.closeCode).toBe(CLOSE_CODES.protocolError);
  });

  it('fails with a protocol error when a close frame is too short or too long', () => {
    expect(new StreamFrameDecoder(8).push(bytes(0, 0, 0, 1, 3, 0)).error?.closeCode).toBe(CLOSE_CODES.protocolError);
    expect(new StreamFrameDecoder(1024).push(bytes(0, 0, 0, 200, 3)).error?.closeCode).toBe(CLOSE_CODES.protocolError);
  });
});

describe('encodeCloseFrame', () => {
  it('cuts the reason to 123 bytes without splitting a character when it is longer', () => {
    const wire = encodeCloseFrame(1000, '€'.repeat(100));
    const { items } = new StreamFrameDecoder(8).push(wire);
    const item = items[0] as { type: 'close'; reason: string };
    expect(item.reason).toBe('€'.repeat(41));
  });
});
