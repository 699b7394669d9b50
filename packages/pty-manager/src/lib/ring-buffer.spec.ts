import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ByteRing } from './ring-buffer.js';

describe('ByteRing', () => {
  it('holds exactly the last capacity bytes at their absolute offsets when writes of every size wrap around a ring that starts at a base', () => {
    for (const base of [0, 1, 12_345]) {
      const ring = new ByteRing(1024, base);
      expect([ring.start, ring.end]).toEqual([base, base]);
      let all = Buffer.alloc(0);
      for (let i = 0; i < 400; i++) {
        const chunk = randomBytes([0, 1, 3, 700, 1023, 1024, 1500][i % 7] as number);
        ring.write(chunk);
        all = Buffer.concat([all, chunk]);
        expect(ring.end).toBe(base + all.length);
        expect(ring.start).toBe(base + Math.max(0, all.length - 1024));
        const from = ring.start + ((i * 37) % (ring.end - ring.start + 1));
        expect(ring.read(from).equals(all.subarray(from - base))).toBe(true);
      }
      expect(() => ring.read(ring.start - 1)).toThrow(RangeError);
    }
  });
});

describe('ByteRing.readInto', () => {
  it('copies exactly what read returns into the target, across the wrap, and refuses a target too small', () => {
    const ring = new ByteRing(100, 7);
    const all = randomBytes(250);
    ring.write(all.subarray(0, 130));
    ring.write(all.subarray(130));
    const target = Buffer.alloc(120, 0xee);
    for (const from of [ring.start, ring.start + 1, ring.start + 63, ring.end]) {
      expect(ring.readInto(from, target).equals(ring.read(from))).toBe(true);
    }
    expect(() => ring.readInto(ring.start, Buffer.alloc(99))).toThrow(RangeError);
    expect(() => ring.readInto(ring.start - 1, target)).toThrow(RangeError);
  });
});
