import { describe, expect, it } from 'vitest';
import { ByteRing, Utf8Chunker, utf8CompleteLength } from '../index.js';

describe('Utf8Chunker', () => {
  it('never ends a chunk inside a character when fed one byte at a time', () => {
    const text = 'a😀中é€𝄞한b';
    const bytes = Buffer.from(text);
    const ch = new Utf8Chunker();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const out: string[] = [];
    for (const b of bytes) {
      const c = ch.push(Buffer.from([b]));
      out.push(decoder.decode(c));
    }
    expect(out.join('')).toBe(text);
    expect(ch.flush().length).toBe(0);
  });

  it('passes malformed bytes through when they cannot start a character', () => {
    expect(utf8CompleteLength(Buffer.from([0x61, 0x80, 0x80, 0x80]))).toBe(4);
    expect(utf8CompleteLength(Buffer.from([0x61, 0xe4, 0xb8]))).toBe(1);
    expect(utf8CompleteLength(Buffer.from([0xff]))).toBe(1);
  });
});

describe('ByteRing', () => {
  it('returns the bytes after an offset when the ring has wrapped', () => {
    const r = new ByteRing(8);
    r.write(Buffer.from('abcdef'));
    r.write(Buffer.from('ghijk'));
    expect([r.start, r.end]).toEqual([3, 11]);
    expect(r.read(5).toString()).toBe('fghijk');
    r.write(Buffer.from('0123456789XYZ'));
    expect(r.read(r.start).toString()).toBe('6789XYZ'.padStart(8, '5'));
    expect(() => r.read(0)).toThrow(RangeError);
  });
});
