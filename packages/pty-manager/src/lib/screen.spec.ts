import { createRequire } from 'node:module';
import type xtermHeadless from '@xterm/headless';
import type serializeAddon from '@xterm/addon-serialize';
import { describe, expect, it } from 'vitest';
import { ByteRing } from './ring-buffer.js';
import { Screen } from './screen.js';

const require = createRequire(import.meta.url);
const { Terminal } = require('@xterm/headless') as typeof xtermHeadless;
const { SerializeAddon } = require('@xterm/addon-serialize') as typeof serializeAddon;

/** The reference: every byte parsed, in order, by a fresh emulator. */
function fullParse(stream: Buffer, sizes: { at: number; cols: number; rows: number }[], cols: number, rows: number, scrollback: number): string {
  const term = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
  const ser = new SerializeAddon();
  term.loadAddon(ser);
  const wb = (term as unknown as { _core: { _writeBuffer: { writeSync(d: Uint8Array): void } } })._core._writeBuffer;
  let pos = 0;
  for (const s of [...sizes, { at: stream.length, cols: 0, rows: 0 }]) {
    wb.writeSync(stream.subarray(pos, s.at));
    pos = s.at;
    if (s.cols) term.resize(s.cols, s.rows);
  }
  let out = ser.serialize();
  if ((term as unknown as { _core: { coreService: { isCursorHidden: boolean } } })._core.coreService.isCursorHidden) out += '\x1b[?25l';
  term.dispose();
  return out;
}

/** A deterministic generator (mulberry32) so a failure names its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES: ((r: () => number) => string)[] = [
  // plain lines, short and wrapping, with CRLF or a bare LF
  (r) => `${'x'.repeat(Math.floor(r() * 150))}${r() < 0.8 ? '\r\n' : '\n'}`,
  (r) => `line ${Math.floor(r() * 1e6)} ${'ab'.repeat(Math.floor(r() * 30))}\r\n`,
  // wide and combining characters, a C1 control (CSI as U+009B), shift out/in, backspace, tab
  () => '漢字テスト e\u0301 ',
  () => '\u009b31mC1\u009b0m',
  () => '\x0e(so)\x0f',
  () => 'ab\b\bXY\t|',
  // SGR, cursor moves, erase, scroll region set and reset, alternate screen in and out
  (r) => `\x1b[${Math.floor(r() * 8) + 30}m`,
  () => '\x1b[0m',
  (r) => `\x1b[${Math.floor(r() * 30)};${Math.floor(r() * 90)}H`,
  () => '\x1b[2J',
  () => '\x1b[3;10r',
  () => '\x1b[r',
  () => '\x1b[?1049h',
  () => '\x1b[?1049l',
  () => '\x1b[?25l',
  () => '\x1b[?25h',
  // an OSC title, and one left open across lines (a string the skip must not cut)
  () => '\x1b]0;title\x07',
  () => '\x1b]0;open title\r\nstill in the string\r\n',
  () => '\x07',
  // bulk: many plain lines at once, the case the skip is for
  (r) => Array.from({ length: 50 + Math.floor(r() * 400) }, (_, i) => `bulk ${i} ${'z'.repeat(Math.floor(r() * 90))}`).join('\r\n') + '\r\n',
];

function stream(seed: number, pieces: number): Buffer {
  const r = rng(seed);
  let s = '';
  for (let i = 0; i < pieces; i++) s += (PIECES[Math.floor(r() * PIECES.length)] as (r: () => number) => string)(r);
  return Buffer.from(s, 'utf8');
}

/** Feeds `data` through a ring (as a session does) in chunks cut at random bytes (even inside a character or a sequence). */
function feedLazily(screen: Screen, ring: ByteRing, data: Buffer, r: () => number, sizes: { at: number; cols: number; rows: number }[]): void {
  let pos = 0;
  let sizeIx = 0;
  while (pos < data.length) {
    const nextResize = sizes[sizeIx]?.at ?? Infinity;
    const n = Math.min(1 + Math.floor(r() * 9000), data.length - pos, nextResize - pos);
    const chunk = data.subarray(pos, pos + n);
    screen.beforeWrite(chunk);
    ring.write(chunk);
    pos += n;
    // Sometimes catch up early, as a background turn or a read would.
    if (r() < 0.05) screen.sync();
    const s = sizes[sizeIx];
    if (s && pos === s.at) {
      screen.resize(s.cols, s.rows);
      sizeIx++;
    }
  }
}

