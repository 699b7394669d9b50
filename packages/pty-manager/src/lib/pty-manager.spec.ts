import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xtermHeadless from '@xterm/headless';
import { afterEach, describe, expect, it } from 'vitest';
import { PtyManager, type Clock, type TerminalSession, type ViewerMessage } from '../index.js';
import { Collector, waitFor, watch } from './helpers.test-util.js';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
const managers: PtyManager[] = [];
function manager(opts: ConstructorParameters<typeof PtyManager>[0] = {}): PtyManager {
  const m = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, closeGraceMs: 500, ...opts });
  managers.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ killTmux: true })));
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('PtyManager', () => {
  it('runs a command and reports its exit code when it ends by itself', async () => {
    const m = manager();
    const s = await m.create({ command: '/bin/sh', args: ['-c', 'echo hello; exit 3'], name: 'hi' });
    const c = watch(s);
    const exit = await s.waitExit();
    expect(exit).toMatchObject({ exitCode: 3, reason: 'exited' });
    await waitFor(() => c.exited);
    expect(c.output).toContain('hello');
    expect(m.list()).toMatchObject([{ id: s.id, name: 'hi', status: 'exited', cols: 80, rows: 24, viewers: 1 }]);
  });

  it('replays exactly the bytes after fromOffset then the live stream when reattaching 1000 times under continuous output', async () => {
    const m = manager();
    const N = 400_000;
    const s = await m.create({ command: 'seq', args: ['1', String(N)] });
    const expected = Buffer.from(Array.from({ length: N }, (_, i) => `${i + 1}\r\n`).join(''));
    const assembled = Buffer.alloc(expected.length + 1024);
    let have = 0; // contiguous bytes assembled
    let reattaches = 0;
    let snapshots = 0;
    let current: ReturnType<TerminalSession['attach']>['viewer'] | null = null;
    let done = false;
    const sink = (msg: ViewerMessage): void => {
      if (msg.type === 'snapshot') snapshots++;
      if (msg.type === 'data') {
        // Lossless: every message starts at or before what we have (no gap).
        expect(msg.offset).toBeLessThanOrEqual(have);
        msg.data.copy(assembled, msg.offset);
        have = Math.max(have, msg.offset + msg.data.length);
      }
      if (msg.type === 'exit') done = true;
    };
    const reattach = (): void => {
      if (done) return;
      current?.detach();
      const lo = Math.max(s.bufferStart, have - 64 * 1024);
      const from = lo + Math.floor(Math.random() * (have - lo + 1));
      current = s.attach({ fromOffset: from, onMessage: sink }).viewer;
      if (++reattaches < 1000) setImmediate(reattach);
    };
    reattach();
    await waitFor(() => done, 30_000, 'exit');
    expect(reattaches).toBeGreaterThan(200);
    expect(snapshots).toBe(0);
    expect(have).toBe(expected.length);
    expect(sha(assembled.subarray(0, have))).toBe(sha(expected));
  });

  it('keeps the fast viewer at full speed and drops the slow one with a reason when the slow one falls past its limit', async () => {
    const m = manager({ ringBufferBytes: 64 * 1024 });
    const s = await m.create({ command: '/bin/sh', args: ['-c', 'head -c 20000000 /dev/zero | tr "\\0" a'] });
    let fastBytes = 0;
    s.attach({ onMessage: (msg) => void (msg.type === 'data' && (fastBytes += msg.data.length)) });
    const limit = 256 * 1024;
    let slowMaxPending = 0;
    const slowMsgs: ViewerMessage[] = [];
    const { viewer: slow } = s.attach({
      maxPendingBytes: limit,
      onMessage: (msg) => {
        slowMsgs.push(msg);
        slowMaxPending = Math.max(slowMaxPending, slow?.pendingBytes ?? 0);
        return new Promise((r) => setTimeout(r, 2000)); // a socket that never drains in time
      },
    });
    const rss0 = process.memoryUsage().rss;
    await s.waitExit();
    await waitFor(() => fastBytes === s.offset, 5000, 'fast viewer');
    expect(fastBytes).toBe(20_000_000);
    expect(slow.attached).toBe(false);
    expect(slowMsgs.at(-1)).toMatchObject({ type: 'dropped', reason: 'slow' });
    expect(slowMaxPending).toBeLessThanOrEqual(limit);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
  });

  it('hands viewers only valid UTF-8 chunks when a program prints multi-byte characters at every alignment', async () => {
    const m = manager({ ringBufferBytes: 8 * 1024 });
    const line = '😀中é€𝄞한'.repeat(40);
    const script = [0, 1, 2, 3].map((k) => `printf '%s\\n' '${'x'.repeat(k)}${line}'`).join(';');
    const s = await m.create({ command: '/bin/sh', args: ['-c', `for i in $(seq 1 60); do ${script}; done`] });
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const chunks: Buffer[] = [];
    const late: Buffer[] = [];
    s.attach({ onMessage: (msg) => void (msg.type === 'data' && chunks.push(msg.data)) });
    // A second viewer reattaching at odd offsets (inside characters) mid-stream.
    let tries = 0;
    const poke = (): void => {
      if (!s.alive || tries++ > 200) return;
      const { viewer } = s.attach({ fromOffset: Math.max(s.bufferStart + 4, s.offset - 7), onMessage: (msg) => void (msg.type === 'data' && late.push(msg.data)) });
      viewer.detach();
      setImmediate(poke);
    };
    poke();
    await s.waitExit();
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of [...chunks, ...late]) expect(() => decoder.decode(c)).not.toThrow();
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe([0, 1, 2, 3].map((k) => `${'x'.repeat(k)}${line}\r\n`).join('').repeat(60));
  });

  it('sends a snapshot that restores the alternate screen when the switch has left the buffer', async () => {
    const m = manager({ ringBufferBytes: 4096 });
    const script = `printf '\\033[?1049h\\033[2J\\033[HFULL SCREEN APP'; for i in $(seq 1 3000); do printf '\\033[5;1Hcounter %06d' $i; done; printf '\\033[?25l'; echo; sleep 30`;
    const s = await m.create({ command: '/bin/sh', args: ['-c', script], cols: 60, rows: 10 });
    await waitFor(() => s.offset > 60_000, 10_000, 'output');
    await waitFor(() => s.snapshot().data.includes('counter 003000'), 10_000, 'last counter');
    const c = new Collector();
    const { start } = s.attach({ fromOffset: 0, onMessage: c.sink });
    expect(start.kind).toBe('snapshot');
    const snap = c.messages[0];
    if (snap?.type !== 'snapshot') throw new Error('expected a snapshot first');
    expect(snap.offset).toBe(s.offset);
    const fresh = new xtermHeadless.Terminal({ cols: snap.cols, rows: snap.rows, allowProposedApi: true });
    await new Promise<void>((r) => fresh.write(snap.data, r));
    expect(fresh.buffer.active.type).toBe('alternate');
    expect(fresh.buffer.active.getLine(0)?.translateToString(true)).toBe('FULL SCREEN APP');
    expect(fresh.buffer.active.getLine(4)?.translateToString(true)).toBe('counter 003000');
    fresh.dispose();
  });

  it('restores busybox vi on the alternate screen for a late viewer when the switch has left a small ring', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-vi-'));
    const file = join(dir, 'notes.txt');
    const line = (n: number): string => `line ${String(n).padStart(3, '0')} of the notes`;
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => `${line(i + 1)}\n`).join(''));
    try {
      const m = manager({ ringBufferBytes: 2048 });
      const s = await m.create({ command: '/bin/busybox', args: ['vi', file], cols: 60, rows: 12 });
      const shows = (text: string): boolean => {
        const snap = s.snapshot();
        return snap.buffer === 'alternate' && snap.data.includes(text);
      };
      await waitFor(() => shows(line(1)), 10_000, 'vi showing the file');
      const switchedBy = s.offset;
      // Jump between the end and the start of the file until the switch has left the ring.
      for (let i = 0; s.bufferStart <= switchedBy || i % 2 === 1; i++) {
        expect(i).toBeLessThan(200);
        s.write(i % 2 === 0 ? 'G' : '1G');
        await waitFor(() => shows(line(i % 2 === 0 ? 300 : 1)), 10_000, `vi redraw ${i}`);
      }
      const c = new Collector();
      const { start } = s.attach({ fromOffset: 0, onMessage: c.sink });
      expect(start.kind).toBe('snapshot');
      const snap = c.messages[0];
      if (snap?.type !== 'snapshot') throw new Error('expected a snapshot first');
      const fresh = new xtermHeadless.Terminal({ cols: snap.cols, rows: snap.rows, allowProposedApi: true });
      await new Promise<void>((r) => fresh.write(snap.data, r));
      expect(fresh.buffer.active.type).toBe('alternate');
      const rows = Array.from({ length: 11 }, (_, i) => fresh.buffer.active.getLine(i)?.translateToString(true));
      expect(rows).toEqual(Array.from({ length: 11 }, (_, i) => line(i + 1)));
      fresh.dispose();
      s.write(':q!\r');
      expect((await s.waitExit()).exitCode).toBe(0);
      expect(s.snapshot().buffer).toBe('normal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers the new size to the program when a writable viewer resizes', async () => {
    const m = manager();
    const s = await m.create({ command: '/bin/sh' });
    const c = new Collector();
    const { viewer } = s.attach({ onMessage: c.sink });
    expect(viewer.resize(100, 40)).toBeUndefined();
    viewer.write('stty size\n');
    await waitFor(() => c.output.includes('40 100'), 5000, 'stty size');
    expect(c.messages).toContainEqual({ type: 'resize', cols: 100, rows: 40 });
    expect(m.resize(s.id, 99_999, 0)).toEqual({ cols: 1000, rows: 1 });
  });

  it('refuses input when the viewer is read-only', async () => {
    const m = manager();
    const s = await m.create({ command: '/bin/sh' });
    const { viewer } = s.attach({ readOnly: true, onMessage: () => undefined });
    expect(() => viewer.write('x')).toThrow(expect.objectContaining({ code: 'PTY_ERR_READ_ONLY' }));
  });

  it('kills the whole process tree when closed, including a child that ignores SIGHUP', async () => {
    const m = manager({ closeGraceMs: 300 });
    const s = await m.create({ command: '/bin/sh', args: ['-c', `(trap '' HUP TERM; exec sleep 1000) & echo child:$!; wait`] });
    const c = watch(s);
    await waitFor(() => /child:\d+/.test(c.output), 5000, 'child pid');
    const child = Number(/child:(\d+)/.exec(c.output)?.[1]);
    const exit = await m.close(s.id);
    expect(exit.reason).toBe('closed');
    const dead = (): boolean => !existsSync(`/proc/${child}`) || / Z /.test(readFileSync(`/proc/${child}/stat`, 'utf8'));
    await waitFor(dead, 3000, 'child to die');
    expect(m.list()[0]).toMatchObject({ status: 'exited', exit: { reason: 'closed' } });
  });

  it('closes a session after the grace period when no viewer is attached', async () => {
    const timers: Array<{ fn: () => void; at: number; live: boolean }> = [];
    let now = 1_000;
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => {
        const t = { fn, at: now + ms, live: true };
        timers.push(t);
        return t;
      },
      clearTimeout: (h) => void ((h as { live: boolean }).live = false),
    };
    const advance = (ms: number): void => {
      now += ms;
      for (const t of timers.splice(0)) if (t.live && t.at <= now) t.fn(); else if (t.live) timers.push(t);
    };
    const m = manager({ clock, idleGraceMs: 60_000 });
    const s = await m.create({ command: '/bin/sh' });
    const { viewer } = s.attach({ onMessage: () => undefined });
    advance(120_000);
    expect(s.alive).toBe(true);
    viewer.detach();
    advance(59_000);
    expect(s.alive).toBe(true);
    advance(1_000);
    expect((await s.waitExit()).reason).toBe('reaped');
    await waitFor(() => m.list().length === 0, 3000, 'removal');
  });
});
