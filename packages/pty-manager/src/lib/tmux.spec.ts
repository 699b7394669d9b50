import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xtermHeadless from '@xterm/headless';
import { afterAll, describe, expect, it } from 'vitest';
import { PtyManager } from '../index.js';
import { Collector, waitFor } from './helpers.test-util.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-tmux-'));
const socketPath = join(dir, 'tmux.sock');
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir };

/** Writes a snapshot into a fresh emulator of its size. */
async function render(snap: { data: Buffer; cols: number; rows: number }): Promise<xtermHeadless.Terminal> {
  const t = new xtermHeadless.Terminal({ cols: snap.cols, rows: snap.rows, allowProposedApi: true });
  await new Promise<void>((r) => t.write(snap.data, r));
  return t;
}

function lines(t: xtermHeadless.Terminal): string[] {
  const b = t.buffer.active;
  return Array.from({ length: b.length }, (_, i) => b.getLine(i)?.translateToString(true) ?? '');
}

afterAll(() => {
  try {
    execFileSync('tmux', ['-S', socketPath, 'kill-server'], { stdio: 'ignore' });
  } catch {
    /* no server left */
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('TmuxBackend', () => {
  it('lets a new manager rediscover a session and a viewer read new output when the first manager has stopped', async () => {
    const a = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, tmux: { socketPath } });
    const s = await a.create({ command: '/bin/sh', name: 'kept', cols: 90, rows: 20 });
    expect(s.info().backend).toBe('tmux');
    const c1 = new Collector();
    s.attach({ onMessage: c1.sink });
    s.write('echo one-$((40+2))\n');
    await waitFor(() => c1.output.includes('one-42'), 5000, 'first output');
    await a.shutdown();

    const b = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, tmux: { socketPath } });
    const found = await b.rediscover();
    expect(found.map((x) => x.id)).toEqual([s.id]);
    expect(b.list()[0]).toMatchObject({ id: s.id, name: 'kept', status: 'alive', backend: 'tmux', cols: 90, rows: 20 });
    const c2 = new Collector();
    const { viewer } = b.attach(s.id, { onMessage: c2.sink });
    await waitFor(() => b.get(s.id).snapshot().data.includes('one-42'), 5000, 'redrawn screen');
    viewer.write('echo two-$((1+1))\n');
    await waitFor(() => c2.output.includes('two-2'), 5000, 'new output');
    viewer.write('exit 7\n');
    const exit = await b.get(s.id).waitExit();
    expect(exit).toMatchObject({ exitCode: 7, reason: 'exited' });
    await b.shutdown({ killTmux: true });
  });

  it('gives a viewer attaching from 0 or an old offset a snapshot captured with colours from tmux when a new manager rediscovers the session', async () => {
    const a = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, tmux: { socketPath } });
    const script = `for i in 1 2 3; do printf '\\033[31mred-line-%s\\033[0m plain\\n' $i; done; echo ready-$((6*7)); exec cat`;
    const s = await a.create({ command: '/bin/sh', args: ['-c', script], cols: 70, rows: 12 });
    const c1 = new Collector();
    s.attach({ onMessage: c1.sink });
    await waitFor(() => c1.output.includes('ready-42'), 5000, 'first output');
    await a.shutdown();
    const oldEnd = s.offset;

    const b = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, tmux: { socketPath } });
    expect((await b.rediscover()).map((x) => x.id)).toEqual([s.id]);
    const session = b.get(s.id);
    expect(session.bufferStart).toBe(oldEnd + 1);
    // Attached before the tmux client's redraw can arrive: the snapshot is the capture.
    const c2 = new Collector();
    const { viewer, start } = session.attach({ fromOffset: 0, onMessage: c2.sink });
    expect(start).toEqual({ kind: 'snapshot', offset: oldEnd + 1 });
    const snap = c2.messages[0];
    if (snap?.type !== 'snapshot') throw new Error('expected a snapshot first');
    expect(snap.data.toString('utf8')).toMatch(new RegExp(String.raw`\u001b\[(?:[0-9;]*;)?31m`));
    const fresh = await render(snap);
    const text = lines(fresh);
    const row = text.findIndex((l) => l === 'red-line-1 plain');
    expect(row).toBeGreaterThanOrEqual(0);
    expect(text.slice(row, row + 4)).toEqual(['red-line-1 plain', 'red-line-2 plain', 'red-line-3 plain', 'ready-42']);
    const cell = fresh.buffer.active.getLine(row)?.getCell(0);
    expect(cell?.isFgPalette() && cell.getFgColor()).toBe(1);
    expect(fresh.buffer.active.getLine(row)?.getCell(11)?.isFgDefault()).toBe(true);
    expect(fresh.buffer.active.cursorY).toBe(row + 4);
    fresh.dispose();

    // A viewer still holding the first manager's offset gets the snapshot too, not unrelated bytes.
    const c3 = new Collector();
    expect(session.attach({ fromOffset: oldEnd, onMessage: c3.sink }).start.kind).toBe('snapshot');
    viewer.write('after-restart\n');
    await waitFor(() => c2.output.includes('after-restart') && c3.output.includes('after-restart'), 5000, 'live output');
    await b.shutdown({ killTmux: true });
  });

  it('seeds the alternate screen over the normal one from tmux when a rediscovered session runs busybox vi', async () => {
    const file = join(dir, 'vi.txt');
    writeFileSync(file, 'first vi line\nsecond vi line\n');
    const a = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, tmux: { socketPath } });
    const s = await a.create({ command: '/bin/sh', args: ['-c', `echo before-vi; exec /bin/busybox vi ${file}`], cols: 50, rows: 8 });
    await waitFor(() => s.snapshot().buffer === 'alternate' && s.snapshot().data.includes('second vi line'), 5000, 'vi');
    await a.shutdown();

    const b = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, tmux: { socketPath } });
    await b.rediscover();
    const c = new Collector();
    b.attach(s.id, { fromOffset: 0, onMessage: c.sink });
    const snap = c.messages[0];
    if (snap?.type !== 'snapshot') throw new Error('expected a snapshot first');
    const fresh = await render(snap);
    expect(fresh.buffer.active.type).toBe('alternate');
    expect(lines(fresh).slice(0, 2)).toEqual(['first vi line', 'second vi line']);
    expect(fresh.buffer.normal.getLine(0)?.translateToString(true)).toBe('before-vi');
    fresh.dispose();
    b.get(s.id).write(':q!\r');
    await b.get(s.id).waitExit();
    await b.shutdown({ killTmux: true });
  });
});
