/**
 * `npm test` — the one command that proves the workspace.
 *
 * 1. Brings up a real container engine (see engine.ts) and exports DOCKER_HOST for the suites.
 * 2. Runs `nx run-many -t typecheck typecheck-web lint test` over every project (typecheck-web: the hub page).
 * 3. Sums the per-project Vitest JSON reports and prints one plain line,
 *    `N passed, N failed` (", N skipped" when some were), which CI reads.
 *
 * Extra arguments are passed to nx, e.g. `npm test -- --projects=@bosun/protocol`.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackages, ensureEngine } from './engine.js';
import { summarise } from './summarise.js';

const root = join(import.meta.dirname, '../..');
const reports = join(root, 'reports/vitest');

async function main(): Promise<number> {
  rmSync(reports, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
  try {
    // What the suites drive for real besides the engine: tmux (PTY manager's tmux backend),
    // OpenSSH's client, Chromium (the browser terminal), git.
    await ensureDebianPackages(['tmux', 'openssh-client', 'chromium', 'git'], (l) => process.stderr.write(`[test] ${l}\n`));
  } catch (err) {
    process.stderr.write(`[test] ${(err as Error).message}\n`);
  }
  try {
    const engine = await ensureEngine();
    env.DOCKER_HOST = engine.dockerHost;
    if (engine.containersConf) env.CONTAINERS_CONF = engine.containersConf;
    process.stderr.write(`[test] engine ${engine.engine.name} ${engine.engine.version} at ${engine.dockerHost}\n`);
  } catch (err) {
    process.stderr.write(`[test] no container engine: ${(err as Error).message}\n`);
    env.BOSUN_NO_ENGINE = '1';
  }
  const args = ['nx', 'run-many', '-t', 'typecheck', 'typecheck-web', 'lint', 'test', '--parallel=2', '--outputStyle=stream', ...process.argv.slice(2)];
  const code = await new Promise<number>((resolve) => {
    const child = spawn('npx', args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  const sum = summarise(reports);
  const skipped = sum.skipped ? `, ${sum.skipped} skipped` : '';
  // A file that failed to load counts as a failure even though Vitest ran no test in it.
  const failed = sum.failed + (sum.failed === 0 && code !== 0 ? Math.max(1, sum.brokenFiles) : 0);
  process.stdout.write(`\n${sum.passed} passed, ${failed} failed${skipped}\n`);
  if (sum.passed === 0 && code === 0) return 1;
  return code !== 0 || failed > 0 ? 1 : 0;
}

process.exit(await main());
