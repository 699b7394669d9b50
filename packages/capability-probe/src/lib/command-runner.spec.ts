import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@bosun/util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnCommandRunner } from './command-runner.js';
import { alive, settledFlag, trackingClock, turn } from './fakes.test-util.js';

const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };

// The pid a script wrote to `file`, once it is there in full.
async function pidIn(file: string): Promise<number> {
  return vi.waitFor(async () => {
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (!pid) throw new Error(`no pid in ${file} yet`);
    return pid;
  }, { timeout: 10_000, interval: 20 });
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

  it('kills the whole process group and resolves at the deadline when a grandchild holds the pipes', async () => {
    const script = join(dir, 'hang.sh');
    const pidFile = join(dir, 'grandchild.pid');
    await writeFile(script, `#!/bin/sh\nsleep 1000 &\necho $! > ${pidFile}\nwait\n`);
    await chmod(script, 0o755);
    const clock = manualClock();
    const running = spawnCommandRunner(script, ['--version'], { timeoutMs: 300, env, clock });
    const state = settledFlag(running);
    const grandchild = await pidIn(pidFile);
    // The script really hangs: nothing but the deadline can end it.
    clock.advance(299);
    await turn();
    expect(state.settled).toBe(false);
    expect(alive(grandchild)).toBe(true);
    clock.advance(1);
    const r = await running;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    await vi.waitFor(() => expect(alive(grandchild)).toBe(false), { timeout: 10_000, interval: 20 });
  });

  it('stops waiting after the exit grace, long before the deadline, when a background grandchild keeps stdout open', async () => {
    const script = join(dir, 'daemonish.sh');
    const pidFile = join(dir, 'daemon.pid');
    await writeFile(script, `#!/bin/sh\necho 1.2.3\nsleep 1000 &\necho $! > ${pidFile}\nexit 0\n`);
    await chmod(script, 0o755);
    const clock = trackingClock();
    const running = spawnCommandRunner(script, [], { timeoutMs: 5000, env, clock });
    const state = settledFlag(running);
    const grandchild = await pidIn(pidFile);
    // The child has exited once the runner arms its grace timer (the second timer, after the deadline's).
    await vi.waitFor(() => expect(clock.delays).toHaveLength(2), { timeout: 10_000, interval: 20 });
    const grace = clock.delays[1] as number;
    expect(grace).toBeLessThan(5000);
    await turn();
    expect(state.settled).toBe(false); // the grandchild still holds stdout: 'close' never came
    clock.advance(grace);
    // Resolved by the grace timer: the 5 s deadline never fired, so this is not a timeout.
    expect(await running).toMatchObject({ stdout: '1.2.3\n', exitCode: 0, timedOut: false });
    await vi.waitFor(() => expect(alive(grandchild)).toBe(false), { timeout: 10_000, interval: 20 });
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
