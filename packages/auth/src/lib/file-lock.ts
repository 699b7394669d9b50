/**
 * An exclusive lock between processes on one file, for read-modify-write of small state
 * files (the registry, the credentials), on proper-lockfile: the lock is a `<file>.lock`
 * directory (mkdir is atomic on every local file system), kept fresh while held and taken
 * over when its holder stopped refreshing it (crashed) for `staleMs`.
 */
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname } from 'node:path';
import type { Logger } from '@bosun/logger';
import { silentLogger } from '@bosun/logger';
import { BosunError } from '@bosun/protocol';
import { systemClock, type Clock } from '@bosun/util';
import lockfile from 'proper-lockfile';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Longest wait for the lock, in ms (default 10 000); then `timeout`. */
  timeoutMs?: number;
  /** A lock not refreshed for this long is stale and taken over, in ms (default 10 000; at least 2 000). */
  staleMs?: number;
  /** Time source for the deadline (default the system clock). */
  clock?: Clock;
  /** Logger (default silent). */
  logger?: Logger;
}

/**
 * Runs `fn` while holding the exclusive lock of `path` (the file need not exist; its
 * directory is created 0700). Waits, with jittered retries, until `timeoutMs`.
 *
 * @throws BosunError `timeout` when the lock stays held by a live process past the deadline
 * @throws BosunError `conflict` when the lock was lost while `fn` ran (its refresh failed or
 *   another process took it over as stale): `fn`'s result must then not be trusted
 */
export async function withFileLock<T>(path: string, fn: () => T | Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = Math.max(2_000, options.staleMs ?? 10_000);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = clock.now() + timeoutMs;
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(path, {
        realpath: false,
        stale: staleMs,
        retries: 0,
        // The default throws from a timer and kills the process; record it and fail the call instead.
        onCompromised: (err) => {
          compromised = err;
          logger.warn({ path, err: err.message }, 'file lock compromised');
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (clock.now() >= deadline) throw BosunError.timeout(`waiting for the lock on ${path}`, timeoutMs);
      await sleep(Math.min(250, 10 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }
  try {
    const result = await fn();
    if (compromised) throw new BosunError('conflict', `the lock on ${path} was lost while it was held`, { cause: compromised });
    return result;
  } finally {
    await release().catch((err: unknown) => {
      if (!compromised) logger.warn({ path, err: err instanceof Error ? err.message : String(err) }, 'file lock release failed');
    });
  }
}
