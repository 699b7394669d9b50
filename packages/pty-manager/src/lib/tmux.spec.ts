import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PtyManager } from '../index.js';
import { Collector, waitFor } from './helpers.test-util.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-tmux-'));
const socketPath = join(dir, 'tmux.sock');
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir };

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
});
