import { chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from './manual-clock.js';
import { CancelledError, DeadlineError, remainingMs, withDeadline } from './deadline.js';
import { writePrivateFile, writePrivateFileSync, writePrivateJson } from './atomic-write.js';
import { engineSocketCandidates, parseDockerHost } from './engine-socket.js';
import { LogThrottle } from './log-throttle.js';

describe('withDeadline', () => {
  it('rejects with timeout and names the real deadline when fn never settles', async () => {
    const clock = manualClock();
    let aborted = false;
    const p = withDeadline('container.list', 5000, (signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))), { clock });
    clock.advance(5000);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as DeadlineError).code).toBe('timeout');
    expect((err as Error).message).toBe('container.list timed out after 5000 ms');
    expect(aborted).toBe(true);
  });

  it('resolves with the value when fn settles first', async () => {
    await expect(withDeadline('x', 10, async () => 7, { clock: manualClock() })).resolves.toBe(7);
  });

  it('rejects with cancelled, not a 0 ms timeout, when the caller aborts', async () => {
    const ac = new AbortController();
    const p = withDeadline('exec', 5000, () => new Promise(() => undefined), { signal: ac.signal, clock: manualClock() });
    ac.abort();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).code).toBe('cancelled');
  });

  it('rejects at once when the caller signal was already aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(withDeadline('exec', 5000, () => new Promise(() => undefined), { signal: ac.signal, clock: manualClock() })).rejects.toThrow('gone');
  });

  it('counts the time left when asked', () => {
    const clock = manualClock(100);
    expect(remainingMs(150, clock)).toBe(50);
    expect(remainingMs(50, clock)).toBe(0);
  });
});

describe('writePrivateFile', () => {
  it('writes mode 0600 atomically and replaces a file others could read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-util-'));
    const path = join(dir, 'sub', 'secret.json');
    await writePrivateJson(path, { token: 't' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ token: 't' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    const loose = join(dir, 'loose');
    writeFileSync(loose, 'old');
    chmodSync(loose, 0o644);
    writePrivateFileSync(loose, 'new');
    expect(readFileSync(loose, 'utf8')).toBe('new');
    expect(statSync(loose).mode & 0o777).toBe(0o600);
    await writePrivateFile(loose, Buffer.from('bytes'));
    expect(readFileSync(loose, 'utf8')).toBe('bytes');
  });
});

describe('writePrivateFile and symlinks', () => {
  it('refuses to write through a planted symbolic link and leaves its target alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-util-link-'));
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched');
    const path = join(dir, 'credentials.json');
    symlinkSync(target, path);
    await expect(writePrivateFile(path, 'secret')).rejects.toMatchObject({ code: 'forbidden_path' });
    expect(() => writePrivateFileSync(path, 'secret')).toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
  });
});

describe('engineSocketCandidates', () => {
  it('lists DOCKER_HOST, Docker, rootless Docker and Podman, then rootful Podman when XDG_RUNTIME_DIR is set', () => {
    expect(engineSocketCandidates({ DOCKER_HOST: 'unix:///tmp/p.sock', XDG_RUNTIME_DIR: '/run/user/1' }).map((e) => e.socketPath)).toEqual([
      '/tmp/p.sock',
      '/var/run/docker.sock',
      '/run/user/1/docker.sock',
      '/run/user/1/podman/podman.sock',
      '/run/podman/podman.sock',
    ]);
  });

  it('lets an explicit host win and drops duplicates when they repeat', () => {
    const list = engineSocketCandidates({ DOCKER_HOST: 'unix:///x' }, 'unix:///var/run/docker.sock');
    expect(list[0]).toEqual({ socketPath: '/var/run/docker.sock', source: 'dockerHost' });
    expect(list.filter((e) => e.socketPath === '/var/run/docker.sock')).toHaveLength(1);
    expect(parseDockerHost('tcp://h:1234')).toEqual({ host: 'h', port: 1234, source: 'DOCKER_HOST' });
    expect(parseDockerHost('ssh://h')).toBeUndefined();
  });
});

describe('LogThrottle', () => {
  it('logs a flood of one kind once, then once with a count when the window closes', () => {
    const lines: [object | string, string | undefined][] = [];
    const log = (o: object | string, m?: string) => void lines.push([o, m]);
    const clock = manualClock();
    const t = new LogThrottle({ logger: { debug: log, info: log, warn: log, error: log }, windowMs: 1000, clock });
    for (let i = 0; i < 20_000; i++) t.warn('invalid_json', { code: 'invalid_json' }, 'bad message');
    expect(lines).toHaveLength(1);
    clock.advance(1000);
    expect(lines).toHaveLength(2);
    expect(lines[1][0]).toMatchObject({ repeated: 19_999 });
    t.warn('invalid_json', { code: 'invalid_json' }, 'bad message');
    expect(lines).toHaveLength(3);
  });

  it('bounds the keys it tracks and flushes summaries when asked', () => {
    const lines: unknown[] = [];
    const log = (o: object | string) => void lines.push(o);
    const t = new LogThrottle({ logger: { debug: log, info: log, warn: log, error: log }, maxKeys: 2, clock: manualClock() });
    for (let i = 0; i < 1000; i++) t.warn(`k${i}`, { i }, 'x');
    expect(lines).toHaveLength(3);
    t.flush();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ repeated: 997 });
  });
});

describe('readBoundedText', () => {
  it('reads a body up to the limit and gives undefined, cancelling the stream, past it', async () => {
    const { readBoundedText } = await import('./bounded-body.js');
    expect(await readBoundedText(new Response('hello'), 5)).toBe('hello');
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024));
      },
    });
    expect(await readBoundedText(new Response(endless), 10_000)).toBeUndefined();
    expect(pulled).toBeLessThan(20);
    expect(await readBoundedText(new Response(null), 1)).toBe('');
  });
});
