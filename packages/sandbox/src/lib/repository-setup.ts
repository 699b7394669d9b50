/**
 * Repository setup inside a running container: clone a repository into the workdir and
 * write the agent instructions file. Moved here from worker-runtime's container-setup.
 */
import { posix } from 'node:path';
import { BosunError } from '@bosun/protocol';

/** Default workdir inside the container: `/workspace`. */
export const DEFAULT_WORKDIR = '/workspace';
/** Bytes of file content sent per exec when writing the instructions file (base64 keeps it binary-safe and under ARG_MAX). */
const CHUNK = 48 * 1024;
/** Deadline of the `command -v git` probe: 10 000 ms. */
const GIT_PROBE_TIMEOUT_MS = 10_000;

/** A git repository to clone. `token` is a secret: it never reaches argv, the URL or a log. */
export interface RepositorySpec {
  /** `https://…`, `ssh://…` or `git@host:path`. */
  url: string;
  /** Default: the remote's default branch. */
  branch?: string;
  /** Shallow clone depth. Default: full history. */
  depth?: number;
  token?: string;
}

/** What {@link setupRepository} prepares. */
export interface SetupRequest {
  /** Repository cloned into `workdir`. Default none. */
  repo?: RepositorySpec;
  /** Instructions file (e.g. `CLAUDE.md`), relative to `workdir`. Default none. */
  instructions?: { fileName: string; content: string };
  /** Default {@link DEFAULT_WORKDIR}. */
  workdir?: string;
}

/** What setup did. */
export interface SetupResult {
  workdir: string;
  /** Commit checked out, when a repository was cloned. */
  commit?: string;
}

/** Runs one command in the container (the service's deadline-bound exec). */
export type SetupExec = (argv: string[], env?: Record<string, string>, timeoutMs?: number) => Promise<{ exitCode: number | null; stdout: Buffer; stderr: Buffer }>;

/**
 * Prepares a created, running container: clones `repo` into the workdir (git must be in
 * the image; a token is passed through the environment to a credential helper, never in
 * argv or the URL) and writes the instructions file. Throws `setup_failed`,
 * `git_unavailable` or `forbidden_path` (an instructions file leaving the workdir).
 */
export async function setupRepository(exec: SetupExec, req: SetupRequest): Promise<SetupResult> {
  const workdir = req.workdir ?? DEFAULT_WORKDIR;
  if (!posix.isAbsolute(workdir)) throw BosunError.invalidArgument(`workdir ${workdir} must be absolute`);
  const run = async (argv: string[], env?: Record<string, string>, what = argv[0]) => {
    const r = await exec(argv, env);
    if (r.exitCode !== 0) {
      const detail = r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' | ');
      throw new BosunError('setup_failed', `${what} failed with exit ${r.exitCode}${detail ? `: ${detail}` : ''}`);
    }
    return r.stdout.toString('utf8');
  };

  // Checked before anything runs, so a bad name leaves nothing behind.
  let target: string | undefined;
  if (req.instructions) {
    const base = posix.normalize(workdir).replace(/\/$/, '');
    target = posix.join(base, req.instructions.fileName);
    if (posix.isAbsolute(req.instructions.fileName) || !target.startsWith(`${base}/`)) {
      throw BosunError.forbiddenPath('instructions file must stay inside the workdir', { fileName: req.instructions.fileName });
    }
  }

  await run(['mkdir', '-p', workdir], undefined, 'mkdir');
  let commit: string | undefined;
  if (req.repo) {
    const has = await exec(['sh', '-c', 'command -v git'], undefined, GIT_PROBE_TIMEOUT_MS);
    if (has.exitCode !== 0) throw new BosunError('git_unavailable', 'git is not installed in this container image');
    const args = ['git'];
    const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
    if (req.repo.token) {
      env.BOSUN_GIT_TOKEN = req.repo.token;
      args.push('-c', 'credential.helper=!f() { echo username=x-access-token; echo "password=$BOSUN_GIT_TOKEN"; }; f');
    }
    args.push('clone', '--quiet');
    if (req.repo.branch) args.push('--branch', req.repo.branch);
    if (req.repo.depth) args.push('--depth', String(req.repo.depth));
    args.push('--', req.repo.url, workdir);
    await run(args, env, 'git clone');
    commit = (await run(['git', '-C', workdir, 'rev-parse', 'HEAD'], undefined, 'git rev-parse')).trim();
  }
  if (req.instructions && target) {
    const content = Buffer.from(req.instructions.content, 'utf8').toString('base64');
    await run(['sh', '-c', 'mkdir -p "$(dirname "$1")" && : > "$1"', 'sh', target], undefined, 'write instructions');
    for (let i = 0; i < content.length; i += CHUNK) {
      await run(['sh', '-c', 'printf %s "$BOSUN_CHUNK" | base64 -d >> "$1"', 'sh', target], { BOSUN_CHUNK: content.slice(i, i + CHUNK) }, 'write instructions');
    }
  }
  return commit ? { workdir, commit } : { workdir };
}
