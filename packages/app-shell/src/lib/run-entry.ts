/**
 * Runs an app's TypeScript entry point as a real process, the way its process tests
 * need it: from source (tsx, the `@bosun/source` condition), stdout and stderr on pipes,
 * or stdout on a pseudo-terminal through util-linux `script`.
 */
import { spawn, spawnSync } from 'node:child_process';

/** What a finished process left behind. */
export interface EntryResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runEntry}. */
export interface RunEntryOptions {
  /** The environment the child starts from (the caller's `process.env`), less the test runner's colour switches. */
  baseEnv: Record<string, string | undefined>;
  /** Extra environment, over `baseEnv` and `LOG_LEVEL=info` (default none). */
  env?: Record<string, string | undefined>;
  /** Working directory of the child (default: this process's). */
  cwd?: string;
}

/** True when util-linux `script` is here to give a child a terminal. */
export const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const nodeArgs = (entry: string) => ['--import', 'tsx', '--conditions=@bosun/source', entry];

/** Runs `entry` with `args` from source; resolves when the process exits. */
export function runEntry(entry: string, args: string[], o: RunEntryOptions): Promise<EntryResult> {
  return collect(process.execPath, [...nodeArgs(entry), ...args], o);
}

/**
 * Runs `entry` with its stdout on a pseudo-terminal, so it sees a TTY as in a person's
 * shell. The terminal turns `\n` into `\r\n`; this gives the text back with `\n`.
 */
export async function runEntryOnTerminal(entry: string, args: string[], o: RunEntryOptions): Promise<EntryResult> {
  const line = [process.execPath, ...nodeArgs(entry), ...args].map(shellQuote).join(' ');
  const r = await collect('script', ['-qec', line, '/dev/null'], o);
  return { ...r, stdout: r.stdout.replace(/\r\n/g, '\n') };
}

function collect(file: string, args: string[], o: RunEntryOptions): Promise<EntryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: o.cwd, env: { ...withoutColourSwitches(o.baseEnv), LOG_LEVEL: 'info', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function shellQuote(s: string): string {
  return /^[\w./=@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `env` without the colour switches a test runner sets (nx sets FORCE_COLOR): each test says what it wants. */
function withoutColourSwitches(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { FORCE_COLOR: _force, NO_COLOR: _no, ...rest } = env;
  return rest;
}
