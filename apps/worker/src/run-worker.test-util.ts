import { join } from 'node:path';
import { runEntry, type EntryResult } from '@bosun/app-shell';

const repoRoot = join(import.meta.dirname, '../../..');
const main = join(import.meta.dirname, 'main.ts');

/** What a finished `bosun-worker` process left behind. */
export type WorkerResult = EntryResult;

/** Runs `bosun-worker` from source as a real process with stdout and stderr on pipes; resolves when it exits. */
export function runWorker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<WorkerResult> {
  return runEntry(main, args, { baseEnv: process.env, env, cwd: repoRoot });
}
