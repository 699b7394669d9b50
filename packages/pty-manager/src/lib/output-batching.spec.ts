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

describe('viewer flow control', () => {
  it('pauses a fast program while a pause viewer is behind, drops none of its bytes, and resumes when it catches up', async () => {
    const m = new PtyManager({ idleGraceMs: 0 });
    const s = await m.create({ command: '/bin/sh', args: ['-c', 'head -c 3000000 /dev/zero | tr "\\0" "x"; echo; echo FLOW""-END'] });
    const releases: (() => void)[] = [];
    const chunks: { offset: number; length: number }[] = [];
    let dropped = false;
    let sawPaused = false;
    let maxWaiting = 0;
    let waiting = 0;
    let text = '';
    s.attach({
      flow: 'pause',
      maxPendingBytes: 64 * 1024,
      onMessage: (msg) => {
        if (msg.type === 'dropped') dropped = true;
        if (msg.type !== 'data') return undefined;
        chunks.push({ offset: msg.offset, length: msg.data.length });
        text = (text + msg.data.toString('latin1')).slice(-64);
        waiting += msg.data.length;
        maxWaiting = Math.max(maxWaiting, waiting);
        if (s.outputPaused) sawPaused = true;
        // The consumer takes its bytes only when the test lets it.
        return new Promise<void>((r) => releases.push(() => ((waiting -= msg.data.length), r())));
      },
    });
    // Consume slowly: let one pending chunk go at a time, only once the program is held back.
    for (let i = 0; i < 100_000 && !text.includes('FLOW-END'); i++) {
      if (s.outputPaused || releases.length > 50) releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    for (const r of releases.splice(0)) r();
    expect(text).toContain('FLOW-END');
    expect(dropped).toBe(false);
    expect(sawPaused).toBe(true);
    // Every byte, in order, no gap: the viewer never lost its place.
    let at = 0;
    for (const c of chunks) {
      expect(c.offset).toBe(at);
      at += c.length;
    }
    expect(at).toBe(s.offset);
    // Held back near the limit, not buffered without bound (four times the limit drops).
    expect(maxWaiting).toBeLessThanOrEqual(4 * 64 * 1024);
    await m.shutdown();
  });

  it('drops a drop viewer that falls behind in the same situation and never pauses the program for it', async () => {
    const m = new PtyManager({ idleGraceMs: 0 });
    const s = await m.create({ command: '/bin/sh', args: ['-c', 'head -c 2000000 /dev/zero | tr "\\0" "y"; sleep 5'] });
    let dropped = false;
    s.attach({ maxPendingBytes: 64 * 1024, onMessage: (msg) => (msg.type === 'dropped' ? void (dropped = true) : msg.type === 'data' ? new Promise(() => undefined) : undefined) });
    for (let i = 0; i < 100_000 && !dropped; i++) {
      expect(s.outputPaused).toBe(false);
      await new Promise((r) => setImmediate(r));
    }
    expect(dropped).toBe(true);
    await m.shutdown();
  });
});
