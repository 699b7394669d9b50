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
