import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCommandRunner } from './command-runner.js';

const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };

// A killed orphan may linger as a zombie until its new parent reaps it: that counts as dead.
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('spawnCommandRunner', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bosun-runner-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('captures stdout, stderr and the exit code when the command exits', async () => {
    const r = await spawnCommandRunner(process.execPath, ['-e', 'process.stdout.write("out");process.stderr.write("err");process.exit(3)'], {
      timeoutMs: 5000,
      env,
    });
    expect(r).toEqual({ stdout: 'out', stderr: 'err', exitCode: 3, timedOut: false });
  });

  it('passes arguments verbatim when they hold shell metacharacters', async () => {
    const r = await spawnCommandRunner(process.execPath, ['-e', 'process.stdout.write(process.argv[1])', '$(echo hi); `x` | y'], {
      timeoutMs: 5000,
      env,
    });
    expect(r.stdout).toBe('$(echo hi); `x` | y');
  });

  it('reports an error when the file does not exist', async () => {
    const r = await spawnCommandRunner(join(dir, 'missing'), [], { timeoutMs: 1000, env });
    expect(r.error).toBeInstanceOf(Error);
    expect(r.timedOut).toBe(false);
  });

  it('kills the whole process group and resolves by the deadline when a grandchild holds the pipes', async () => {
    const script = join(dir, 'hang.sh');
    const pidFile = join(dir, 'grandchild.pid');
    await writeFile(script, `#!/bin/sh\nsleep 1000 &\necho $! > ${pidFile}\nwait\n`);
    await chmod(script, 0o755);
    const started = Date.now();
    const r = await spawnCommandRunner(script, ['--version'], { timeoutMs: 300, env });
    const elapsed = Date.now() - started;
    expect(r.timedOut).toBe(true);
    expect(elapsed).toBeLessThan(1500);
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('stops waiting when the child exits but a background grandchild keeps stdout open', async () => {
    const script = join(dir, 'daemonish.sh');
    const pidFile = join(dir, 'daemon.pid');
    await writeFile(script, `#!/bin/sh\necho 1.2.3\nsleep 1000 &\necho $! > ${pidFile}\nexit 0\n`);
    await chmod(script, 0o755);
    const started = Date.now();
    const r = await spawnCommandRunner(script, [], { timeoutMs: 5000, env });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r).toMatchObject({ stdout: '1.2.3\n', exitCode: 0, timedOut: false });
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('truncates output when it exceeds maxOutputBytes', async () => {
    const r = await spawnCommandRunner(process.execPath, ['-e', 'process.stdout.write("x".repeat(10000))'], {
      timeoutMs: 5000,
      env,
      maxOutputBytes: 100,
    });
    expect(r.stdout).toHaveLength(100);
  });
});