describe('Screen', () => {
  it('serialises exactly what a full parse gives when random streams of text, escapes, wide characters and bulk output arrive in random chunks through a small ring', () => {
    let skipped = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed * 7919);
      const data = stream(seed, 40 + Math.floor(r() * 120));
      const [cols, rows, scrollback] = [20 + Math.floor(r() * 100), 5 + Math.floor(r() * 30), Math.floor(r() * 60)];
      const sizes = r() < 0.3 ? [{ at: Math.floor(data.length / 2), cols: 30 + Math.floor(r() * 50), rows: 6 + Math.floor(r() * 20) }] : [];
      const ring = new ByteRing(16 * 1024 + Math.floor(r() * 64 * 1024));
      const screen = new Screen({ cols, rows, scrollback, ring, catchUpBytes: Number.MAX_SAFE_INTEGER });
      feedLazily(screen, ring, data, r, sizes);
      const got = screen.snapshot();
      expect(screen.stats.lostBytes).toBe(0);
      expect(screen.stats.parsedBytes + screen.stats.skippedBytes).toBe(data.length);
      const want = fullParse(data, sizes, cols, rows, scrollback);
      if (got !== want) throw new Error(`seed ${seed}: the lazy screen differs from a full parse (${got.length} vs ${want.length} chars)`);
      skipped += screen.stats.skippedBytes;
      screen.dispose();
    }
    // The property means little unless skips really happened along the way.
    expect(skipped).toBeGreaterThan(0);
  });

  it.each([
    ['a scroll region with the cursor above it', '\x1b[8;12r\x1b[2;1H'],
    ['the alternate screen', '\x1b[?1049h\x1b[3;3H'],
    ['a control sequence whose parameters run across a line feed', 'abc\x1b[3\r\n1;'],
    ['an OSC string left open', '\x1b]0;never closed\r\n'],
  ])('matches a full parse when bulk plain text follows %s', (_name, before) => {
    const bulk = Array.from({ length: 3000 }, (_, i) => `after ${i} ${'q'.repeat(i % 70)}`).join('\r\n') + '\r\nend';
    const data = Buffer.from(`top line\r\nsecond line\r\n${before}${bulk}`);
    const ring = new ByteRing(1 << 20);
    const screen = new Screen({ cols: 60, rows: 16, scrollback: 20, ring });
    screen.beforeWrite(data);
    ring.write(data);
    expect(screen.snapshot()).toBe(fullParse(data, [], 60, 16, 20));
  });

  it('parses a small fraction of bulk plain output when a base64-like stream passes through the ring', () => {
    const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4\r\n';
    const ring = new ByteRing(1024 * 1024);
    const screen = new Screen({ cols: 200, rows: 50, scrollback: 200, ring, catchUpBytes: Number.MAX_SAFE_INTEGER });
    const chunk = Buffer.from(line.repeat(800));
    for (let i = 0; i < 200; i++) {
      screen.beforeWrite(chunk);
      ring.write(chunk);
    }
    const snap = screen.snapshot();
    expect(snap).toContain(line.slice(0, 76));
    const total = chunk.length * 200;
    expect(screen.stats.parsedBytes + screen.stats.skippedBytes).toBe(total);
    expect(screen.stats.parsedBytes).toBeLessThan(total / 10);
    expect(snap).toBe(fullParse(Buffer.concat(Array.from({ length: 200 }, () => chunk)), [], 200, 50, 200));
  });

  it('parses every byte when the stream is coloured line by line, since each line changes the pen', () => {
    const ring = new ByteRing(64 * 1024);
    const screen = new Screen({ cols: 80, rows: 24, scrollback: 50, ring, catchUpBytes: Number.MAX_SAFE_INTEGER });
    const chunk = Buffer.from(Array.from({ length: 300 }, (_, i) => `\x1b[3${i % 8}mcoloured ${i}\x1b[0m`).join('\r\n'));
    for (let i = 0; i < 20; i++) {
      screen.beforeWrite(chunk);
      ring.write(chunk);
    }
    screen.sync();
    expect(screen.stats.skippedBytes).toBeLessThan(chunk.length);
  });

  it('keeps no emulator when output fits the ring and nobody reads the screen, and builds it on the first snapshot', () => {
    const ring = new ByteRing(4096);
    const screen = new Screen({ cols: 80, rows: 24, ring });
    const prompt = Buffer.from('\x1b[1m$\x1b[0m ');
    screen.beforeWrite(prompt);
    ring.write(prompt);
    screen.afterWrite();
    expect(screen.stats.parsedBytes).toBe(0);
    expect(screen.snapshot()).toContain('$');
    expect(screen.stats.parsedBytes).toBe(prompt.length);
  });

  it('parses the part of an oversize chunk the ring cannot hold before writing it', () => {
    const ring = new ByteRing(1024);
    const screen = new Screen({ cols: 40, rows: 10, scrollback: 0, ring });
    const big = Buffer.from('\x1b[?1049h' + 'y'.repeat(3000) + '\x1b[?1049l' + 'tail\r\n');
    screen.beforeWrite(big);
    ring.write(big);
    expect(screen.snapshot()).toBe(fullParse(big, [], 40, 10, 0));
    expect(screen.stats.lostBytes).toBe(0);
  });

  it('catches up in the background once half the ring waits, and never lets the ring drop an unseen byte', async () => {
    const ring = new ByteRing(8192);
    const screen = new Screen({ cols: 80, rows: 24, ring });
    const chunk = Buffer.from('\x1b[32m' + 'g'.repeat(4100) + '\x1b[0m\r\n');
    screen.beforeWrite(chunk);
    ring.write(chunk);
    screen.afterWrite();
    expect(screen.stats.parsedBytes).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(screen.stats.parsedBytes).toBe(chunk.length);
    for (let i = 0; i < 10; i++) {
      screen.beforeWrite(chunk);
      ring.write(chunk);
    }
    expect(screen.stats.lostBytes).toBe(0);
    expect(screen.stats.parsedBytes + screen.stats.skippedBytes).toBeGreaterThanOrEqual(ring.start);
  });
});
