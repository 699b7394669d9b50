import { describe, expect, it } from 'vitest';
import { memoryLink } from '../conformance/links.test-util.js';
import { describePeerConformance, until } from '../conformance/peer-conformance.test-util.js';
import { CLOSE_CODES, type Frame } from './frame-stream.js';
import { createMemoryFramePair } from './memory-frame-stream.js';

describePeerConformance('memory', memoryLink);

describe('createMemoryFramePair', () => {
  it('delivers on a later turn and counts the bytes as buffered until then when a side sends', async () => {
    const [a, b] = createMemoryFramePair();
    const got: Frame[] = [];
    b.onFrame((f) => got.push(f));
    a.send({ kind: 'binary', data: new Uint8Array(10) });
    expect(got).toEqual([]);
    expect(a.bufferedAmount).toBe(10);
    await until(() => got.length === 1);
    expect(a.bufferedAmount).toBe(0);
  });

  it('fails the callbacks of undelivered frames when the link closes under a paused reader', async () => {
    const [a, b] = createMemoryFramePair();
    b.onFrame(() => undefined);
    b.pause();
    const results: unknown[] = [];
    a.send({ kind: 'text', data: new Uint8Array(3) }, (err) => results.push(err));
    const closes: [number, string][] = [];
    b.onClose((code, reason) => closes.push([code, reason]));
    a.close(CLOSE_CODES.goingAway, 'bye');
    expect(closes).toEqual([[CLOSE_CODES.goingAway, 'bye']]);
    expect(results).toHaveLength(1);
    expect(results[0]).toBeInstanceOf(Error);
    expect(a.bufferedAmount).toBe(0);
  });
});
