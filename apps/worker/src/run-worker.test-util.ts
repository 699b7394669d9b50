import { spawn } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '../../..');
const main = join(import.meta.dirname, 'main.ts');
const nodeArgs = ['--import', 'tsx', '--conditions=@bosun/source', main];

/** What a finished `bosun-worker` process left behind. */
export interface WorkerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bosun-worker` from source as a real process with stdout and stderr on pipes; resolves when it exits. */
export function runWorker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<WorkerResult> {
  return collect(process.execPath, [...nodeArgs, ...args], env);
}

function collect(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<WorkerResult> {
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

/** This process's env without the colour switches a test runner sets (nx sets FORCE_COLOR): each test says what it wants. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _force, NO_COLOR: _no, ...rest } = process.env;
  return rest;
}
