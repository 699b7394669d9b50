import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sshLink } from '../conformance/links.test-util.js';
import { describePeerConformance, until } from '../conformance/peer-conformance.test-util.js';
import { DuplexFrameStream } from './duplex-frame-stream.js';
import { CLOSE_CODES, type Frame } from './frame-stream.js';

describePeerConformance('ssh', sshLink);

/**
 * Two byte streams wired to each other that hand over what is written one byte per
 * read, as a fragmenting network may.
 */
function byteByBytePair(): [Duplex, Duplex] {
  const make = (): Duplex & { other?: Duplex } =>
    new Duplex({
      read() {
        // Bytes are pushed by the other end's write.
      },
      write(this: Duplex & { other?: Duplex }, chunk: Buffer, _enc, cb) {
        const other = this.other as Duplex;
        for (const byte of chunk) other.push(Buffer.from([byte]));
        cb();
      },
      final(this: Duplex & { other?: Duplex }, cb) {
        this.other?.push(null);
        cb();
      },
    });
  const a = make();
  const b = make();
  a.other = b;
  b.other = a;
  return [a, b];
}

describe('DuplexFrameStream', () => {
  it('reassembles whole frames in order when the stream delivers one byte per read', async () => {
    const [x, y] = byteByBytePair();
    const a = new DuplexFrameStream(x);
    const b = new DuplexFrameStream(y);
    const got: Frame[] = [];
    b.onFrame((f) => got.push(f));
    const json = new TextEncoder().encode(JSON.stringify({ hello: 'wörld' }));
    a.send({ kind: 'text', data: json });
    a.send({ kind: 'binary', data: new Uint8Array(0) });
    a.send({ kind: 'binary', data: Uint8Array.from({ length: 300 }, (_, i) => i % 256) });
    await until(() => got.length === 3);
    expect(got[0]).toEqual({ kind: 'text', data: Buffer.from(json) });
    expect(got[1]?.data.byteLength).toBe(0);
    expect(Array.from(got[2]?.data ?? [])).toEqual(Array.from({ length: 300 }, (_, i) => i % 256));
  });

  it('reports the far side code and reason on both ends when one end closes', async () => {
    const [x, y] = byteByBytePair();
    const a = new DuplexFrameStream(x);
    const b = new DuplexFrameStream(y);
    b.onFrame(() => undefined);
    const seen: [string, number, string][] = [];
    a.onClose((c, r) => seen.push(['a', c, r]));
    b.onClose((c, r) => seen.push(['b', c, r]));
    a.close(CLOSE_CODES.policy, 'slow_consumer');
    await until(() => seen.length === 2);
    expect(seen).toEqual([
      ['a', CLOSE_CODES.policy, 'slow_consumer'],
      ['b', CLOSE_CODES.policy, 'slow_consumer'],
    ]);
  });

  it('closes with 1009 from the header alone when a length over the limit arrives', async () => {
    const [x, y] = byteByBytePair();
    const b = new DuplexFrameStream(y, { maxFrameBytes: 1024 });
    const closes: [number, string][] = [];
    b.onFrame(() => undefined);
    b.onClose((c, r) => closes.push([c, r]));
    // Only a header claiming 4 GiB - 1: nothing of the payload is ever sent.
    x.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 2]));
    await until(() => closes.length === 1);
    expect(closes[0]?.[0]).toBe(CLOSE_CODES.tooBig);
    expect(closes[0]?.[1]).toContain('4294967295');
  });

  it('reports an abnormal close when the byte stream ends without a close frame', async () => {
    const [x, y] = byteByBytePair();
    const b = new DuplexFrameStream(y);
    b.onFrame(() => undefined);
    const closes: number[] = [];
    b.onClose((c) => closes.push(c));
    x.end();
    await until(() => closes.length === 1);
    expect(closes).toEqual([CLOSE_CODES.abnormal]);
  });
});
