/**
 * Helpers shared by the benches in bench/: starting a hub, free ports, RSS, percentiles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { shebangNodeFlags } from '../tools/src/node-flags.js';

/** The repository root. */
export const root = join(import.meta.dirname, '..');

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The `p`-th percentile (0–100) of `xs`, nearest rank (NaN for an empty list). */
export const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;

/** Resident set size of process `pid` in MB (MiB), from `/proc/<pid>/status` VmRSS. */
export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Starts the hub on `port` with its data in `dataDir` and resolves once `/health` answers
 * (deadline 30 s; the child is killed when it does not start). `pinned` runs it on core 0
 * (taskset); `fromDist` runs the built `apps/hub/dist/main.js` instead of the sources.
 * LOG_LEVEL is `warn`; its stderr is a pipe the caller should read or ignore.
 */
export function startHub(dataDir: string, port: number, pinned: boolean, fromDist = false): Promise<ChildProcess> {
  const entry = fromDist ? appArgs('apps/hub/dist/main.js') : ['--import', 'tsx', '--conditions=@bosun/source', 'apps/hub/src/main.ts'];
  const cmd = pinned ? 'taskset' : process.execPath;
  const args = pinned ? ['-c', '0', process.execPath, ...entry] : entry;
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, HUB_PORT: String(port), HUB_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let done = false;
    const t = setTimeout(() => {
      done = true;
      child.kill('SIGKILL');
      reject(new Error('hub did not start within 30 s'));
    }, 30_000);
    const poll = async () => {
      if (done) return;
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) {
          done = true;
          clearTimeout(t);
          return resolve(child);
        }
      } catch {
        // not yet
      }
      setTimeout(poll, 200);
    };
    void poll();
  });
}

/** Node arguments that run an app entry (relative to the repository root) as its shebang would: its Node flags, then the entry. */
export function appArgs(entry: string): string[] {
  return [...shebangNodeFlags(join(root, entry)), entry];
}

/** Polls `check` every 200 ms until it returns a value, or fails after `ms`. */
export async function pollFor<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}
