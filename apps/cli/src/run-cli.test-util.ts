import { join } from 'node:path';
import { runEntry, runEntryOnTerminal, type EntryResult } from '@bosun/app-shell';

export { haveScript } from '@bosun/app-shell';

const repoRoot = join(import.meta.dirname, '../../..');
const main = join(import.meta.dirname, 'main.ts');

/** What a finished `bosun` process left behind. */
export type CliResult = EntryResult;

/** Runs `bosun` from source as a real process with stdout and stderr on pipes; resolves when it exits. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runEntry(main, args, { baseEnv: process.env, env, cwd: repoRoot });
}

/** Runs `bosun` with its stdout on a pseudo-terminal (util-linux `script`), as in a person's shell. */
export function runCliOnTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runEntryOnTerminal(main, args, { baseEnv: process.env, env, cwd: repoRoot });
}
