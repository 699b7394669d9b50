import { spawn } from 'node:child_process';
import { systemClock, type Clock } from '@bosun/util';

/** What a {@link CommandRunner} is asked to do besides the argv. */
export interface RunOptions {
  /** Hard deadline in ms; the process (and its process group) is killed when it passes. */
  timeoutMs: number;
  /** Environment of the child. */
  env: Record<string, string | undefined>;
  /** Bytes kept per stream; the rest is dropped (default 64 KiB). */
  maxOutputBytes?: number;
  /** Timers for the deadline and the exit grace (default `systemClock` from `@bosun/util`). Tests pass `manualClock`. */
  clock?: Clock;
}

/** Result of running a command. A runner resolves; it only rejects on a bug. */
export interface CommandResult {
  /** Captured stdout (UTF-8, truncated to `maxOutputBytes`). */
  stdout: string;
  /** Captured stderr (UTF-8, truncated to `maxOutputBytes`). */
  stderr: string;
  /** Exit code, or `null` when killed by a signal or it never started. */
  exitCode: number | null;
  /** True when the deadline passed and the process was killed. */
  timedOut: boolean;
  /** Set when the process could not be started (e.g. `ENOENT`, `EACCES`). */
  error?: Error;
}

/**
 * Runs `file` with `args`, without a shell, and resolves by `timeoutMs` at the
 * latest. Inject a fake in unit tests.
 */
export type CommandRunner = (file: string, args: readonly string[], options: RunOptions) => Promise<CommandResult>;

const DEFAULT_MAX_OUTPUT = 64 * 1024;
const EXIT_GRACE_MS = 100;

/**
 * The default {@link CommandRunner}: an argv `spawn` (no shell, like `execFile`)
 * in its own process group on POSIX.
 *
 * Why not `execFile` itself: its `timeout` kills only the direct child and then
 * waits for stdio to close, so a wrapper script whose grandchild keeps stdout open
 * (`#!/bin/sh` + `sleep`) hangs the caller and leaks the grandchild. Here the whole
 * group is SIGKILLed at the deadline and the promise resolves right away,
 * whether or not the pipes have closed.
 */
export const spawnCommandRunner: CommandRunner = (file, args, options) =>
  new Promise<CommandResult>((resolve) => {
    const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const clock = options.clock ?? systemClock;
    const posix = process.platform !== 'win32';
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let done = false;
    let timedOut = false;
    let exitCode: number | null = null;

    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode,
        timedOut,
        ...(error ? { error } : {}),
      });
    };

    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, [...args], {
        env: options.env,
        shell: false,
        detached: posix,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      resolve({ stdout: '', stderr: '', exitCode: null, timedOut: false, error: error as Error });
      return;
    }

    const kill = (): void => {
      try {
        if (posix && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };

    const timer = clock.setTimeout(() => {
      timedOut = true;
      kill();
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish();
    }, options.timeoutMs);

    child.stdout?.on('data', (chunk: Buffer) => {
      if (outLen < max) out.push(chunk.subarray(0, max - outLen));
      outLen += chunk.length;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errLen < max) err.push(chunk.subarray(0, max - errLen));
      errLen += chunk.length;
    });
    child.on('error', (error) => finish(error));
    child.on('exit', (code) => {
      exitCode = code;
      // A grandchild that inherited the pipes would hold 'close' back forever:
      // give the pipes a moment to drain, then end the group and stop waiting.
      const grace = clock.setTimeout(() => {
        kill();
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, EXIT_GRACE_MS);
      child.once('close', () => clock.clearTimeout(grace));
    });
    child.on('close', () => finish());
  });
