import { manualClock } from '@bosun/util';
import { describe, expect, it } from 'vitest';
import { PtyManager, type PtyManagerOptions, type ProcessExit, type TerminalProcess, type ViewerMessage } from '../index.js';

/** A process whose output and exit the test drives by hand. */
function scripted() {
  const data: ((d: Buffer) => void)[] = [];
  const exits: ((e: ProcessExit) => void)[] = [];
  const proc: TerminalProcess = {
    onData: (cb) => (data.push(cb), { dispose: () => undefined }),
    onExit: (cb) => (exits.push(cb), { dispose: () => undefined }),
    write: () => undefined,
    resize: () => undefined,
    kill: () => undefined,
  };
  return { proc, out: (b: Buffer) => data.forEach((f) => f(b)), exit: (e: ProcessExit) => exits.forEach((f) => f(e)) };
}

async function session(batching?: PtyManagerOptions['outputBatching']) {
  const clock = manualClock(1_000);
  const p = scripted();
  const m = new PtyManager({ clock, idleGraceMs: 0, spawn: () => p.proc, ...(batching === undefined ? {} : { outputBatching: batching }) });
  const s = await m.create({ command: 'fake' });
  const got: ViewerMessage[] = [];
  s.attach({ onMessage: (msg) => void got.push(msg) });
  return { clock, p, s, got };
}

const dataOf = (got: ViewerMessage[]) => got.filter((m): m is Extract<ViewerMessage, { type: 'data' }> => m.type === 'data');

describe('PtyManager output batching', () => {
  it('hands viewers fewer, merged chunks with contiguous offsets while a program streams in bulk, and every byte before the exit', async () => {
    const { clock, p, s, got } = await session();
    const sent: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const c = Buffer.from(`line ${i} ${'b'.repeat(i % 300)}\r\n`);
      sent.push(c);
      p.out(c);
      if (i % 50 === 0) clock.advance(1);
    }
    p.exit({ exitCode: 0, signal: null });
    const data = dataOf(got);
    expect(data.length).toBeLessThan(2000 / 4);
    let at = 0;
    for (const d of data) {
      expect(d.offset).toBe(at);
      at += d.data.length;
    }
    expect(Buffer.concat(data.map((d) => d.data)).equals(Buffer.concat(sent))).toBe(true);
    expect(got.at(-1)?.type).toBe('exit');
    expect(s.offset).toBe(at);
  });

  it('passes each keystroke echo on at once, with no timer', async () => {
    const { p, got } = await session();
    for (let i = 0; i < 100; i++) {
      p.out(Buffer.from('k'));
      expect(dataOf(got)).toHaveLength(i + 1);
    }
  });

  it('hands every chunk on as it came when batching is off', async () => {
    const { p, got } = await session(false);
    for (let i = 0; i < 500; i++) p.out(Buffer.alloc(1000, 0x61));
    expect(dataOf(got)).toHaveLength(500);
  });

  it('refuses a batching setting that is not a positive integer', () => {
    expect(() => new PtyManager({ outputBatching: { maxBytes: 0 } })).toThrow(/maxBytes/);
    expect(() => new PtyManager({ outputBatching: { windowMs: 1.5 } })).toThrow(/windowMs/);
  });
});
