/**
 * `npm run engine:start` — finds or starts a Docker-compatible engine.
 *
 * Prints `DOCKER_HOST=…` (and `CONTAINERS_CONF=…` when it manages Podman) on stdout;
 * with `--export` prints `export` lines for `eval "$(npm run -s engine:start -- --export)"`.
 */
import { ensureEngine } from './engine.js';

const asExport = process.argv.includes('--export');
try {
  const info = await ensureEngine();
  const prefix = asExport ? 'export ' : '';
  process.stdout.write(`${prefix}DOCKER_HOST=${info.dockerHost}\n`);
  if (info.containersConf) process.stdout.write(`${prefix}CONTAINERS_CONF=${info.containersConf}\n`);
  process.stderr.write(`[engine] ${info.engine.name} ${info.engine.version} ${info.started ? 'started' : 'already running'}\n`);
} catch (err) {
  process.stderr.write(`[engine] ${(err as Error).message}\n`);
  process.exit(1);
}
