import { createHash } from 'node:crypto';
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

describe('spawnNodePty input', () => {
  it('delivers a paste far larger than the PTY input buffer whole and in order when the program reads slowly', async () => {
    const m = new PtyManager({ idleGraceMs: 0 });
    // Raw mode, so the line discipline passes every byte; the reader sleeps first, so the kernel buffer fills and writes hit EAGAIN.
    const s = await m.create({ command: '/bin/sh', args: ['-c', 'stty raw -echo; echo RE""ADY; sleep 0.3; head -c 600000 | sha256sum'] });
    const c = new Collector();
    s.attach({ onMessage: c.sink });
    const paste = Buffer.alloc(600_000);
    for (let i = 0; i < paste.length; i++) paste[i] = 0x20 + ((i * 7 + (i >> 9)) % 90);
    await waitFor(() => c.output.includes('READY'), 10_000, 'raw mode');
    for (let at = 0; at < paste.length; at += 65_536) s.write(paste.subarray(at, at + 65_536));
    const want = createHash('sha256').update(paste).digest('hex');
    await waitFor(() => /[0-9a-f]{64}/.test(c.output), 20_000, 'the checksum');
    expect(c.output).toContain(want);
    await m.shutdown();
  });
});
