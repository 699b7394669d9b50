import type { ContainerDriver, ContainerRef } from '@bosun/container-driver';
import type { WorkerCommand } from '@bosun/protocol';
import { posix } from 'node:path';
import { CommandError } from './command-handler.js';

type Setup = Extract<WorkerCommand, { type: 'container.setup' }>;

/** Default workdir inside the container. */
export const DEFAULT_WORKDIR = '/workspace';
/** Bytes of file content sent per exec when writing the instructions file (base64 keeps it binary-safe and under ARG_MAX). */
const CHUNK = 48 * 1024;

/**
 * Prepares a created, running container: clones `repo` into the workdir (git must be in
 * the image; a token is passed through the environment to a credential helper, never in
 * argv or the URL) and writes the agent instructions file (e.g. CLAUDE.md / AGENTS.md).
 */
export async function setupContainer(
  driver: ContainerDriver,
  cmd: Setup,
  opts: { maxOutputBytes: number; timeoutMs: number },
): Promise<{ workdir: string; commit?: string }> {
  const ref: ContainerRef = { tenant: cmd.tenant, id: cmd.containerId };
  const workdir = cmd.workdir ?? DEFAULT_WORKDIR;
  const run = async (argv: string[], env?: Record<string, string>, what = argv[0]) => {
    const r = await driver.exec(ref, { cmd: argv, env, timeoutMs: opts.timeoutMs, maxOutputBytes: opts.maxOutputBytes });
    if (r.exitCode !== 0) {
      const detail = r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' | ');
      throw new CommandError('setup_failed', `${what} failed with exit ${r.exitCode}${detail ? `: ${detail}` : ''}`);
    }
    return r.stdout.toString('utf8');
  };

  await run(['mkdir', '-p', workdir], undefined, 'mkdir');
  let commit: string | undefined;
  if (cmd.repo) {
    const has = await driver.exec(ref, { cmd: ['sh', '-c', 'command -v git'], timeoutMs: 10_000 });
    if (has.exitCode !== 0) throw new CommandError('git_unavailable', 'git is not installed in this container image');
    const args = ['git'];
    const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
    if (cmd.repo.token) {
      env.BOSUN_GIT_TOKEN = cmd.repo.token;
      args.push('-c', 'credential.helper=!f() { echo username=x-access-token; echo "password=$BOSUN_GIT_TOKEN"; }; f');
    }
    args.push('clone', '--quiet');
    if (cmd.repo.branch) args.push('--branch', cmd.repo.branch);
    if (cmd.repo.depth) args.push('--depth', String(cmd.repo.depth));
    args.push('--', cmd.repo.url, workdir);
    await run(args, env, 'git clone');
    commit = (await run(['git', '-C', workdir, 'rev-parse', 'HEAD'], undefined, 'git rev-parse')).trim();
  }
  if (cmd.instructions) {
    const target = posix.join(workdir, cmd.instructions.fileName);
    if (!target.startsWith(`${workdir.replace(/\/$/, '')}/`)) throw new CommandError('forbidden_path', 'instructions file must stay inside the workdir');
    const content = Buffer.from(cmd.instructions.content, 'utf8').toString('base64');
    await run(['sh', '-c', 'mkdir -p "$(dirname "$1")" && : > "$1"', 'sh', target], undefined, 'write instructions');
    for (let i = 0; i < content.length; i += CHUNK) {
      await run(['sh', '-c', 'printf %s "$BOSUN_CHUNK" | base64 -d >> "$1"', 'sh', target], { BOSUN_CHUNK: content.slice(i, i + CHUNK) }, 'write instructions');
    }
  }
  return commit ? { workdir, commit } : { workdir };
}
