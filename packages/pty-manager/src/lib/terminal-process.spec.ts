import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PtyManager, fromDuplex } from '../index.js';
import { Collector, waitFor } from './helpers.test-util.js';

describe('fromDuplex', () => {
  it('runs a session over a child process stdio and reports its exit code when the child ends', async () => {
    const resized: Array<[number, number]> = [];
    const m = new PtyManager({
      idleGraceMs: 0,
      spawn: () => {
        const child = spawn('/bin/sh', ['-c', 'while read l; do echo "got:$l"; done; exit 5'], { stdio: 'pipe' });
        return fromDuplex({
          stream: Duplex.from({ readable: child.stdout, writable: child.stdin }),
          resize: (c, r) => void resized.push([c, r]),
          exit: new Promise((r) => child.on('exit', (code) => r(code))),
          kill: (sig) => void child.kill(sig),
          ...(child.pid ? { pid: child.pid } : {}),
        });
      },
    });
    const s = await m.create({ command: 'ignored' });
    expect(s.info().backend).toBe('custom');
    const c = new Collector();
    const { viewer } = s.attach({ onMessage: c.sink });
    viewer.write('hello\n');
    await waitFor(() => c.output.includes('got:hello'), 5000, 'echo');
    viewer.resize(100, 30);
    await waitFor(() => resized.length === 1, 1000, 'resize');
    expect(resized).toEqual([[100, 30]]);
    s.write(Buffer.from([4])); // not a TTY: EOF needs the pipe closed, so close the session
    const exit = await m.close(s.id, { signal: 'SIGTERM', graceMs: 500 });
    expect(exit.reason).toBe('closed');
    await m.shutdown();
  });

  it('reports the exit after the last byte when the stream ends with a PassThrough pair', async () => {
    const toViewer = new PassThrough();
    const fromViewer = new PassThrough();
    let resolveExit: (n: number) => void = () => undefined;
    const proc = fromDuplex({
      stream: Duplex.from({ readable: toViewer, writable: fromViewer }),
      resize: () => undefined,
      exit: new Promise<number>((r) => (resolveExit = r)),
    });
    const seen: string[] = [];
    proc.onData((d) => seen.push(d.toString()));
    const exited = new Promise((r) => proc.onExit(r));
    proc.write('ping');
    expect(fromViewer.read()?.toString()).toBe('ping');
    toViewer.write('a');
    toViewer.end('b');
    resolveExit(0);
    expect(await exited).toEqual({ exitCode: 0, signal: null });
    expect(seen.join('')).toBe('ab');
  });
});
