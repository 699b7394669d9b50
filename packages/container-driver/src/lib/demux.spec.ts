import { describe, expect, it } from 'vitest';
import { Demuxer, demuxAll, muxFrame } from './demux.js';
import { HeadBuffer, TailBuffer } from './output.js';
import type { OutputChunk } from './types.js';

describe('Demuxer', () => {
  const wire = Buffer.concat([muxFrame('stdout', 'hello '), muxFrame('stderr', 'oops'), muxFrame('stdout', ''), muxFrame('stdout', 'world')]);

  it('splits a whole buffer into stdout and stderr payloads', () => {
    expect(demuxAll(wire).map((c) => [c.stream, c.data.toString()])).toEqual([
      ['stdout', 'hello '],
      ['stderr', 'oops'],
      ['stdout', 'world'],
    ]);
  });

  it('reassembles frames fed one byte at a time', () => {
    const got: OutputChunk[] = [];
    const d = new Demuxer((c) => got.push(c));
    for (const byte of wire) d.push(Buffer.from([byte]));
    expect(got.map((c) => c.data.toString()).join('|')).toBe('hello |oops|world');
    expect(d.buffered).toBe(0);
  });

  it('holds an incomplete frame until the rest arrives', () => {
    const got: OutputChunk[] = [];
    const d = new Demuxer((c) => got.push(c));
    const f = muxFrame('stderr', Buffer.alloc(100, 1));
    d.push(f.subarray(0, 50));
    expect(got).toEqual([]);
    expect(d.buffered).toBe(50);
    d.push(f.subarray(50));
    expect(got[0].data.length).toBe(100);
  });
});

describe('output caps', () => {
  it('HeadBuffer keeps the first bytes and flags truncation', () => {
    const h = new HeadBuffer(5);
    h.push(Buffer.from('abc'));
    h.push(Buffer.from('defg'));
    expect(h.toBuffer().toString()).toBe('abcde');
    expect(h.truncated).toBe(true);
  });

  it('TailBuffer keeps the newest bytes', () => {
    const t = new TailBuffer(5);
    t.push(Buffer.from('abc'));
    t.push(Buffer.from('defg'));
    expect(t.toBuffer().toString()).toBe('cdefg');
    expect(t.truncated).toBe(true);
  });
});
