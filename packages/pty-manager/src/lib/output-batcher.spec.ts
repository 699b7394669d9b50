import { manualClock } from '@bosun/util';
import { describe, expect, it } from 'vitest';
import { OutputBatcher } from './output-batcher.js';

const policy = { bulkBytes: 1000, windowMs: 10, maxDelayMs: 2, maxBytes: 4000 };

function setup() {
  const clock = manualClock(0);
  const out: Buffer[] = [];
  const b = new OutputBatcher(policy, clock, (c) => void out.push(c));
  return { clock, out, b };
}

describe('OutputBatcher', () => {
  it('emits every chunk at once when output stays under the bulk rate (keystroke echoes)', () => {
    const { clock, out, b } = setup();
    for (let i = 0; i < 50; i++) {
      b.push(Buffer.from('x'));
      expect(out).toHaveLength(i + 1);
      clock.advance(1);
    }
    expect(b.pendingBytes).toBe(0);
  });

  it('holds and merges chunks once a window passes bulkBytes, and emits them after maxDelayMs', () => {
    const { clock, out, b } = setup();
    for (let i = 0; i < 9; i++) b.push(Buffer.alloc(100, i));
    expect(out).toHaveLength(9);
    // The tenth brings the window to 1000 bytes: bulk. It and the next chunks wait.
    b.push(Buffer.alloc(100, 9));
    b.push(Buffer.from('a'));
    b.push(Buffer.from('b'));
    expect(out).toHaveLength(9);
    expect(b.pendingBytes).toBe(102);
    clock.advance(1);
    expect(out).toHaveLength(9);
    clock.advance(1);
    expect(out).toHaveLength(10);
    expect(out[9]?.subarray(100).toString()).toBe('ab');
  });

  it('emits at once when maxBytes are held, and keeps every byte in order', () => {
    const { clock, out, b } = setup();
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const c = Buffer.alloc(333, i % 251);
      sent.push(c);
      b.push(c);
      if (i % 7 === 0) clock.advance(1);
    }
    b.flush();
    expect(Buffer.concat(out).equals(Buffer.concat(sent))).toBe(true);
    expect(out.length).toBeLessThan(200);
    expect(Math.max(...out.map((c) => c.length))).toBeLessThanOrEqual(policy.maxBytes + 333);
  });

  it('stays in bulk across windows while the rate holds, and leaves it after a quiet window', () => {
    const { clock, out, b } = setup();
    b.push(Buffer.alloc(1000));
    clock.advance(10);
    expect(out).toHaveLength(1);
    b.push(Buffer.from('held'));
    expect(out).toHaveLength(1);
    clock.advance(2);
    expect(out.map((c) => c.length)).toEqual([1000, 4]);
    clock.advance(30);
    b.push(Buffer.from('k'));
    expect(out).toHaveLength(3);
    expect(out[2]?.toString()).toBe('k');
  });

  it('drops what it holds and fires no timer after dispose', () => {
    const { clock, out, b } = setup();
    b.push(Buffer.alloc(999));
    b.push(Buffer.from('held'));
    expect(b.pendingBytes).toBe(4);
    b.dispose();
    clock.advance(100);
    expect(out.map((c) => c.length)).toEqual([999]);
  });
});
