import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '../../..');
const main = join(import.meta.dirname, 'main.ts');
const nodeArgs = ['--import', 'tsx', '--conditions=@bosun/source', main];

/** What a finished `bosun` process left behind. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bosun` from source as a real process with stdout and stderr on pipes; resolves when it exits. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return collect(process.execPath, [...nodeArgs, ...args], env);
}

/** True when util-linux `script` is here to give a child a terminal. */
export const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Runs `bosun` with its stdout on a pseudo-terminal (through util-linux `script`), so it
 * sees a TTY as in a person's shell. The terminal turns `\n` into `\r\n`; this gives the
 * text back with `\n`.
 */
export async function runCliOnTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const line = [process.execPath, ...nodeArgs, ...args].map(shellQuote).join(' ');
  const r = await collect('script', ['-qec', line, '/dev/null'], env);
  return { ...r, stdout: r.stdout.replace(/\r\n/g, '\n') };
}

function collect(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, env: { ...inheritedEnv(), LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** This process's env without the colour switches a test runner sets (nx sets FORCE_COLOR): each test says what it wants. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _force, NO_COLOR: _no, ...rest } = process.env;
  return rest;
}
